// The watch stream's framing and typing, on messages as etcd 3.4's gateway sends them
// (docs/etcd-gateway.md §3), whole and cut at every byte.
#include "watchstreamparser.h"

#include <QtTest/QTest>

using namespace Conclave;
using Kind = WatchMessage::Kind;

namespace {

const QByteArray Created = R"({"result":{"header":{"cluster_id":"10144879847569953045","member_id":"12428976124636271536","revision":"24","raft_term":"2"},"created":true}})" "\n";
const QByteArray Events = R"({"result":{"header":{"revision":"25"},"watch_id":"1","events":[{"kv":{"key":"L3cvYQ==","create_revision":"25","mod_revision":"25","version":"1","value":"b25l"}},{"type":"DELETE","kv":{"key":"L3cvYQ==","mod_revision":"26"}}]}})" "\n";
const QByteArray ProgressAnswer = R"({"result":{"header":{"revision":"26"},"watch_id":"-1"}})" "\n";
const QByteArray Compacted = R"({"result":{"header":{"cluster_id":"1","member_id":"2","raft_term":"2"},"watch_id":"3","canceled":true,"compact_revision":"33"}})" "\n";
const QByteArray Refused = R"({"result":{"header":{"revision":"9"},"watch_id":"-1","created":true,"canceled":true,"cancel_reason":"rpc error: code = PermissionDenied desc = etcdserver: permission denied"}})" "\n";
const QByteArray ErrorNoNewline = R"({"error":{"grpc_code":14,"http_code":503,"message":"transport is closing","http_status":"Service Unavailable"}})";

QList<WatchMessage> inPieces(const QByteArray &bytes, qsizetype piece)
{
    WatchStreamParser p;
    QList<WatchMessage> out;
    for (qsizetype at = 0; at < bytes.size(); at += piece)
        out += p.feed(bytes.mid(at, piece));
    return out + p.finish();
}

} // namespace

class tst_WatchStreamParser : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void typesEveryMessage()
    {
        const QList<WatchMessage> m = inPieces(Created + Events + ProgressAnswer + Compacted + Refused, 1 << 20);
        QCOMPARE(m.size(), 5);
        QCOMPARE(m[0].kind, Kind::Created);
        QCOMPARE(m[0].watchId, 0); // watch 0: watch_id omitted
        QCOMPARE(m[0].header.revision, 24);
        QCOMPARE(m[1].kind, Kind::Events);
        QCOMPARE(m[1].watchId, 1);
        QCOMPARE(m[1].events.size(), 2);
        QCOMPARE(m[1].events[0].kv.value, QByteArray("one"));
        QCOMPARE(m[1].events[1].type, WatchEvent::Type::Delete);
        QCOMPARE(m[1].events[1].kv.modRevision, 26);
        QCOMPARE(m[2].kind, Kind::Progress);
        QCOMPARE(m[2].header.revision, 26);
        QCOMPARE(m[3].kind, Kind::Canceled);
        QCOMPARE(m[3].compactRevision, 33);
        QCOMPARE(m[4].kind, Kind::Created);
        QVERIFY(m[4].canceled);
        QVERIFY(m[4].cancelReason.contains(QLatin1String("PermissionDenied")));
    }

    void sameMessagesWhereverTheBytesAreCut()
    {
        const QByteArray stream = Created + Events + ProgressAnswer + Compacted;
        const QList<WatchMessage> whole = inPieces(stream, stream.size());
        for (qsizetype piece = 1; piece < 64; ++piece) {
            const QList<WatchMessage> cut = inPieces(stream, piece);
            QCOMPARE(cut.size(), whole.size());
            for (qsizetype i = 0; i < cut.size(); ++i) {
                QCOMPARE(cut[i].kind, whole[i].kind);
                QCOMPARE(cut[i].watchId, whole[i].watchId);
                QCOMPARE(cut[i].events.size(), whole[i].events.size());
            }
        }
    }

    void inStreamErrorWithoutNewlineAtTheEnd()
    {
        WatchStreamParser p;
        QCOMPARE(p.feed(Created + ErrorNoNewline).size(), 1); // the error is not complete yet
        const QList<WatchMessage> end = p.finish();
        QCOMPARE(end.size(), 1);
        QCOMPARE(end[0].kind, Kind::Error);
        QCOMPARE(end[0].error, Error::Unavailable);
        QCOMPARE(end[0].errorString, QStringLiteral("transport is closing"));
    }

    void cutMidMessageIsAConnectionError()
    {
        WatchStreamParser p;
        p.feed(Created + Events.left(40));
        const QList<WatchMessage> end = p.finish();
        QCOMPARE(end.size(), 1);
        QCOMPARE(end[0].error, Error::ConnectionError);
    }

    void garbageStopsTheStream_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("message");
        QTest::newRow("not json") << QByteArray("<html>502</html>\n") << QStringLiteral("malformed watch message");
        QTest::newRow("no result") << QByteArray("{\"foo\":1}\n") << QStringLiteral("without a result");
        QTest::newRow("bad watch id") << QByteArray("{\"result\":{\"watch_id\":\"x\"}}\n") << QStringLiteral("without a result");
        QTest::newRow("bad event") << QByteArray("{\"result\":{\"events\":[{\"kv\":{\"key\":\"%%%\"}}]}}\n")
                                   << QStringLiteral("malformed watch event");
    }

    void garbageStopsTheStream()
    {
        QFETCH(QByteArray, line);
        QFETCH(QString, message);
        WatchStreamParser p;
        const QList<WatchMessage> m = p.feed(Created + line + Events);
        QCOMPARE(m.size(), 2); // created, then the error; nothing after it
        QCOMPARE(m[1].kind, Kind::Error);
        QCOMPARE(m[1].error, Error::ProtocolError);
        QVERIFY2(m[1].errorString.contains(message), qPrintable(m[1].errorString));
        QVERIFY(p.failed());
        QVERIFY(p.feed(Events).isEmpty());
        QVERIFY(p.finish().isEmpty());
    }

    void oversizedMessage()
    {
        WatchStreamParser p;
        const QList<WatchMessage> m = p.feed(QByteArray(WatchStreamParser::MaxLineBytes + 1, 'x'));
        QCOMPARE(m.size(), 1);
        QCOMPARE(m[0].error, Error::ProtocolError);
        QVERIFY(m[0].errorString.contains(QLatin1String("exceeds")));
    }
};

QTEST_GUILESS_MAIN(tst_WatchStreamParser)
#include "tst_watchstreamparser.moc"
