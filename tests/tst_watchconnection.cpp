// WatchConnection: the request it writes (chunked body that goes on, Connection: close), the
// answers it reads (chunked, sized, until close; cut at every byte; malformed), how it ends;
// then against a real etcd: creates and a cancel appended to one open stream all answered.
#include "etcdtestenv.h"
#include "watchconnection.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <memory>

using namespace Conclave;
using Failure = WatchConnection::Failure;

namespace {

// One connection at a time on a loopback port: what the client sent, and a socket to answer on.
class CannedServer
{
public:
    CannedServer() { m_server.listen(QHostAddress::LocalHost); }
    bool isListening() const { return m_server.isListening(); }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort())); }
    //! The accepted connection, once the client has connected (bounded wait, events run).
    QTcpSocket *peer()
    {
        if (!m_peer && QTest::qWaitFor([this] { return m_server.hasPendingConnections(); }, 5000))
            m_peer = m_server.nextPendingConnection();
        return m_peer;
    }
    //! Waits until what the client sent contains \a text; returns all it sent so far.
    QByteArray receivedUntil(const QByteArray &text)
    {
        QTcpSocket *socket = peer();
        if (!socket)
            return {};
        (void)QTest::qWaitFor([&] {
            m_received += socket->readAll();
            return m_received.contains(text);
        }, 5000);
        return m_received;
    }
    void answer(const QByteArray &bytes)
    {
        peer()->write(bytes);
        peer()->flush();
    }

private:
    QTcpServer m_server;
    QTcpSocket *m_peer = nullptr;
    QByteArray m_received;
};

const QByteArray ChunkedHead = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

// A WatchConnection opened to a CannedServer: what it read, and whether it finished.
struct Exchange
{
    CannedServer server;
    WatchConnection connection;
    QSignalSpy finished{&connection, &WatchConnection::finished};
    QByteArray got;

    Exchange()
    {
        QObject::connect(&connection, &WatchConnection::readyRead, &connection,
                         [this] { got += connection.readAll(); });
        connection.open(server.url(), "/v3/watch", {}, {});
    }
    //! Whether the server listens and the connection reached it (bounded wait).
    bool connected() { return server.isListening() && server.peer(); }
};

} // namespace

class tst_WatchConnection : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sendsAChunkedBodyThatGoesOn()
    {
        CannedServer server;
        QVERIFY(server.isListening());
        WatchConnection c;
        c.send("too early"); // before open(): there is no request yet, nothing is kept
        c.open(server.url(), "/v3/watch", {{"Authorization", "token-1"}}, {});
        c.send("early"); // before the connection is up: kept, sent after the head
        const QByteArray head = server.receivedUntil("early\r\n");
        QVERIFY2(head.startsWith("POST /v3/watch HTTP/1.1\r\n"), head.constData());
        QVERIFY(head.contains("\r\nAuthorization: token-1\r\n"));
        QVERIFY(head.contains("\r\nTransfer-Encoding: chunked\r\n"));
        // Without it Go's server discards the body it has not read (watchconnection.h).
        QVERIFY(head.contains("\r\nConnection: close\r\n"));
        QVERIFY(head.endsWith("\r\n\r\n5\r\nearly\r\n"));
        c.send(QByteArray(300, 'x'));
        c.send({}); // an empty chunk would end the body: never sent
        c.send("late");
        const QByteArray all = server.receivedUntil("late\r\n");
        QVERIFY(all.endsWith("12c\r\n" + QByteArray(300, 'x') + "\r\n4\r\nlate\r\n"));
        QCOMPARE(c.bytesSent(), all.size());
    }

    void readsAChunkedAnswerCutAtEveryByte()
    {
        const QByteArray body = R"({"result":{"created":true}})" "\n" R"({"result":{"watch_id":"1"}})" "\n";
        const QByteArray answer = ChunkedHead + "1c;ext=1\r\n" + body.left(28) + "\r\n"
                + QByteArray::number(body.size() - 28, 16) + "\r\n" + body.mid(28) + "\r\n0\r\nX-Trailer: y\r\n\r\n";
        for (int piece : {1, 2, 7, 1000}) {
            Exchange x;
            QVERIFY(x.connected());
            for (qsizetype at = 0; at < answer.size(); at += piece) {
                x.server.answer(answer.mid(at, piece));
                QTest::qWait(0); // let the client read this piece alone
            }
            QTRY_COMPARE(x.finished.size(), 1);
            QCOMPARE(x.got, body);
            QCOMPARE(x.connection.statusCode(), 200);
            QCOMPARE(x.connection.failure(), Failure::None);
            QVERIFY(x.connection.isFinished());
        }
    }

    void readsASizedAnswer()
    {
        Exchange x;
        QVERIFY(x.connected());
        x.server.answer("HTTP/1.1 401 Unauthorized\r\nContent-Length: 10\r\n\r\n0123456789trailing garbage");
        QTRY_COMPARE(x.finished.size(), 1);
        QCOMPARE(x.connection.statusCode(), 401);
        QCOMPARE(x.got, QByteArray("0123456789"));
        QCOMPARE(x.connection.failure(), Failure::None);
    }

    void readsAnAnswerThatEndsWithTheConnection()
    {
        Exchange x;
        QVERIFY(x.connected());
        x.server.answer("HTTP/1.1 200 OK\r\n\r\nsome bytes");
        QTRY_COMPARE(x.got, QByteArray("some bytes"));
        QCOMPARE(x.finished.size(), 0);
        x.server.answer(" and more");
        x.server.peer()->disconnectFromHost();
        QTRY_COMPARE(x.finished.size(), 1);
        QCOMPARE(x.got, QByteArray("some bytes and more"));
        QCOMPARE(x.connection.failure(), Failure::None);
    }

    void malformedAnswers_data()
    {
        QTest::addColumn<QByteArray>("answer");
        QTest::addColumn<QString>("error");
        QTest::newRow("not HTTP") << QByteArray("SSH-2.0-OpenSSH\r\n\r\n") << QStringLiteral("not an HTTP/1.1 answer");
        QTest::newRow("no status code") << QByteArray("HTTP/1.1 OK\r\n\r\n") << QStringLiteral("not an HTTP/1.1 answer");
        QTest::newRow("bad length") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n")
                                    << QStringLiteral("a bad Content-Length");
        QTest::newRow("bad chunk size") << ChunkedHead + "zz\r\nhello\r\n" << QStringLiteral("a bad chunk size \"zz\"");
        QTest::newRow("chunk overruns") << ChunkedHead + "2\r\nhello\r\n" << QStringLiteral("a chunk not followed by CRLF");
        QTest::newRow("endless size line") << ChunkedHead + QByteArray(2000, '1')
                                           << QStringLiteral("a chunk size line longer than 1 KiB");
        QTest::newRow("endless head") << QByteArray("HTTP/1.1 200 OK\r\nX: ") + QByteArray(WatchConnection::MaxHeadBytes + 10, 'a')
                                      << QStringLiteral("an answer head longer than");
    }

    void malformedAnswers()
    {
        QFETCH(QByteArray, answer);
        QFETCH(QString, error);
        Exchange x;
        QVERIFY(x.connected());
        x.server.answer(answer);
        QTRY_COMPARE(x.finished.size(), 1);
        QCOMPARE(x.connection.failure(), Failure::Protocol);
        QVERIFY2(x.connection.errorString().startsWith(error), qPrintable(x.connection.errorString()));
    }

    void closedBeforeOrDuringTheAnswer()
    {
        {
            Exchange x;
            QVERIFY(x.connected());
            x.server.peer()->disconnectFromHost();
            QTRY_COMPARE(x.finished.size(), 1);
            QCOMPARE(x.connection.failure(), Failure::Closed);
            QVERIFY2(x.connection.errorString().contains(QLatin1String("closed the connection before answering")),
                     qPrintable(x.connection.errorString()));
        }
        {
            Exchange x;
            QVERIFY(x.connected());
            x.server.answer(ChunkedHead + "5\r\nhel");
            x.server.peer()->disconnectFromHost();
            QTRY_COMPARE(x.finished.size(), 1);
            QCOMPARE(x.connection.failure(), Failure::Closed);
            QVERIFY2(x.connection.errorString().contains(QLatin1String("closed the stream")), qPrintable(x.connection.errorString()));
            QCOMPARE(x.got, QByteArray("hel")); // what came before the end is kept
        }
    }

    void refusedAndAborted()
    {
        QUrl nobody;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost));
            nobody = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(probe.serverPort()));
        } // closed: nothing listens there now
        WatchConnection refused;
        QSignalSpy refusedDone(&refused, &WatchConnection::finished);
        refused.open(nobody, "/v3/watch", {}, {});
        QTRY_COMPARE(refusedDone.size(), 1);
        QCOMPARE(refused.failure(), Failure::Refused);
        QVERIFY2(refused.errorString().contains(nobody.toDisplayString()), qPrintable(refused.errorString()));

        CannedServer server;
        WatchConnection aborted;
        QSignalSpy abortedDone(&aborted, &WatchConnection::finished);
        aborted.open(server.url(), "/v3/watch", {}, {});
        QVERIFY(server.peer());
        aborted.abort();
        QVERIFY(aborted.isFinished());
        aborted.send("after the end"); // ignored
        QTRY_COMPARE(server.peer()->state(), QAbstractSocket::UnconnectedState);
        QCOMPARE(abortedDone.size(), 0); // abort() does not emit finished()
    }

    // The facts the design rests on (docs/etcd-gateway.md): on an open stream, creates
    // appended one chunk at a time are each answered, and an appended cancel is answered too.
    void etcdAnswersEveryAppendedRequest()
    {
        EtcdTestEnv etcd;
        QVERIFY2(etcd.start(), qPrintable(etcd.errorString()));
        const QByteArray prefix = EtcdTestEnv::uniquePrefix();
        WatchConnection c;
        QByteArray got;
        connect(&c, &WatchConnection::readyRead, this, [&] { got += c.readAll(); });
        c.open(etcd.endpoint(), "/v3/watch", {}, {});
        const auto create = [&](int i) {
            QJsonObject req{{QStringLiteral("key"), QString::fromLatin1((prefix + QByteArray::number(i)).toBase64())}};
            return QJsonDocument(QJsonObject{{QStringLiteral("create_request"), req}}).toJson(QJsonDocument::Compact);
        };
        constexpr int Watches = 200;
        for (int i = 0; i < Watches; ++i) {
            c.send(create(i));
            if (i % 50 == 0)
                QTest::qWait(0); // some while the answer is already streaming
        }
        QTRY_COMPARE_WITH_TIMEOUT(got.count("\"created\":true"), Watches, 20000);
        QCOMPARE(c.statusCode(), 200);
        const QByteArray putKey = prefix + QByteArray::number(Watches - 1);
        QVERIFY(!etcd.etcdctl({QStringLiteral("put"), QString::fromLatin1(putKey), QStringLiteral("v")}).isNull());
        QTRY_VERIFY_WITH_TIMEOUT(got.contains(putKey.toBase64()), 10000);
        c.send(R"({"cancel_request":{"watch_id":"0"}})");
        QTRY_VERIFY_WITH_TIMEOUT(got.contains("\"canceled\":true"), 10000);
        QVERIFY(!c.isFinished());
        QCOMPARE(c.failure(), Failure::None);
        etcd.dumpLogsIfFailed();
    }
};

QTEST_GUILESS_MAIN(tst_WatchConnection)
#include "tst_watchconnection.moc"
