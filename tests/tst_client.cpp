#include <conclave/client.h>

#include "client_p.h"
#include "election.h"
#include "etcdtestenv.h"
#include "gatewayreply.h"
#include "testutil.h"

#include <QtCore/QRandomGenerator>
#include <QtNetwork/QTcpServer>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace Conclave;

// Unary KV, txn and lease calls against a real etcd.
class tst_Client : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void kvRoundTripBinary();
    void prefixRangeSortAndLimit();
    void positionReadIsConstantSize();
    void deleteRangeWithPrevKv();
    void txnCreateIfAbsentHasOneWinner();
    void txnCompareTargets();
    void concurrentTxnsTravelInBatches();
    void clashingTxnsNeverShareABatch();
    void batchForAnUnknownLeaseFailsItsPutsAtOnce();
    void leaseLifecycle();
    void keysVanishOnLeaseExpiry();
    void keepAliveOnExpiredLeaseReportsLoss();
    void int64LeaseIdsSurvive();
    void replyContract();
    void idleOnlyWhenNothingIsInFlight();
    void invalidEndpointsRejected_data();
    void invalidEndpointsRejected();
    void unreachableEndpoint();
    void wrongPathIsGatewayError();
    void gatewayRejectsBadRequest();

private:
    void verifyBatched(const ClientPrivate::Traffic &before, qint64 txns);
    EtcdTestEnv m_etcd;
    std::unique_ptr<Client> m_client;
    ClientPrivate *d = nullptr;
    QByteArray m_prefix;
};

void tst_Client::initTestCase()
{
    QVERIFY2(m_etcd.start(), qPrintable(m_etcd.errorString()));
}

void tst_Client::init()
{
    m_client = std::make_unique<Client>();
    m_client->setEndpoints(m_etcd.endpoints());
    d = ClientPrivate::get(m_client.get());
    m_prefix = EtcdTestEnv::uniquePrefix();
}

void tst_Client::cleanup()
{
    m_etcd.dumpLogsIfFailed();
    if (auto *r = d->deleteRange(m_prefix, Codec::prefixEnd(m_prefix))) {
        QSignalSpy spy(r, &GatewayReply::finished);
        spy.wait(5000);
    }
    m_client.reset();
}

void tst_Client::kvRoundTripBinary()
{
    const QByteArray key = m_prefix + QByteArray("bin\0key\xff", 8);
    const QByteArray value("\x00\x01\xfe\xff not utf-8 \xc3\x28", 16);
    auto *put = d->put(key, value);
    CONCLAVE_AWAIT_OK(put);
    QVERIFY(put->header().revision > 0);

    RangeOptions o;
    o.key = key;
    auto *get = d->range(o);
    CONCLAVE_AWAIT_OK(get);
    bool ok = false;
    const RangeResult r = Codec::parseRange(get->json(), &ok);
    QVERIFY(ok);
    QCOMPARE(r.kvs.size(), 1);
    QCOMPARE(r.kvs[0].key, key);
    QCOMPARE(r.kvs[0].value, value);
    QCOMPARE(r.kvs[0].createRevision, put->header().revision);

    // An empty value is omitted on the wire and must read back as empty, not missing.
    auto *putEmpty = d->put(m_prefix + "empty", QByteArray());
    CONCLAVE_AWAIT_OK(putEmpty);
    o.key = m_prefix + "empty";
    auto *getEmpty = d->range(o);
    CONCLAVE_AWAIT_OK(getEmpty);
    const RangeResult e = Codec::parseRange(getEmpty->json(), &ok);
    QCOMPARE(e.kvs.size(), 1);
    QVERIFY(e.kvs[0].value.isEmpty());
}

// The Elector's position read: the key just ahead (max_create_revision, descending, limit 1,
// keys only) and the head (ascending, limit 1), in one serializable read-only txn, as etcd's
// gateway answers them.
void tst_Client::positionReadIsConstantSize()
{
    const QString election = QString::fromUtf8(m_prefix) + QStringLiteral("pos");
    QList<qint64> created;
    for (const char *k : {"c", "a", "d", "b"}) { // create order c, a, d, b
        auto *p = d->put(Election::prefix(election) + k, k);
        CONCLAVE_AWAIT_OK(p);
        created << p->header().revision;
    }
    QJsonArray ranges;
    for (RangeOptions o : {Election::predecessorRange(election, created[2]), Election::headRange(election)}) {
        o.serializable = true;
        ranges.append(Codec::opRange(Codec::rangeRequest(o)));
    }
    auto *txn = d->readTxn(ranges);
    CONCLAVE_AWAIT_OK(txn);
    const TxnResult t = Codec::parseTxn(txn->json());
    QCOMPARE(t.responses.size(), 2);
    const RangeResult before = Codec::parseRange(t.responses[0].toObject().value(QLatin1String("response_range")).toObject());
    const RangeResult head = Codec::parseRange(t.responses[1].toObject().value(QLatin1String("response_range")).toObject());
    QCOMPARE(before.kvs.size(), 1); // only the one just ahead of "d", not all three
    QCOMPARE(before.kvs[0].key, Election::prefix(election) + "a");
    QCOMPARE(before.kvs[0].createRevision, created[1]);
    QVERIFY(before.kvs[0].value.isEmpty()); // keys only
    QVERIFY(before.more);
    QCOMPARE(head.kvs.size(), 1);
    QCOMPARE(head.kvs[0].value, QByteArray("c"));
    QVERIFY(t.header.revision >= created[3]);

    // Nothing ahead of the oldest key.
    auto *none = d->range(Election::predecessorRange(election, created[0]));
    CONCLAVE_AWAIT_OK(none);
    QVERIFY(Codec::parseRange(none->json()).kvs.isEmpty());
}

void tst_Client::prefixRangeSortAndLimit()
{
    // Created in the order c, a, b: key order and create order differ.
    for (const char *k : {"c", "a", "b"}) {
        auto *p = d->put(m_prefix + "q/" + k, k);
        CONCLAVE_AWAIT_OK(p);
    }
    auto *outside = d->put(m_prefix + "q0", "not in the prefix");
    CONCLAVE_AWAIT_OK(outside);

    RangeOptions o;
    o.key = m_prefix + "q/";
    o.rangeEnd = Codec::prefixEnd(o.key);
    auto *byKey = d->range(o);
    CONCLAVE_AWAIT_OK(byKey);
    RangeResult r = Codec::parseRange(byKey->json());
    QCOMPARE(r.kvs.size(), 3);
    QCOMPARE(r.kvs[0].value, QByteArray("a"));
    QCOMPARE(r.kvs[2].value, QByteArray("c"));

    o.sortTarget = RangeOptions::SortTarget::Create;
    o.sortOrder = RangeOptions::SortOrder::Ascend;
    o.limit = 2;
    auto *byCreate = d->range(o);
    CONCLAVE_AWAIT_OK(byCreate);
    r = Codec::parseRange(byCreate->json());
    QCOMPARE(r.kvs.size(), 2);
    QCOMPARE(r.kvs[0].value, QByteArray("c"));
    QCOMPARE(r.kvs[1].value, QByteArray("a"));
    QVERIFY(r.more);
    QCOMPARE(r.count, 3);

    o.limit = 0;
    o.countOnly = true;
    auto *count = d->range(o);
    CONCLAVE_AWAIT_OK(count);
    r = Codec::parseRange(count->json());
    QCOMPARE(r.count, 3);
    QVERIFY(r.kvs.isEmpty());

    o.countOnly = false;
    o.keysOnly = true;
    auto *keys = d->range(o);
    CONCLAVE_AWAIT_OK(keys);
    r = Codec::parseRange(keys->json());
    QCOMPARE(r.kvs.size(), 3);
    QVERIFY(r.kvs[0].value.isEmpty());
    QCOMPARE(r.kvs[0].key, m_prefix + "q/c");
}

void tst_Client::deleteRangeWithPrevKv()
{
    for (const char *k : {"x", "y"}) {
        auto *p = d->put(m_prefix + "d/" + k, k);
        CONCLAVE_AWAIT_OK(p);
    }
    auto *del = d->deleteRange(m_prefix + "d/", Codec::prefixEnd(m_prefix + "d/"), true);
    CONCLAVE_AWAIT_OK(del);
    QCOMPARE(Codec::decodeInt(del->json().value(QLatin1String("deleted"))), 2);
    QCOMPARE(del->json().value(QLatin1String("prev_kvs")).toArray().size(), 2);
    auto *again = d->deleteRange(m_prefix + "d/x");
    CONCLAVE_AWAIT_OK(again);
    QCOMPARE(Codec::decodeInt(again->json().value(QLatin1String("deleted"))), 0);
}

void tst_Client::txnCreateIfAbsentHasOneWinner()
{
    const QByteArray key = m_prefix + "leader";
    auto makeTxn = [&](const QByteArray &who) {
        Compare c;
        c.key = key;
        c.target = Compare::Target::Create;
        c.number = 0;
        return d->txn({c}, {Codec::opPut(Codec::putRequest(key, who))},
                      {Codec::opRange(Codec::rangeRequest(RangeOptions::ofKey(key)))});
    };
    // Two clients race; both requests are in flight before either finishes.
    Client other;
    other.setEndpoints(m_etcd.endpoints());
    auto *a = makeTxn("a");
    ClientPrivate *od = ClientPrivate::get(&other);
    Compare c;
    c.key = key;
    c.target = Compare::Target::Create;
    auto *b = od->txn({c}, {Codec::opPut(Codec::putRequest(key, "b"))},
                      {Codec::opRange(Codec::rangeRequest(RangeOptions::ofKey(key)))});
    CONCLAVE_AWAIT_OK(a);
    if (!b->isFinished())
        CONCLAVE_AWAIT(b, TestWaitMs);
    QCOMPARE(b->error(), Error::NoError);
    const TxnResult ta = Codec::parseTxn(a->json());
    const TxnResult tb = Codec::parseTxn(b->json());
    QVERIFY(ta.succeeded != tb.succeeded);
    const TxnResult &loser = ta.succeeded ? tb : ta;
    const QByteArray winner = ta.succeeded ? "a" : "b";
    const RangeResult seen = Codec::parseRange(
            loser.responses.at(0).toObject().value(QLatin1String("response_range")).toObject());
    QCOMPARE(seen.kvs.size(), 1);
    QCOMPARE(seen.kvs[0].value, winner);
}

// Since \a before, \a txns txns went out in batches: at least one, and fewer than half as many calls.
void tst_Client::verifyBatched(const ClientPrivate::Traffic &before, qint64 txns)
{
    const ClientPrivate::Traffic &after = d->traffic();
    const qint64 batches = after.callsByName.value(QStringLiteral("txn batch")) - before.callsByName.value(QStringLiteral("txn batch"));
    const qint64 calls = after.calls - before.calls;
    QVERIFY2(batches >= 1, "no batch formed");
    QVERIFY2(calls < txns / 2, qPrintable(QStringLiteral("%1 txns took %2 calls").arg(txns).arg(calls)));
    qInfo("%lld txns in %lld calls, %lld of them batches", txns, calls, batches);
}

// Txns waiting for a place on the wire go out together as one etcd txn (txnbatch.h): each
// caller gets its own answer, and a read-only txn of a batch sees every write of it, as the
// header's revision says (what a watch from revision + 1 relies on).
void tst_Client::concurrentTxnsTravelInBatches()
{
    const ClientPrivate::Traffic before = d->traffic();
    QList<GatewayReply *> joins, reads;
    for (int i = 0; i < 300; ++i) {
        const QByteArray key = m_prefix + "b/" + QByteArray::number(i);
        joins.append(d->txn({Compare::incarnation(key, 0)}, {Codec::opPut(Codec::putRequest(key, QByteArray::number(i)))},
                            {Codec::opRange(Codec::rangeRequest(RangeOptions::ofKey(key)))}));
        if (i % 10 == 0)
            reads.append(d->readTxn({Codec::opRange(Codec::rangeRequest(RangeOptions::ofPrefix(m_prefix + "b/")))}));
    }
    QMap<QByteArray, qint64> created; // key -> create revision, from the joins' answers
    for (int i = 0; i < joins.size(); ++i) {
        GatewayReply *r = joins.at(i);
        CONCLAVE_AWAIT_DONE_OK(r);
        const TxnResult t = Codec::parseTxn(r->json());
        QVERIFY2(t.succeeded, qPrintable(QStringLiteral("join %1 found its key taken").arg(i)));
        QVERIFY(t.header.revision > 0);
        created.insert(m_prefix + "b/" + QByteArray::number(i), t.header.revision);
    }
    for (GatewayReply *r : std::as_const(reads)) {
        CONCLAVE_AWAIT_DONE_OK(r);
        const TxnResult t = Codec::parseTxn(r->json());
        const RangeResult seen = Codec::parseRange(
                t.responses.at(0).toObject().value(QLatin1String("response_range")).toObject());
        QSet<QByteArray> keys;
        for (const KeyValue &kv : seen.kvs) {
            QVERIFY(kv.createRevision <= t.header.revision);
            keys.insert(kv.key);
        }
        for (auto it = created.cbegin(); it != created.cend(); ++it)
            QVERIFY2(it.value() > t.header.revision || keys.contains(it.key()),
                     qPrintable(QStringLiteral("a read at revision %1 misses %2, created at %3")
                                        .arg(t.header.revision).arg(QString::fromUtf8(it.key())).arg(it.value())));
    }
    verifyBatched(before, 330);
}

// Txns that write a key another txn of the batch touches wait for the next batch: etcd would
// refuse a batch that puts one key twice, and a txn would see another's write it did not ask
// to see. Each of these goes alone, and all apply in the order they were made.
void tst_Client::clashingTxnsNeverShareABatch()
{
    const QByteArray key = m_prefix + "same";
    const ClientPrivate::Traffic before = d->traffic();
    QList<GatewayReply *> puts;
    for (int i = 0; i < 40; ++i) {
        Compare any;
        any.key = key;
        any.target = Compare::Target::Version;
        any.result = Compare::Result::Greater;
        any.number = -1; // always true, and so guarded
        puts.append(d->txn({any}, {Codec::opPut(Codec::putRequest(key, QByteArray::number(i)))}, {}));
    }
    for (GatewayReply *r : std::as_const(puts)) {
        CONCLAVE_AWAIT_DONE_OK(r);
        QVERIFY(Codec::parseTxn(r->json()).succeeded);
    }
    const ClientPrivate::Traffic &after = d->traffic();
    QCOMPARE(after.callsByName.value(QStringLiteral("txn batch")), before.callsByName.value(QStringLiteral("txn batch")));
    QCOMPARE(after.calls - before.calls, 40);
    auto *get = d->range(RangeOptions::ofKey(key));
    CONCLAVE_AWAIT_OK(get);
    const RangeResult r = Codec::parseRange(get->json());
    QCOMPARE(r.kvs.value(0).version, 40); // each applied once (calls on different connections
                                          // have no order, so which came last is not asked)
}

// A batch that puts with a lease etcd no longer knows is refused whole. Each of those puts
// would be refused alone just the same, so they fail at once (LeaseLost), and only the members
// that name no lease are sent again on their own. Sent one by one, 1,000 doomed creates after a
// lease loss held back the new lease's grant (chaos --shards 1000, seed 2810).
void tst_Client::batchForAnUnknownLeaseFailsItsPutsAtOnce()
{
    auto *grant = d->leaseGrant(30);
    CONCLAVE_AWAIT_OK(grant);
    const qint64 lease = Codec::decodeInt(grant->json().value(QLatin1String("ID")));
    auto *revoke = d->leaseRevoke(lease);
    CONCLAVE_AWAIT_OK(revoke);
    const ClientPrivate::Traffic before = d->traffic();
    QList<GatewayReply *> joins, reads;
    for (int i = 0; i < 200; ++i) {
        const QByteArray key = m_prefix + "gone/" + QByteArray::number(i);
        joins.append(d->txn({Compare::incarnation(key, 0)}, {Codec::opPut(Codec::putRequest(key, "v", lease))},
                            {Codec::opRange(Codec::rangeRequest(RangeOptions::ofKey(key)))}));
        if (i % 20 == 0)
            reads.append(d->readTxn({Codec::opRange(Codec::rangeRequest(RangeOptions::ofPrefix(m_prefix + "gone/")))}));
    }
    for (GatewayReply *r : std::as_const(joins)) {
        if (!r->isFinished())
            CONCLAVE_AWAIT(r, 20000);
        QCOMPARE(r->error(), Error::LeaseLost);
    }
    for (GatewayReply *r : std::as_const(reads))
        CONCLAVE_AWAIT_DONE_OK(r);
    verifyBatched(before, 220);
}

void tst_Client::txnCompareTargets()
{
    const QByteArray key = m_prefix + "cmp";
    auto *p = d->put(key, "v1");
    CONCLAVE_AWAIT_OK(p);
    const qint64 rev = p->header().revision;
    struct Case { Compare::Target target; qint64 number; QByteArray value; bool expected; };
    const QList<Case> cases{{Compare::Target::Create, rev, {}, true},
                            {Compare::Target::Mod, rev, {}, true},
                            {Compare::Target::Version, 1, {}, true},
                            {Compare::Target::Value, 0, "v1", true},
                            {Compare::Target::Value, 0, "v2", false},
                            {Compare::Target::Lease, 0, {}, true},
                            {Compare::Target::Create, rev + 1, {}, false}};
    for (const Case &k : cases) {
        Compare c;
        c.key = key;
        c.target = k.target;
        c.number = k.number;
        c.value = k.value;
        auto *t = d->txn({c}, {}, {});
        CONCLAVE_AWAIT_OK(t);
        QCOMPARE(Codec::parseTxn(t->json()).succeeded, k.expected);
    }
}

void tst_Client::leaseLifecycle()
{
    auto *grant = d->leaseGrant(30);
    CONCLAVE_AWAIT_OK(grant);
    const qint64 id = Codec::decodeInt(grant->json().value(QLatin1String("ID")));
    QVERIFY(id != 0);
    QCOMPARE(Codec::decodeInt(grant->json().value(QLatin1String("TTL"))), 30);

    const QByteArray key = m_prefix + "leased";
    auto *put = d->put(key, "x", id);
    CONCLAVE_AWAIT_OK(put);

    auto *ka = d->leaseKeepAlive(id);
    CONCLAVE_AWAIT_OK(ka);
    QCOMPARE(Codec::decodeInt(ka->json().value(QLatin1String("TTL"))), 30);

    auto *ttl = d->leaseTimeToLive(id, true);
    CONCLAVE_AWAIT_OK(ttl);
    QCOMPARE(Codec::decodeInt(ttl->json().value(QLatin1String("grantedTTL"))), 30);
    QVERIFY(Codec::decodeInt(ttl->json().value(QLatin1String("TTL"))) > 25);
    const QJsonArray keys = ttl->json().value(QLatin1String("keys")).toArray();
    QCOMPARE(keys.size(), 1);
    QCOMPARE(Codec::decodeBytes(keys[0]), key);

    auto *list = d->leases();
    CONCLAVE_AWAIT_OK(list);
    bool listed = false;
    for (const QJsonValue &l : list->json().value(QLatin1String("leases")).toArray())
        listed = listed || Codec::decodeInt(l.toObject().value(QLatin1String("ID"))) == id;
    QVERIFY(listed);

    auto *revoke = d->leaseRevoke(id);
    CONCLAVE_AWAIT_OK(revoke);
    RangeOptions o;
    o.key = key;
    auto *get = d->range(o);
    CONCLAVE_AWAIT_OK(get);
    QVERIFY(Codec::parseRange(get->json()).kvs.isEmpty());

    auto *again = d->leaseRevoke(id);
    CONCLAVE_AWAIT(again, TestWaitMs);
    QCOMPARE(again->error(), Error::LeaseLost);
    auto *gone = d->leaseTimeToLive(id);
    CONCLAVE_AWAIT(gone, TestWaitMs);
    QCOMPARE(gone->error(), Error::LeaseLost);
}

void tst_Client::keysVanishOnLeaseExpiry()
{
    auto *grant = d->leaseGrant(2);
    CONCLAVE_AWAIT_OK(grant);
    const qint64 id = Codec::decodeInt(grant->json().value(QLatin1String("ID")));
    auto *put = d->put(m_prefix + "short", "x", id);
    CONCLAVE_AWAIT_OK(put);
    RangeOptions o;
    o.key = m_prefix + "short";
    o.countOnly = true;
    qint64 count = 1;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        auto *r = d->range(o);
        QSignalSpy s(r, &GatewayReply::finished);
        s.wait(5000);
        count = Codec::parseRange(r->json()).count;
        r->deleteLater();
        return count == 0;
    }()), 8000);
}

void tst_Client::keepAliveOnExpiredLeaseReportsLoss()
{
    auto *grant = d->leaseGrant(2);
    CONCLAVE_AWAIT_OK(grant);
    const qint64 id = Codec::decodeInt(grant->json().value(QLatin1String("ID")));
    // Wait for expiry by polling timetolive (it reports -1 once the lease is gone).
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        auto *r = d->leaseTimeToLive(id);
        QSignalSpy s(r, &GatewayReply::finished);
        s.wait(5000);
        r->deleteLater();
        return r->error() == Error::LeaseLost;
    }()), 8000);
    auto *ka = d->leaseKeepAlive(id);
    CONCLAVE_AWAIT(ka, TestWaitMs);
    QCOMPARE(ka->error(), Error::LeaseLost);
    QVERIFY2(ka->errorString().contains(QString::number(id)), qPrintable(ka->errorString()));
    auto *unknown = d->leaseKeepAlive(4242);
    CONCLAVE_AWAIT(unknown, TestWaitMs);
    QCOMPARE(unknown->error(), Error::LeaseLost);
}

void tst_Client::int64LeaseIdsSurvive()
{
    // An ID above 2^53 chosen by us: would be corrupted if sent as a JSON number.
    const qint64 big = Q_INT64_C(9007199254740993) + QRandomGenerator::global()->bounded(1000000);
    auto *grant = d->post(QStringLiteral("lease grant"), "/v3/lease/grant",
                          {{QStringLiteral("TTL"), QStringLiteral("20")},
                           {QStringLiteral("ID"), Codec::encodeInt(big)}},
                          ClientPrivate::Retry::IfNotSent);
    CONCLAVE_AWAIT_OK(grant);
    QCOMPARE(Codec::decodeInt(grant->json().value(QLatin1String("ID"))), big);
    auto *ka = d->leaseKeepAlive(big);
    CONCLAVE_AWAIT_OK(ka);
    auto *dup = d->post(QStringLiteral("lease grant"), "/v3/lease/grant",
                        {{QStringLiteral("TTL"), QStringLiteral("20")},
                         {QStringLiteral("ID"), Codec::encodeInt(big)}},
                        ClientPrivate::Retry::IfNotSent);
    CONCLAVE_AWAIT(dup, TestWaitMs);
    // FailedPrecondition (9), classified by its code: Debian's 3.4.23 (grpc-gateway 1.6.4) answers
    // 412, every later gateway (upstream 3.5's v1.16, Debian's 3.5 and 3.6's v2) answers 400.
    QCOMPARE(dup->error(), Error::InvalidArgument);
    QCOMPARE(dup->grpcCode(), 9);
    QVERIFY2(dup->httpStatus() == 412 || dup->httpStatus() == 400, qPrintable(dup->errorString()));
    QVERIFY(dup->errorString().contains(QLatin1String("lease already exists")));
    auto *revoke = d->leaseRevoke(big);
    CONCLAVE_AWAIT_OK(revoke);
}

void tst_Client::replyContract()
{
    RangeOptions o;
    o.key = m_prefix + "none";
    auto *r = d->range(o);
    QSignalSpy spy(r, &GatewayReply::finished);
    QVERIFY(!r->isFinished());
    QCOMPARE(spy.count(), 0); // never finished from inside the call that started it
    QVERIFY(spy.wait(TestWaitMs));
    // finished() is always queued: a second one would be among the posted events now.
    QCoreApplication::sendPostedEvents();
    QCoreApplication::processEvents();
    QCOMPARE(spy.count(), 1); // exactly once

    auto *aborted = d->range(o);
    QSignalSpy abortSpy(aborted, &GatewayReply::finished);
    aborted->abort();
    QCOMPARE(abortSpy.count(), 0);
    QVERIFY(abortSpy.wait(5000));
    QCOMPARE(aborted->error(), Error::Cancelled);
    aborted->abort(); // harmless
    QCoreApplication::sendPostedEvents();
    QCoreApplication::processEvents();
    QCOMPARE(abortSpy.count(), 1);
}

// A call that ends and another that starts in the same turn of the event loop (leave(): the
// keepalive aborted, the lease revoke sent) must not look like idle: a program that quits on
// idle() would drop the revoke.
void tst_Client::idleOnlyWhenNothingIsInFlight()
{
    QSignalSpy idle(m_client.get(), &Client::idle);
    GatewayReply *first = d->range(RangeOptions::ofKey(m_prefix + "a"));
    first->abort(); // finished: nothing in flight for a moment
    GatewayReply *second = d->range(RangeOptions::ofKey(m_prefix + "b"));
    bool idleWhileInFlight = false;
    connect(m_client.get(), &Client::idle, this, [&] { idleWhileInFlight = idleWhileInFlight || !second->isFinished(); });
    QSignalSpy done(second, &GatewayReply::finished);
    QVERIFY(done.wait(TestWaitMs));
    QTRY_COMPARE_WITH_TIMEOUT(idle.count(), 1, TestWaitMs);
    QVERIFY(!idleWhileInFlight);
    delete first;
    delete second;
}

void tst_Client::invalidEndpointsRejected_data()
{
    QTest::addColumn<QList<QUrl>>("endpoints");
    QTest::addColumn<QString>("hint");
    QTest::newRow("empty") << QList<QUrl>{} << QStringLiteral("no etcd endpoints");
    QTest::newRow("scheme") << QList<QUrl>{QUrl(QStringLiteral("ftp://127.0.0.1:2379"))}
                            << QStringLiteral("scheme");
    QTest::newRow("no port") << QList<QUrl>{QUrl(QStringLiteral("http://127.0.0.1"))}
                             << QStringLiteral("no port");
    QTest::newRow("path") << QList<QUrl>{QUrl(QStringLiteral("http://127.0.0.1:2379/v3"))}
                          << QStringLiteral("path");
    QTest::newRow("garbage") << QList<QUrl>{QUrl(QStringLiteral("::not a url::"))}
                             << QStringLiteral("invalid etcd endpoint");
}

void tst_Client::invalidEndpointsRejected()
{
    QFETCH(QList<QUrl>, endpoints);
    QFETCH(QString, hint);
    Client client;
    client.setEndpoints(m_etcd.endpoints());
    QSignalSpy errors(&client, &Client::errorOccurred);
    client.setEndpoints(endpoints);
    QCOMPARE(errors.count(), 0); // queued, like every error
    QVERIFY(errors.wait(2000));
    QCOMPARE(errors.at(0).at(0).value<Error>(), Error::InvalidArgument);
    QVERIFY2(errors.at(0).at(1).toString().contains(hint), qPrintable(errors.at(0).at(1).toString()));
    QCOMPARE(client.endpoints(), m_etcd.endpoints()); // nothing lost
}

void tst_Client::unreachableEndpoint()
{
    Client client;
    // A port nobody listens on (the harness's port picker returns free ones).
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    client.setEndpoints({QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port))});
    RangeOptions o;
    o.key = "k";
    auto *r = ClientPrivate::get(&client)->range(o);
    CONCLAVE_AWAIT(r, TestWaitMs);
    QCOMPARE(r->error(), Error::ConnectionError);
    QVERIFY2(r->errorString().contains(QString::number(port)), qPrintable(r->errorString()));
    QVERIFY2(r->errorString().contains(QLatin1String("range")), qPrintable(r->errorString()));
}

void tst_Client::wrongPathIsGatewayError()
{
    auto *r = d->post(QStringLiteral("bogus"), "/v3alpha/kv/range", {}, ClientPrivate::Retry::Always);
    CONCLAVE_AWAIT(r, TestWaitMs);
    QCOMPARE(r->error(), Error::GatewayError);
    QCOMPARE(r->httpStatus(), 404);
    QVERIFY2(r->errorString().contains(QLatin1String("HTTP 404")), qPrintable(r->errorString()));
}

void tst_Client::gatewayRejectsBadRequest()
{
    auto *r = d->post(QStringLiteral("put"), "/v3/kv/put", {{QStringLiteral("value"), QStringLiteral("eA==")}},
                      ClientPrivate::Retry::IfNotSent);
    CONCLAVE_AWAIT(r, TestWaitMs);
    QCOMPARE(r->error(), Error::InvalidArgument);
    QCOMPARE(r->grpcCode(), 3);
    QVERIFY2(r->errorString().contains(QLatin1String("key is not provided")), qPrintable(r->errorString()));
}

QTEST_GUILESS_MAIN(tst_Client)
#include "tst_client.moc"
