#include <conclave/client.h>
#include <conclave/electionobserver.h>
#include <conclave/elector.h>

#include "electorgroup.h"
#include "etcdtestenv.h"

#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace Conclave;

class tst_ElectionObserver : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void followsQueueAndLeader();
    void seesForeignCandidates();
    void reportsBadNameAndUnreachableEtcd();

private:
    EtcdTestEnv m_etcd;
};

void tst_ElectionObserver::initTestCase()
{
    QVERIFY2(m_etcd.start(), qPrintable(m_etcd.errorString()));
}

void tst_ElectionObserver::cleanup()
{
    m_etcd.dumpLogsIfFailed();
}

void tst_ElectionObserver::followsQueueAndLeader()
{
    const QString name = QString::fromUtf8(EtcdTestEnv::uniquePrefix().mid(1)) + QStringLiteral("obs");
    Client client;
    client.setEndpoints(m_etcd.endpoints());
    ElectionObserver observer(&client);
    observer.setElectionName(name);
    QSignalSpy leaders(&observer, &ElectionObserver::leaderChanged);
    observer.start();
    QTRY_VERIFY_WITH_TIMEOUT(observer.isSynced(), TestWaitMs);
    QVERIFY(!observer.leader().isValid());

    ElectorGroup g;
    const auto &electors = g.electors;
    for (const char *id : {"a", "b", "c"}) // TTLs 4, 5, 6 s: each lease tells its candidate
        QVERIFY(ElectorGroup::enqueue(g.add(m_etcd.endpoints(), name, QLatin1String(id),
                                            std::chrono::seconds(electors.size() + 4))));
    // A sub-election's candidate is not one of ours.
    Client subClient;
    subClient.setEndpoints(m_etcd.endpoints());
    Elector sub(&subClient);
    sub.setElectionName(name + QStringLiteral("/sub"));
    sub.campaign();
    QTRY_COMPARE_WITH_TIMEOUT(sub.role(), Elector::Role::Leader, TestWaitMs);

    QTRY_COMPARE_WITH_TIMEOUT(observer.candidates().size(), 3, TestWaitMs);
    QCOMPARE(observer.leader().id(), QStringLiteral("a"));
    QCOMPARE(observer.candidates().at(1).id(), QStringLiteral("b"));
    QCOMPARE(observer.candidates().at(2).id(), QStringLiteral("c"));
    QCOMPARE(observer.leader().fencingToken(), electors[0]->fencingToken());
    QCOMPARE(observer.candidates().at(1).leaseId(), electors[1]->leaseId());
    // Granted TTLs, read once per lease: a 4 s, b 5 s, c 6 s.
    QTRY_COMPARE_WITH_TIMEOUT(observer.grantedTtl(electors[2]->leaseId()), std::chrono::seconds(6), TestWaitMs);
    QCOMPARE(observer.grantedTtl(electors[0]->leaseId()), std::chrono::seconds(4));

    electors[0]->resign(); // a goes to the back
    QTRY_COMPARE_WITH_TIMEOUT(observer.leader().id(), QStringLiteral("b"), TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(observer.candidates().size(), 3, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(observer.candidates().at(2).id(), QStringLiteral("a"), TestWaitMs);
    electors[1]->leave();
    QTRY_COMPARE_WITH_TIMEOUT(observer.leader().id(), QStringLiteral("c"), TestWaitMs);
    // The observer and c learn of b's leaving on different streams: either may be first.
    QTRY_VERIFY_WITH_TIMEOUT(electors[2]->isLeader(), TestWaitMs);
    QCOMPARE(observer.leader().fencingToken(), electors[2]->fencingToken());
    QVERIFY(leaders.count() >= 3);
}

void tst_ElectionObserver::seesForeignCandidates()
{
    const QString name = QString::fromUtf8(EtcdTestEnv::uniquePrefix().mid(1)) + QStringLiteral("foreign");
    // A candidate key as Go's recipe writes it: <name>/<lease hex>, raw value.
    const QString lease = m_etcd.etcdctl({QStringLiteral("lease"), QStringLiteral("grant"), QStringLiteral("30")})
                                  .section(QLatin1Char(' '), 1, 1);
    QVERIFY(!lease.isEmpty());
    QVERIFY(!m_etcd.etcdctl({QStringLiteral("put"), name + QLatin1Char('/') + lease,
                             QStringLiteral("go-proposal"), QStringLiteral("--lease=") + lease}).isNull());
    Client client;
    client.setEndpoints(m_etcd.endpoints());
    ElectionObserver observer(&client);
    observer.setElectionName(name);
    observer.start();
    QTRY_COMPARE_WITH_TIMEOUT(observer.leader().id(), QStringLiteral("go-proposal"), TestWaitMs);
    QCOMPARE(observer.leader().value(), QByteArray("go-proposal"));
    QCOMPARE(observer.leader().leaseId(), lease.toLongLong(nullptr, 16)); // etcdctl pads the hex
}

void tst_ElectionObserver::reportsBadNameAndUnreachableEtcd()
{
    Client client;
    client.setEndpoints({QUrl(QStringLiteral("http://127.0.0.1:1"))});
    client.setRequestTimeout(std::chrono::seconds(2));
    ElectionObserver observer(&client);
    QSignalSpy names(&observer, &ElectionObserver::electionNameChanged);
    QSignalSpy errors(&observer, &ElectionObserver::errorOccurred);
    QSignalSpy errorChanges(&observer, &ElectionObserver::errorChanged);
    observer.setProperty("electionName", QStringLiteral("jobs/"));
    QCOMPARE(names.count(), 1);
    observer.start();
    QCOMPARE(errors.count(), 0); // from the event loop, never from inside start()
    QVERIFY(errors.wait(2000));
    QCOMPARE(observer.error(), Error::InvalidArgument);
    QVERIFY(observer.errorString().contains(QLatin1String("ends with '/'")));
    QCOMPARE(errorChanges.count(), 1);
    QVERIFY(!observer.isRunning());

    observer.setElectionName(QStringLiteral("jobs"));
    observer.start();
    QTRY_COMPARE_WITH_TIMEOUT(observer.error(), Error::ConnectionError, TestWaitMs);
    QVERIFY(observer.errorString().contains(QLatin1String("127.0.0.1:1")));
    QVERIFY(!observer.property("synced").toBool());
    QVERIFY(observer.property("candidates").value<QList<LeaderInfo>>().isEmpty());
}

QTEST_GUILESS_MAIN(tst_ElectionObserver)
#include "tst_electionobserver.moc"
