#include "codec.h"

#include <QtCore/QJsonDocument>
#include <QtTest/QTest>

using namespace Conclave;

// Parser unit tests on replies captured from a real etcd 3.4.23 (docs/etcd-gateway.md).
class tst_Codec : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void bytesRoundTrip_data();
    void bytesRoundTrip();
    void rejectsNonStandardBase64();
    void prefixEnd_data();
    void prefixEnd();
    void int64AsStrings();
    void int64SentAsStrings();
    void absentFieldsMeanZero();
    void parseRangeReply();
    void parseDeleteEvent();
    void compareUsesMatchingField_data();
    void compareUsesMatchingField();
};

void tst_Codec::bytesRoundTrip_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("text") << QByteArray("/elect/a");
    QTest::newRow("nul") << QByteArray("a\0b\0", 4);
    QTest::newRow("non-utf8") << QByteArray("\xff\xfe\x80", 3);
    QTest::newRow("empty") << QByteArray();
}

void tst_Codec::bytesRoundTrip()
{
    QFETCH(QByteArray, bytes);
    bool ok = false;
    QCOMPARE(Codec::decodeBytes(Codec::encodeBytes(bytes), &ok), bytes);
    QVERIFY(ok);
}

void tst_Codec::rejectsNonStandardBase64()
{
    bool ok = true;
    Codec::decodeBytes(QStringLiteral("a$b="), &ok);
    QVERIFY(!ok);
    Codec::decodeBytes(QJsonValue(12), &ok);
    QVERIFY(!ok);
}

void tst_Codec::prefixEnd_data()
{
    QTest::addColumn<QByteArray>("prefix");
    QTest::addColumn<QByteArray>("end");
    QTest::newRow("slash") << QByteArray("/elect/") << QByteArray("/elect0");
    QTest::newRow("ff tail") << QByteArray("a\xff", 2) << QByteArray("b");
    QTest::newRow("all ff") << QByteArray("\xff\xff", 2) << QByteArray(1, '\0');
    QTest::newRow("empty") << QByteArray() << QByteArray(1, '\0');
}

void tst_Codec::prefixEnd()
{
    QFETCH(QByteArray, prefix);
    QFETCH(QByteArray, end);
    QCOMPARE(Codec::prefixEnd(prefix), end);
}

void tst_Codec::int64AsStrings()
{
    // A real lease ID above 2^53: routing it through double would corrupt it.
    QCOMPARE(Codec::decodeInt(QStringLiteral("1418812013513290810")), Q_INT64_C(1418812013513290810));
    QCOMPARE(Codec::decodeUInt(QStringLiteral("15941222304001239911")),
             Q_UINT64_C(15941222304001239911));
    bool ok = true;
    Codec::decodeInt(QStringLiteral("12x"), &ok);
    QVERIFY(!ok);
    QCOMPARE(Codec::decodeInt(QJsonValue()), 0);
}

void tst_Codec::int64SentAsStrings()
{
    const QJsonObject put = Codec::putRequest("k", "v", Q_INT64_C(1418812013513290810));
    const QByteArray json = QJsonDocument(put).toJson(QJsonDocument::Compact);
    QVERIFY2(json.contains("\"lease\":\"1418812013513290810\""), json.constData());
}

void tst_Codec::absentFieldsMeanZero()
{
    const auto obj = QJsonDocument::fromJson(
            R"({"header":{"cluster_id":"1","member_id":"2","revision":"9","raft_term":"2"}})")
                             .object();
    bool ok = false;
    const RangeResult r = Codec::parseRange(obj, &ok);
    QVERIFY(ok);
    QVERIFY(r.kvs.isEmpty());
    QCOMPARE(r.count, 0);
    QCOMPARE(r.more, false);
    QCOMPARE(r.header.revision, 9);
    QCOMPARE(Codec::parseTxn(obj).succeeded, false);
}

void tst_Codec::parseRangeReply()
{
    const auto obj = QJsonDocument::fromJson(
            R"({"header":{"cluster_id":"10144879847569953045","member_id":"12428976124636271536","revision":"9","raft_term":"2"},
                "kvs":[{"key":"L2VsZWN0L2E=","create_revision":"4","mod_revision":"5","version":"2","value":"aGVsbG8=","lease":"1418812013513290766"}],
                "more":true,"count":"5"})").object();
    bool ok = false;
    const RangeResult r = Codec::parseRange(obj, &ok);
    QVERIFY(ok);
    QCOMPARE(r.header.clusterId, Q_UINT64_C(10144879847569953045));
    QCOMPARE(r.kvs.size(), 1);
    QCOMPARE(r.kvs[0].key, QByteArray("/elect/a"));
    QCOMPARE(r.kvs[0].value, QByteArray("hello"));
    QCOMPARE(r.kvs[0].createRevision, 4);
    QCOMPARE(r.kvs[0].modRevision, 5);
    QCOMPARE(r.kvs[0].version, 2);
    QCOMPARE(r.kvs[0].lease, Q_INT64_C(1418812013513290766));
    QVERIFY(r.more);
    QCOMPARE(r.count, 5);
}

void tst_Codec::parseDeleteEvent()
{
    const auto obj = QJsonDocument::fromJson(
            R"({"type":"DELETE","kv":{"key":"L3cvYQ==","mod_revision":"27"},
                "prev_kv":{"key":"L3cvYQ==","create_revision":"25","mod_revision":"25","version":"1","value":"b25l"}})")
                             .object();
    bool ok = false;
    const WatchEvent e = Codec::parseEvent(obj, &ok);
    QVERIFY(ok);
    QCOMPARE(e.type, WatchEvent::Type::Delete);
    QCOMPARE(e.kv.key, QByteArray("/w/a"));
    QCOMPARE(e.kv.modRevision, 27);
    QVERIFY(e.hasPrevKv);
    QCOMPARE(e.prevKv.value, QByteArray("one"));
    const WatchEvent put = Codec::parseEvent(
            QJsonDocument::fromJson(R"({"kv":{"key":"L3cvYQ==","mod_revision":"3"}})").object(), &ok);
    QVERIFY(ok);
    QCOMPARE(put.type, WatchEvent::Type::Put); // absent type means PUT
}

void tst_Codec::compareUsesMatchingField_data()
{
    QTest::addColumn<int>("target");
    QTest::addColumn<QString>("field");
    QTest::newRow("version") << int(Compare::Target::Version) << QStringLiteral("version");
    QTest::newRow("create") << int(Compare::Target::Create) << QStringLiteral("create_revision");
    QTest::newRow("mod") << int(Compare::Target::Mod) << QStringLiteral("mod_revision");
    QTest::newRow("value") << int(Compare::Target::Value) << QStringLiteral("value");
    QTest::newRow("lease") << int(Compare::Target::Lease) << QStringLiteral("lease");
}

void tst_Codec::compareUsesMatchingField()
{
    QFETCH(int, target);
    QFETCH(QString, field);
    Compare c;
    c.key = "k";
    c.target = Compare::Target(target);
    c.number = 42;
    c.value = "v";
    const QJsonObject json = Codec::compareJson(c);
    QVERIFY(json.contains(field));
    QCOMPARE(json.size(), 4); // key, target, result and exactly one value field
}

QTEST_GUILESS_MAIN(tst_Codec)
#include "tst_codec.moc"
