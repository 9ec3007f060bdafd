// TxnBatch's pure half: which txns may share a batch, what etcd's --max-txn-ops counts, the
// batch request, and a batch's answer cut into its txns' answers. (Batches on a real etcd:
// tst_client::concurrentTxnsTravelInBatches and friends, tst_auth::batchWithOneForbiddenTxn.)
#include "codec.h"
#include "txnbatch.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtTest/QTest>

using namespace Conclave;

class tst_TxnBatch : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void shapeOfAGuardedJoin();
    void shapeOfReadsAndRanges();
    void opsCountedLevelByLevel();
    void unknownOpIsNeverBatched();
    void overlaps();
    void requestNestsInOrder();
    void requestWithoutUserCarriesOneCheck();
    void splitRealAnswer();
    void splitRejectsWrongAnswers();
};

namespace {

Compare createdAt(const QByteArray &key, qint64 revision)
{
    return Compare::incarnation(key, revision);
}

QJsonObject join(const QByteArray &key)
{
    return Codec::txnRequest({createdAt(key, 0)}, {Codec::opPut(Codec::putRequest(key, "v"))},
                             {Codec::opRange(Codec::rangeRequest(RangeOptions::ofKey(key)))});
}

QJsonObject readPrefix(const QByteArray &prefix)
{
    return Codec::txnRequest({}, {Codec::opRange(Codec::rangeRequest(RangeOptions::ofPrefix(prefix)))}, {});
}

QJsonObject batchOf(const QList<QJsonObject> &txns, TxnBatch::Checks checks = TxnBatch::Checks::Every)
{
    QList<TxnBatch::Shape> shapes;
    for (const QJsonObject &txn : txns)
        shapes.append(TxnBatch::shapeOf(txn));
    return TxnBatch::request(txns, shapes, checks);
}

} // namespace

void tst_TxnBatch::shapeOfAGuardedJoin()
{
    const TxnBatch::Shape s = TxnBatch::shapeOf(join("e/a/1"));
    QVERIFY(s.valid);
    QVERIFY(s.writes);
    QCOMPARE(s.ops, 1);
    QCOMPARE(s.ranges.size(), 3); // compare, put, range: the same key
    QCOMPARE(s.checks.size(), 2); // read (compare and range, once) and write of that key
    for (const TxnBatch::KeyRange &r : s.ranges) {
        QCOMPARE(r.from, QByteArray("e/a/1"));
        QCOMPARE(r.to, QByteArray("e/a/1", 6)); // the key and a NUL: the key alone
    }
}

void tst_TxnBatch::shapeOfReadsAndRanges()
{
    const TxnBatch::Shape prefix = TxnBatch::shapeOf(readPrefix("e/a/"));
    QVERIFY(prefix.valid);
    QVERIFY(!prefix.writes);
    QCOMPARE(prefix.ranges.size(), 1);
    QCOMPARE(prefix.ranges[0].from, QByteArray("e/a/"));
    QCOMPARE(prefix.ranges[0].to, QByteArray("e/a0"));

    RangeOptions all;
    all.key = QByteArray("\0", 1);
    all.rangeEnd = QByteArray("\0", 1); // etcd: every key
    const TxnBatch::Shape everything
            = TxnBatch::shapeOf(Codec::txnRequest({}, {Codec::opRange(Codec::rangeRequest(all))}, {}));
    QVERIFY(everything.valid);
    QVERIFY(everything.ranges[0].to.isEmpty()); // to the end of the keyspace

    const TxnBatch::Shape del = TxnBatch::shapeOf(
            Codec::txnRequest({createdAt("e/b/1", 7)}, {Codec::opDelete(Codec::deleteRequest("e/b/1"))}, {}));
    QVERIFY(del.writes);
}

// etcd's checkTxnReq: a level counts its longest list, and a nested txn gets what is left.
void tst_TxnBatch::opsCountedLevelByLevel()
{
    const QJsonObject three = Codec::txnRequest(
            {}, {Codec::opRange(Codec::rangeRequest(RangeOptions::ofKey("a"))),
                 Codec::opRange(Codec::rangeRequest(RangeOptions::ofKey("b"))),
                 Codec::opRange(Codec::rangeRequest(RangeOptions::ofKey("c")))},
            {});
    QCOMPARE(TxnBatch::shapeOf(three).ops, 3);
    const QJsonObject nested = Codec::txnRequest(
            {createdAt("x", 0)}, {QJsonObject{{QStringLiteral("request_txn"), three}}}, {});
    QCOMPARE(TxnBatch::shapeOf(nested).ops, 1 + 3);
    // The batch: 2 nested txns, 4 + 3 checks in its failure branch, the larger nested needs 4.
    QCOMPARE(TxnBatch::shapeOf(batchOf({nested, three})).ops, 7 + 4);
    QCOMPARE(TxnBatch::batchOps(2, 7, 4), 7 + 4);
    QCOMPARE(TxnBatch::batchOps(100, 7, 4), 100 + 4);
}

void tst_TxnBatch::unknownOpIsNeverBatched()
{
    const QJsonObject odd{{QStringLiteral("success"),
                           QJsonArray{QJsonObject{{QStringLiteral("request_lease"), QJsonObject()}}}}};
    QVERIFY(!TxnBatch::shapeOf(odd).valid);
    QJsonObject badKey = readPrefix("e/");
    badKey[QStringLiteral("compare")] = QJsonArray{QJsonObject{{QStringLiteral("key"), QStringLiteral("%%%")}}};
    QVERIFY(!TxnBatch::shapeOf(badKey).valid);
}

void tst_TxnBatch::overlaps()
{
    const auto shape = [](const QJsonObject &txn) { return TxnBatch::shapeOf(txn); };
    QVERIFY(!TxnBatch::overlaps(shape(join("e/a/1")), shape(join("e/b/1"))));
    QVERIFY(TxnBatch::overlaps(shape(join("e/a/1")), shape(join("e/a/1"))));
    QVERIFY(TxnBatch::overlaps(shape(join("e/a/1")), shape(readPrefix("e/a/"))));
    QVERIFY(!TxnBatch::overlaps(shape(join("e/b/1")), shape(readPrefix("e/a/"))));
    QVERIFY(!TxnBatch::overlaps(shape(join("e/a")), shape(readPrefix("e/a/")))); // "e/a" < "e/a/"
    RangeOptions from;
    from.key = "e/";
    from.rangeEnd = QByteArray("\0", 1);
    const TxnBatch::Shape rest = shape(Codec::txnRequest({}, {Codec::opRange(Codec::rangeRequest(from))}, {}));
    QVERIFY(TxnBatch::overlaps(rest, shape(join("f"))));
    QVERIFY(!TxnBatch::overlaps(rest, shape(join("d"))));
}

void tst_TxnBatch::requestNestsInOrder()
{
    const QJsonObject batch = batchOf({join("e/a/1"), readPrefix("e/")});
    QVERIFY(!batch.contains(QLatin1String("compare")));
    const QJsonArray success = batch.value(QLatin1String("success")).toArray();
    QCOMPARE(success.size(), 2);
    QCOMPARE(success[0].toObject().value(QLatin1String("request_txn")).toObject(), join("e/a/1"));
    QCOMPARE(success[1].toObject().value(QLatin1String("request_txn")).toObject(), readPrefix("e/"));
    // The failure branch never runs (no compare) but etcd checks its permissions: the join's
    // compare (and the failure branch's read of the same key, checked once) and put, the
    // read's range (txnbatch.h).
    const QJsonArray checks = batch.value(QLatin1String("failure")).toArray();
    QCOMPARE(checks.size(), 3);
    const auto keyOf = [](const QJsonValue &op, const char *kind) {
        return Codec::decodeBytes(op.toObject().value(QLatin1String(kind)).toObject().value(QLatin1String("key")));
    };
    QCOMPARE(keyOf(checks[0], "request_range"), QByteArray("e/a/1"));
    QCOMPARE(keyOf(checks[1], "request_delete_range"), QByteArray("e/a/1"));
    QCOMPARE(keyOf(checks[2], "request_range"), QByteArray("e/"));
    QVERIFY(checks[2].toObject().value(QLatin1String("request_range")).toObject().contains(QLatin1String("range_end")));
    QVERIFY(checks[0].toObject().value(QLatin1String("request_range")).toObject().value(QLatin1String("keys_only")).toBool());
}

// A request without a token: etcd with auth on refuses every check for want of a user
// (ErrUserEmpty), whatever its key, so the first member's first check stands for all of them
// (tst_auth::batchWithoutCredentialsIsRefused on a real etcd); the members are all there.
void tst_TxnBatch::requestWithoutUserCarriesOneCheck()
{
    const QJsonObject batch = batchOf({join("e/a/1"), join("e/b/1"), readPrefix("e/")}, TxnBatch::Checks::One);
    QCOMPARE(batch.value(QLatin1String("success")).toArray().size(), 3);
    const QJsonArray checks = batch.value(QLatin1String("failure")).toArray();
    QCOMPARE(checks.size(), 1);
    QCOMPARE(checks[0], batchOf({join("e/a/1"), join("e/b/1"), readPrefix("e/")}).value(QLatin1String("failure")).toArray()[0]);
}

// Captured from etcd 3.4.23 (Debian bookworm) on loopback: a batch of a join that succeeded, a
// guarded put whose compare failed (empty failure branch: etcd answers a bare header) and a
// read of the prefix after both. Nested headers are empty; the read sees the join's put.
void tst_TxnBatch::splitRealAnswer()
{
    const QByteArray body = R"({"header":{"cluster_id":"14710381094203294598","member_id":"13813528830322000157","revision":"3","raft_term":"2"},"succeeded":true,"responses":[{"response_txn":{"header":{},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"3"}}}]}},{"response_txn":{"header":{}}},{"response_txn":{"header":{},"succeeded":true,"responses":[{"response_range":{"header":{"revision":"3"},"kvs":[{"key":"ZS9hLzE=","create_revision":"3","mod_revision":"3","version":"1","value":"eA=="},{"key":"ZS9jLzE=","create_revision":"2","mod_revision":"2","version":"1","value":"eA=="}],"count":"2"}}]}}]})";
    QList<QJsonObject> parts;
    QString why;
    QVERIFY2(TxnBatch::split(QJsonDocument::fromJson(body).object(), 3, &parts, &why), qPrintable(why));
    QCOMPARE(parts.size(), 3);
    for (const QJsonObject &part : parts) {
        const TxnResult t = Codec::parseTxn(part);
        QCOMPARE(t.header.revision, 3); // the batch's header, not the empty nested one
        QCOMPARE(t.header.raftTerm, 2);
    }
    QVERIFY(Codec::parseTxn(parts[0]).succeeded);
    QVERIFY(!Codec::parseTxn(parts[1]).succeeded);
    QVERIFY(Codec::parseTxn(parts[1]).responses.isEmpty());
    const TxnResult read = Codec::parseTxn(parts[2]);
    const RangeResult r = Codec::parseRange(read.responses[0].toObject().value(QLatin1String("response_range")).toObject());
    QCOMPARE(r.kvs.size(), 2);
    QCOMPARE(r.kvs[0].key, QByteArray("e/a/1"));
}

void tst_TxnBatch::splitRejectsWrongAnswers()
{
    QList<QJsonObject> parts;
    QString why;
    const QJsonObject header{{QStringLiteral("revision"), QStringLiteral("5")}};
    const QJsonObject one{{QStringLiteral("header"), header},
                          {QStringLiteral("succeeded"), true},
                          {QStringLiteral("responses"),
                           QJsonArray{QJsonObject{{QStringLiteral("response_txn"), QJsonObject()}}}}};
    QVERIFY(TxnBatch::split(one, 1, &parts, &why));
    QVERIFY(!TxnBatch::split(one, 2, &parts, &why)); // a response missing
    QVERIFY(why.contains(QLatin1String("2 txns answered with 1")));
    QJsonObject notTxn = one;
    notTxn[QStringLiteral("responses")] = QJsonArray{QJsonObject{{QStringLiteral("response_range"), QJsonObject()}}};
    QVERIFY(!TxnBatch::split(notTxn, 1, &parts, &why));
    QVERIFY(why.contains(QLatin1String("not a txn")));
    QVERIFY(!TxnBatch::split(QJsonObject{{QStringLiteral("header"), header}}, 1, &parts, &why));
}

QTEST_GUILESS_MAIN(tst_TxnBatch)
#include "tst_txnbatch.moc"
