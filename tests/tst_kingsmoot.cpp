// The kingsmoot adapter shown in README (examples/kingsmoot/kingsmoot.h), against real etcd:
// a kingsmoot-style Candidate sees the same memberships kingsmoot gave it.
#include <conclave/client.h>

#include "kingsmoot.h"

#include "etcdtestenv.h"
#include "testwait.h"

#include <QtTest/QTest>

using namespace Qt::StringLiterals;

class Node : public kingsmoot::Candidate
{
public:
    void updateMembership(const kingsmoot::MemberShip &m) override { memberships.append(m); }
    kingsmoot::MemberShip last() const { return memberships.isEmpty() ? kingsmoot::MemberShip() : memberships.last(); }
    QList<kingsmoot::MemberShip> memberships;
};

class tst_Kingsmoot : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_etcd.start(), qPrintable(m_etcd.errorString())); }
    void memberships();

private:
    EtcdTestEnv m_etcd;
};

void tst_Kingsmoot::memberships()
{
    const QString service = QString::fromUtf8(EtcdTestEnv::uniquePrefix()) + u"akem"_s;
    Node n1, n2; // kingsmoot's candidates outlive the membership: declared before the electors
    Conclave::Client c1, c2;
    c1.setEndpoints(m_etcd.endpoints());
    c2.setEndpoints(m_etcd.endpoints());
    Conclave::Elector e1(&c1), e2(&c2);
    e1.setElectionName(service);
    e2.setElectionName(service);
    kingsmoot::join(&e1, u"http://node1:1234"_s, &n1);
    QTRY_COMPARE_WITH_TIMEOUT(n1.last().role, kingsmoot::Role::Leader, TestWaitMs);
    QCOMPARE(n1.last().leader, u"http://node1:1234"_s);
    kingsmoot::join(&e2, u"http://node2:1234"_s, &n2);
    QTRY_VERIFY_WITH_TIMEOUT(n2.last().role == kingsmoot::Role::Follower && n2.last().leader == u"http://node1:1234"_s, TestWaitMs);

    e1.leave();
    QCOMPARE(n1.last().role, kingsmoot::Role::NotAMember);
    QTRY_VERIFY_WITH_TIMEOUT(n2.last().role == kingsmoot::Role::Leader && n2.last().leader == u"http://node2:1234"_s, TestWaitMs);
}

QTEST_GUILESS_MAIN(tst_Kingsmoot)
#include "tst_kingsmoot.moc"
