#include <conclave/client.h>
#include <conclave/clusterstatus.h>

#include "etcdtestenv.h"
#include "testwait.h"

#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QVersionNumber>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace Conclave;
using namespace Qt::StringLiterals;

using namespace std::chrono_literals;

class tst_ClusterStatus : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void oneMember();
    void threeMembersOneDownThenNoQuorum();
    void readOnlyUser();
    void unreachable();

private:
    // The version the harness's etcd binary says it is ("etcd Version: 3.5.30").
    static QVersionNumber etcdVersion()
    {
        QProcess p;
        p.start(EtcdTestEnv::etcdBinary(), {u"--version"_s});
        p.waitForFinished(10000);
        const QRegularExpressionMatch m = QRegularExpression(u"etcd Version: ([0-9.]+)"_s).match(QString::fromUtf8(p.readAllStandardOutput()));
        return m.hasMatch() ? QVersionNumber::fromString(m.captured(1)) : QVersionNumber();
    }
    // Waits for a poll that started after now.
    static bool freshPoll(ClusterStatus &status)
    {
        QSignalSpy spy(&status, &ClusterStatus::updated);
        return spy.wait(TestWaitMs) && (spy.count() > 1 || spy.wait(TestWaitMs));
    }
    static int leaders(const QList<MemberStatus> &members)
    {
        return int(std::count_if(members.cbegin(), members.cend(), [](const MemberStatus &m) { return m.isLeader; }));
    }
};

// One member: everything read, and it leads.
void tst_ClusterStatus::oneMember()
{
    EtcdTestEnv etcd;
    QVERIFY2(etcd.start(), qPrintable(etcd.errorString()));
    Client client;
    client.setEndpoints(etcd.endpoints());
    ClusterStatus status(&client);
    QCOMPARE(status.members().size(), 1); // the configured endpoint, before the first listing
    QCOMPARE(status.leaderState(), ClusterStatus::LeaderState::Unknown);
    status.setInterval(500ms);
    status.start();
    QVERIFY(status.isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(status.updatedAt().isValid(), TestWaitMs);
    const QList<MemberStatus> members = status.members();
    QCOMPARE(members.size(), 1);
    const MemberStatus &m = members.first();
    QVERIFY2(m.problem.isEmpty(), qPrintable(m.problem));
    QVERIFY(status.problem().isEmpty());
    QVERIFY(m.reachable);
    QCOMPARE(m.name, etcd.memberName(0));
    QCOMPARE(m.endpoint, etcd.endpoint(0));
    QCOMPARE(QVersionNumber::fromString(m.version), etcdVersion());
    QVERIFY(m.isLeader);
    QVERIFY2(m.dbSize > 0, qPrintable(QString::number(m.dbSize)));
    QVERIFY(m.raftTerm >= 1);
    QVERIFY(m.id != 0);
    QCOMPARE(status.leaderState(), ClusterStatus::LeaderState::HasLeader);
    QCOMPARE(status.leaderId(), m.id);
    QVERIFY(status.clusterId() != 0);
    status.stop();
    QVERIFY(!status.isRunning());
}

// A 3-member cluster: one raft leader among three reachable members; one member down is
// reported unreachable (the others keep a leader); two down and the last has none.
void tst_ClusterStatus::threeMembersOneDownThenNoQuorum()
{
    EtcdTestEnv::Options three;
    three.members = 3;
    EtcdTestEnv etcd(three);
    QVERIFY2(etcd.start(), qPrintable(etcd.errorString()));
    Client client;
    client.setEndpoints(etcd.endpoints());
    ClusterStatus status(&client);
    status.setInterval(500ms);
    status.start();
    QTRY_VERIFY_WITH_TIMEOUT(status.members().size() == 3 && status.leaderState() == ClusterStatus::LeaderState::HasLeader,
                             TestWaitMs);
    QList<MemberStatus> members = status.members();
    QCOMPARE(leaders(members), 1);
    for (const MemberStatus &m : members) {
        QVERIFY2(m.reachable && m.problem.isEmpty(), qPrintable(m.name + u": "_s + m.problem));
        QVERIFY(m.dbSize > 0);
    }
    // Stop a member that does not lead: the leader stays.
    int down = 0;
    while (members.at(down).isLeader)
        ++down;
    const QString downName = members.at(down).name;
    int downIndex = 0;
    while (etcd.memberName(downIndex) != downName)
        ++downIndex;
    QVERIFY(etcd.kill(downIndex));
    QVERIFY(freshPoll(status));
    members = status.members();
    QCOMPARE(members.size(), 3); // still listed by the others
    for (const MemberStatus &m : members) {
        if (m.name == downName) {
            QVERIFY(!m.reachable);
            QVERIFY2(m.problem.contains(etcd.endpoint(downIndex).toString()), qPrintable(m.problem));
            QVERIFY(!m.isLeader);
        } else {
            QVERIFY2(m.reachable, qPrintable(m.name + u": "_s + m.problem));
        }
    }
    QCOMPARE(status.leaderState(), ClusterStatus::LeaderState::HasLeader);
    QVERIFY2(status.problem().startsWith(downName + u": not reachable"_s), qPrintable(status.problem()));

    // Another one down: the last member loses its leader (after an election timeout).
    int second = 0;
    while (second == downIndex || !etcd.isRunning(second) || etcd.endpoint(second) == client.currentEndpoint())
        ++second;
    QVERIFY(etcd.kill(second));
    QTRY_COMPARE_WITH_TIMEOUT(status.leaderState(), ClusterStatus::LeaderState::NoLeader, TestWaitMs);
    QCOMPARE(leaders(status.members()), 0);
    QCOMPARE(status.leaderId(), 0u);
    int reachable = 0;
    for (const MemberStatus &m : status.members()) {
        if (!m.reachable)
            continue;
        ++reachable;
        QVERIFY2(m.problem.contains(u"no raft leader"_s), qPrintable(m.problem));
        QVERIFY(!m.version.isEmpty());
    }
    QCOMPARE(reachable, 1);
    etcd.dumpLogsIfFailed();
}

// A read-only user: what etcd's rules let it read is shown, what they do not is said. etcd
// 3.5.28-3.5.31 allow maintenance/status to root only; 3.4.23 and 3.5.16 to anyone.
void tst_ClusterStatus::readOnlyUser()
{
    EtcdTestEnv etcd;
    QVERIFY2(etcd.start(), qPrintable(etcd.errorString()));
    QVERIFY(etcd.enableAuth(u"viewer"_s, u"viewerpw"_s, "/svc/", true));
    Client client;
    client.setEndpoints(etcd.endpoints());
    client.setCredentials(u"viewer"_s, u"viewerpw"_s);
    ClusterStatus status(&client);
    status.setInterval(500ms);
    status.start();
    QTRY_VERIFY_WITH_TIMEOUT(status.updatedAt().isValid(), TestWaitMs);
    const MemberStatus m = status.members().value(0);
    QCOMPARE(status.members().size(), 1);
    QCOMPARE(m.name, etcd.memberName(0)); // the member list is open to any user on these versions
    QVERIFY(m.reachable);
    QCOMPARE(QVersionNumber::fromString(m.version), etcdVersion());
    const QVersionNumber v = etcdVersion();
    const bool rootOnly = v >= QVersionNumber(3, 5, 28) && v <= QVersionNumber(3, 5, 31);
    if (rootOnly) {
        QVERIFY2(m.problem.contains(u"status may not be read"_s) && m.problem.contains(u"root"_s), qPrintable(m.problem));
        QCOMPARE(m.dbSize, -1);
        QCOMPARE(m.raftTerm, -1);
        QCOMPARE(status.leaderState(), ClusterStatus::LeaderState::Unknown);
        QVERIFY(status.problem().startsWith(etcd.memberName(0) + u": its status may not be read"_s));
    } else {
        QVERIFY2(m.problem.isEmpty(), qPrintable(m.problem));
        QVERIFY(m.isLeader && m.dbSize > 0);
        QCOMPARE(status.leaderState(), ClusterStatus::LeaderState::HasLeader);
    }
    // Root reads it all on every version.
    Client root;
    root.setEndpoints(etcd.endpoints());
    root.setCredentials(u"root"_s, u"rootpw"_s);
    ClusterStatus asRoot(&root);
    asRoot.start();
    QTRY_VERIFY_WITH_TIMEOUT(asRoot.updatedAt().isValid(), TestWaitMs);
    QVERIFY2(asRoot.problem().isEmpty(), qPrintable(asRoot.problem()));
    QCOMPARE(asRoot.leaderState(), ClusterStatus::LeaderState::HasLeader);
}

// Nothing answers: the configured endpoint is shown unreachable, with the reason.
void tst_ClusterStatus::unreachable()
{
    Client client;
    client.setEndpoints({QUrl(u"http://127.0.0.1:1"_s)});
    client.setRequestTimeout(2s);
    ClusterStatus status(&client);
    status.setInterval(500ms);
    status.start();
    QTRY_VERIFY_WITH_TIMEOUT(status.updatedAt().isValid(), TestWaitMs);
    QCOMPARE(status.members().size(), 1);
    const MemberStatus m = status.members().first();
    QVERIFY(!m.reachable);
    QCOMPARE(m.endpoint, QUrl(u"http://127.0.0.1:1"_s));
    QVERIFY2(m.problem.startsWith(u"not reachable: "_s) && m.problem.contains(u"http://127.0.0.1:1"_s), qPrintable(m.problem));
    QVERIFY2(status.problem().startsWith(u"the member list could not be read"_s), qPrintable(status.problem()));
    QCOMPARE(status.leaderState(), ClusterStatus::LeaderState::Unknown);
    QCOMPARE(m.dbSize, -1);
}

QTEST_GUILESS_MAIN(tst_ClusterStatus)
#include "tst_clusterstatus.moc"
