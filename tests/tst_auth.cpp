#include <conclave/client.h>
#include <conclave/elector.h>

#include "client_p.h"
#include "etcdtestenv.h"
#include "gatewayreply.h"
#include "testutil.h"
#include "watchhub.h"

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

private:
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
    // etcd logs when it drops an idle simple token: wait for that, not for a clock.
    QTRY_VERIFY_WITH_TIMEOUT(m_etcd->logContains(0, "deleted a simple token")
                                     && m_etcd->logContains(0, token), 15000);
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
    a.resign();
    QTRY_COMPARE_WITH_TIMEOUT(b.role(), Elector::Role::Leader, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(a.role(), Elector::Role::Follower, TestWaitMs);
    QVERIFY(a.isCampaigning() && b.isCampaigning());
}

QTEST_GUILESS_MAIN(tst_Auth)
#include "tst_auth.moc"
