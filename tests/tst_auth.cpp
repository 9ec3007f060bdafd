#include <conclave/client.h>
#include <conclave/electiondirectory.h>
#include <conclave/elector.h>

#include "client_p.h"
#include "etcdtestenv.h"
#include "gatewayreply.h"
#include "testutil.h"
#include "watchhub.h"

#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace Conclave;

// etcd auth: a user confined to /app/, wrong passwords, token expiry.
class tst_Auth : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void wrongPassword();
    void insidePrefixWorks();
    void outsidePrefixIsPermissionDenied();
    void watchOutsidePrefixFails();
    void expiredTokenIsRenewedTransparently();
    void electionPrefixOnlyRoleStillElects();
    void readOnlyMonitorSeesEverything();
    void batchWithOneForbiddenTxn();
    void batchWithoutCredentialsIsRefused();

private:
    // Whether any key starts with \a prefix, as root sees it (fails the test if it cannot tell).
    bool existsAsRoot(const QString &prefix) const
    {
        const QString json = m_etcd->etcdctl({QStringLiteral("get"), QStringLiteral("--prefix"), prefix,
                                              QStringLiteral("--keys-only"), QStringLiteral("-w"),
                                              QStringLiteral("json")});
        if (!json.contains(QLatin1String("\"header\"")))
            qFatal("etcdctl get %s answered no header: %s", qPrintable(prefix), qPrintable(json));
        return json.contains(QLatin1String("\"kvs\""));
    }
    std::unique_ptr<EtcdTestEnv> m_etcd;
};

void tst_Auth::initTestCase()
{
    EtcdTestEnv::Options o;
    o.authTokenTtl = 1; // simple tokens expire after 1 s idle
    m_etcd = std::make_unique<EtcdTestEnv>(o);
    QVERIFY2(m_etcd->start(), qPrintable(m_etcd->errorString()));
    QVERIFY(m_etcd->enableAuth(QStringLiteral("app"), QStringLiteral("apppw"), "/app/"));
}

void tst_Auth::cleanup()
{
    m_etcd->dumpLogsIfFailed();
}

void tst_Auth::wrongPassword()
{
    Client client;
    client.setEndpoints(m_etcd->endpoints());
    client.setCredentials(QStringLiteral("app"), QStringLiteral("wrong"));
    QSignalSpy clientErrors(&client, &Client::errorOccurred);
    auto *r = ClientPrivate::get(&client)->range(RangeOptions::ofKey("/app/x"));
    CONCLAVE_AWAIT(r, TestWaitMs);
    QCOMPARE(r->error(), Error::AuthenticationError);
    QVERIFY2(r->errorString().contains(QLatin1String("authentication failed")), qPrintable(r->errorString()));
    QVERIFY2(!r->errorString().contains(QLatin1String("wrong")), "the password leaked into a message");
    QCOMPARE(clientErrors.count(), 1);
    QCOMPARE(client.error(), Error::AuthenticationError);
}

void tst_Auth::insidePrefixWorks()
{
    Client client;
    client.setEndpoints(m_etcd->endpoints());
    client.setCredentials(QStringLiteral("app"), QStringLiteral("apppw"));
    ClientPrivate *d = ClientPrivate::get(&client);
    auto *p = d->put("/app/k", "v");
    CONCLAVE_AWAIT_OK(p);
    auto *r = d->range(RangeOptions::ofPrefix("/app/"));
    CONCLAVE_AWAIT_OK(r);
    QVERIFY(Codec::parseRange(r->json()).count >= 1);
}

void tst_Auth::outsidePrefixIsPermissionDenied()
{
    Client client;
    client.setEndpoints(m_etcd->endpoints());
    client.setCredentials(QStringLiteral("app"), QStringLiteral("apppw"));
    ClientPrivate *d = ClientPrivate::get(&client);
    auto *p = d->put("/other/k", "v");
    CONCLAVE_AWAIT(p, TestWaitMs);
    QCOMPARE(p->error(), Error::PermissionDenied);
    QVERIFY2(p->errorString().contains(QLatin1String("HTTP 403")), qPrintable(p->errorString()));
    auto *r = d->range(RangeOptions::ofPrefix("/ap"));
    CONCLAVE_AWAIT(r, TestWaitMs);
    QCOMPARE(r->error(), Error::PermissionDenied);
}

void tst_Auth::watchOutsidePrefixFails()
{
    Client client;
    client.setEndpoints(m_etcd->endpoints());
    client.setCredentials(QStringLiteral("app"), QStringLiteral("apppw"));
    ClientPrivate *d = ClientPrivate::get(&client);
    std::unique_ptr<Watch> bad(d->watchHub()->watch("/other/", Codec::prefixEnd("/other/"), 1, false, nullptr));
    std::unique_ptr<Watch> good(d->watchHub()->watch("/app/w", {}, 0, false, nullptr));
    QSignalSpy failed(bad.get(), &Watch::failed);
    QSignalSpy created(good.get(), &Watch::created);
    QVERIFY(failed.wait(TestWaitMs));
    QCOMPARE(failed.at(0).at(0).value<Error>(), Error::PermissionDenied);
    QVERIFY(!bad->isActive());
    QVERIFY(created.count() || created.wait(TestWaitMs)); // the other watch is unaffected
}

void tst_Auth::expiredTokenIsRenewedTransparently()
{
    Client client;
    client.setEndpoints(m_etcd->endpoints());
    client.setCredentials(QStringLiteral("app"), QStringLiteral("apppw"));
    ClientPrivate *d = ClientPrivate::get(&client);
    auto *first = d->put("/app/t", "1");
    CONCLAVE_AWAIT_OK(first);
    const QByteArray token = d->auth().token();
    QVERIFY(!token.isEmpty());
    // Wait until etcd has dropped the idle token (its TTL is 1 s): ask etcd itself with the old
    // token, no more often than every 1.5 s (a use would renew it). 3.4 also logged "deleted a
    // simple token"; 3.5 logs nothing, so etcd's answer is the only version-independent sign.
    QNetworkAccessManager nam;
    QElapsedTimer sinceProbe;
    std::unique_ptr<QNetworkReply> probe;
    bool rejected = false;
    QVERIFY(QTest::qWaitFor([&] {
        if (probe && probe->isFinished()) {
            rejected = probe->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 401;
            probe.reset();
        }
        if (!rejected && !probe && (!sinceProbe.isValid() || sinceProbe.elapsed() > 1500)) {
            QNetworkRequest request(QUrl(m_etcd->endpoint().toString() + QStringLiteral("/v3/kv/range")));
            request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
            request.setRawHeader("Authorization", token);
            probe.reset(nam.post(request, QByteArray(R"({"key":"L2FwcC90"})")));
            sinceProbe.start();
        }
        return rejected;
    }, 15000));
    auto *second = d->put("/app/t", "2");
    CONCLAVE_AWAIT_OK(second);
    QVERIFY(d->auth().token() != token);
}

// A role granted exactly the election's prefix (`<election>/`) may not read or write the
// transfer request key beside it: the Electors elect and hand over as before, without
// transfers, and the refused priority request is reported, not fatal.
void tst_Auth::electionPrefixOnlyRoleStillElects()
{
    QVERIFY(m_etcd->addUser(QStringLiteral("narrow"), QStringLiteral("narrowpw"), "/narrow/svc/"));
    Client ca, cb;
    for (Client *c : {&ca, &cb}) {
        c->setEndpoints(m_etcd->endpoints());
        c->setCredentials(QStringLiteral("narrow"), QStringLiteral("narrowpw"));
    }
    Elector a(&ca), b(&cb);
    for (Elector *e : {&a, &b}) {
        e->setElectionName(QStringLiteral("/narrow/svc"));
        e->setTtl(std::chrono::seconds(3));
    }
    a.setCandidateId(QStringLiteral("a"));
    b.setCandidateId(QStringLiteral("b"));
    b.setPriority(5);
    a.campaign();
    QTRY_COMPARE_WITH_TIMEOUT(a.role(), Elector::Role::Leader, TestWaitMs);
    b.campaign();
    QTRY_COMPARE_WITH_TIMEOUT(b.role(), Elector::Role::Follower, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(b.error(), Error::PermissionDenied, TestWaitMs); // its request was refused
    QVERIFY(a.isCampaigning());
    QCOMPARE(a.role(), Elector::Role::Leader);
    QCOMPARE(a.error(), Error::NoError);
    // Its lease lives on: since etcd 3.5.28 a keepalive needs Put permission on every key of
    // the lease, and this lease holds only the candidate's own key. Three TTLs of renewals:
    const qint64 token = a.fencingToken();
    const QDeadlineTimer first = a.leadershipDeadline();
    QTRY_VERIFY_WITH_TIMEOUT(a.leadershipDeadline().deadline() > first.deadline() + 9000, 15000);
    QCOMPARE(a.role(), Elector::Role::Leader);
    QCOMPARE(a.fencingToken(), token);
    QCOMPARE(a.error(), Error::NoError);
    a.resign();
    QTRY_COMPARE_WITH_TIMEOUT(b.role(), Elector::Role::Leader, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(a.role(), Elector::Role::Follower, TestWaitMs);
    QVERIFY(a.isCampaigning() && b.isCampaigning());
}

// A monitor user that may only read the prefix sees every election, its leases' TTLs, the
// causes of handovers and etcd's version, and no poll of it is refused: on etcd 3.5.28-3.5.31
// (and 3.6.9-3.6.11, 3.4.42+) maintenance/status is root-only, so the directory does not use it.
void tst_Auth::readOnlyMonitorSeesEverything()
{
    QVERIFY(m_etcd->addUser(QStringLiteral("viewer"), QStringLiteral("viewerpw"), "/app/", true));
    Client writer, reader;
    writer.setEndpoints(m_etcd->endpoints());
    writer.setCredentials(QStringLiteral("app"), QStringLiteral("apppw"));
    reader.setEndpoints(m_etcd->endpoints());
    reader.setCredentials(QStringLiteral("viewer"), QStringLiteral("viewerpw"));
    Elector e(&writer);
    e.setElectionName(QStringLiteral("/app/viewed"));
    e.setCandidateId(QStringLiteral("w1"));
    e.setTtl(std::chrono::seconds(5));
    e.campaign();
    QTRY_COMPARE_WITH_TIMEOUT(e.role(), Elector::Role::Leader, TestWaitMs);

    ElectionDirectory dir(&reader);
    dir.setPrefix(QStringLiteral("/app/"));
    QSignalSpy errors(&dir, &ElectionDirectory::errorOccurred);
    QSignalSpy polls(&dir, &ElectionDirectory::statusChanged);
    dir.start();
    QTRY_VERIFY_WITH_TIMEOUT(dir.isSynced() && dir.leader(QStringLiteral("/app/viewed")).id() == QStringLiteral("w1"), TestWaitMs);
    dir.setTrackedLeases({e.leaseId()});
    QTRY_COMPARE_WITH_TIMEOUT(dir.leaseStatus(e.leaseId()).state, LeaseStatus::State::Alive, TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!dir.serverVersion().isEmpty(), TestWaitMs);
    QVERIFY2(dir.serverVersion().startsWith(QStringLiteral("3.")), qPrintable(dir.serverVersion()));
    QTRY_VERIFY_WITH_TIMEOUT(polls.count() >= 3, TestWaitMs); // several status polls, all answered
    QVERIFY(dir.isConnected());

    QSignalSpy handovers(&dir, &ElectionDirectory::handoverRecorded);
    const auto resigned = [&] {
        for (const QList<QVariant> &h : std::as_const(handovers))
            if (h.at(0).value<Handover>().previous.isValid())
                return h.at(0).value<Handover>().cause;
        return Handover::Cause::Unknown;
    };
    e.resign(); // its lease is looked up (timetolive) to tell a resign from an expiry
    QTRY_COMPARE_WITH_TIMEOUT(resigned(), Handover::Cause::Resigned, TestWaitMs);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.isEmpty() ? QString() : errors.at(0).at(1).toString()));
    QCOMPARE(dir.error(), Error::NoError);
    e.leave();
}

QTEST_GUILESS_MAIN(tst_Auth)
// A batch is one etcd txn, and etcd refuses all of it when one of its txns touches a key the
// user may not: nothing of it is applied, and each txn is sent again alone, so only the
// forbidden one fails, with its own error.
void tst_Auth::batchWithOneForbiddenTxn()
{
    Client client;
    client.setEndpoints(m_etcd->endpoints());
    client.setCredentials(QStringLiteral("app"), QStringLiteral("apppw"));
    ClientPrivate *d = ClientPrivate::get(&client);
    const auto join = [d](const QByteArray &key) {
        return d->txn({Compare::incarnation(key, 0)}, {Codec::opPut(Codec::putRequest(key, "v"))}, {});
    };
    const ClientPrivate::Traffic before = d->traffic();
    QList<GatewayReply *> allowed;
    for (int i = 0; i < 30; ++i)
        allowed.append(join("/app/batch/" + QByteArray::number(i)));
    GatewayReply *forbidden = join("/elsewhere/batch");
    for (int i = 30; i < 60; ++i)
        allowed.append(join("/app/batch/" + QByteArray::number(i)));
    if (!forbidden->isFinished())
        CONCLAVE_AWAIT(forbidden, TestWaitMs);
    QCOMPARE(forbidden->error(), Error::PermissionDenied);
    for (GatewayReply *r : std::as_const(allowed)) {
        CONCLAVE_AWAIT_DONE_OK(r);
        QVERIFY(Codec::parseTxn(r->json()).succeeded);
    }
    const ClientPrivate::Traffic &after = d->traffic();
    QVERIFY2(after.callsByName.value(QStringLiteral("txn batch")) > before.callsByName.value(QStringLiteral("txn batch")),
             "the txns never shared a batch: the test proves nothing");
    // etcd 3.4.23 and 3.5.16 check no permission inside a nested txn: without the batch's
    // checks (txnbatch.h) the forbidden put went through (found by this test).
    QVERIFY(!existsAsRoot(QStringLiteral("/elsewhere/")));
}

// A Client without credentials on an etcd with auth: etcd 3.4.23 and 3.5.16 would run a nested
// txn even without a user; the batch's checks make etcd refuse it, and each join alone.
void tst_Auth::batchWithoutCredentialsIsRefused()
{
    Client client;
    client.setEndpoints(m_etcd->endpoints());
    ClientPrivate *d = ClientPrivate::get(&client);
    QList<GatewayReply *> joins;
    for (int i = 0; i < 40; ++i) {
        const QByteArray key = "/app/anonymous/" + QByteArray::number(i);
        joins.append(d->txn({Compare::incarnation(key, 0)}, {Codec::opPut(Codec::putRequest(key, "v"))}, {}));
    }
    for (GatewayReply *r : std::as_const(joins)) {
        if (!r->isFinished())
            CONCLAVE_AWAIT(r, TestWaitMs);
        QVERIFY2(r->error() != Error::NoError, "a txn without a user was applied");
    }
    QVERIFY(d->traffic().callsByName.value(QStringLiteral("txn batch")) > 0);
    QVERIFY(!existsAsRoot(QStringLiteral("/app/anonymous/")));
}

#include "tst_auth.moc"
