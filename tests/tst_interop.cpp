// One election shared by three clients of etcd's election recipe that were written apart:
// Conclave, `etcdctl elect` (Go's clientv3/concurrency) and etcd3 for Node.js, which names its
// keys after its lease in decimal. They must agree on who leads at every moment, and the
// directory must list the election with that leader.
#include <conclave/client.h>
#include <conclave/electiondirectory.h>
#include <conclave/elector.h>

#include "etcdtestenv.h"
#include "testwait.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtCore/QUuid>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <csignal>
#include <memory>

using namespace Conclave;
using namespace Qt::StringLiterals;

namespace {

// Who says it leads, as each participant reports it. Process output is read in full before
// any verdict: a candidate that stops leading says so before its key goes (node prints
// "resigning" first; etcdctl is marked before it is signalled), so whatever a Conclave Elector
// learns from etcd, the earlier "I stopped" is already in the pipe.
struct Witness
{
    QHash<QString, bool> leading;
    QStringList violations;
    QHash<QProcess *, QString> names;
    QHash<QProcess *, QByteArray> pending;
    QHash<QString, QStringList> lines;
    QString etcdctlProposal;

    void watch(QProcess *p, const QString &name)
    {
        names.insert(p, name);
        QObject::connect(p, &QProcess::readyReadStandardOutput, p, [this, p] { drain(p); });
    }
    void drain(QProcess *p)
    {
        pending[p] += p->readAllStandardOutput();
        const QString name = names.value(p);
        for (qsizetype nl; (nl = pending[p].indexOf('\n')) >= 0;) {
            const QString line = QString::fromUtf8(pending[p].left(nl)).trimmed();
            pending[p].remove(0, nl + 1);
            lines[name] << line;
            const QString event = QJsonDocument::fromJson(line.toUtf8()).object().value(u"event"_s).toString();
            if (event == u"elected"_s || (!etcdctlProposal.isEmpty() && line == etcdctlProposal))
                set(name, true);
            else if (event == u"resigning"_s || event == u"resigned"_s || event == u"error"_s)
                set(name, false);
        }
    }
    void drainAll()
    {
        for (auto it = names.cbegin(); it != names.cend(); ++it)
            if (it.key()->state() == QProcess::Running && it.key()->waitForReadyRead(1))
                drain(it.key());
    }
    void set(const QString &name, bool on)
    {
        if (on)
            drainAll();
        leading[name] = on;
        QStringList who;
        for (auto it = leading.cbegin(); it != leading.cend(); ++it)
            if (it.value())
                who << it.key();
        if (who.size() > 1) {
            who.sort();
            violations << who.join(u" and "_s);
        }
    }
    QString leader() const
    {
        for (auto it = leading.cbegin(); it != leading.cend(); ++it)
            if (it.value())
                return it.key();
        return {};
    }
};

} // namespace

class tst_Interop : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void mixedElectionHasOneLeader();

private:
    std::unique_ptr<QProcess> startNode(const QString &name, const QString &proposal);
    std::unique_ptr<EtcdTestEnv> m_etcd;
};

void tst_Interop::initTestCase()
{
    QVERIFY2(QFileInfo(QStringLiteral(CONCLAVE_NODE_BIN)).isExecutable(),
             "node (Node.js) not found: scripts/test installs it (Debian's nodejs and npm)");
    QVERIFY2(QFileInfo::exists(QStringLiteral(CONCLAVE_INTEROP_DIR "/node_modules/etcd3/package.json")),
             "etcd3 for Node.js is not installed in " CONCLAVE_INTEROP_DIR
             ": scripts/test installs it (npm ci there, from tests/interop/package-lock.json)");
    m_etcd = std::make_unique<EtcdTestEnv>();
    QVERIFY2(m_etcd->start(), qPrintable(m_etcd->errorString()));
}

std::unique_ptr<QProcess> tst_Interop::startNode(const QString &name, const QString &proposal)
{
    auto p = std::make_unique<QProcess>();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"NODE_PATH"_s, QStringLiteral(CONCLAVE_INTEROP_DIR "/node_modules")); // the script is in the sources
    p->setProcessEnvironment(env);
    p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p->start(QStringLiteral(CONCLAVE_NODE_BIN),
             {QStringLiteral(CONCLAVE_SOURCE_DIR "/tests/interop/etcd3-candidate.js"),
              m_etcd->endpoint().toString(), name, proposal, u"3"_s});
    return p;
}

void tst_Interop::mixedElectionHasOneLeader()
{
    // etcd3 for Node.js puts election NAME under "election/NAME/"; the others take that path.
    const QString jsName = u"mixed-"_s + QUuid::createUuid().toString(QUuid::Id128).left(12);
    const QString election = u"election/"_s + jsName;
    Witness witness;
    witness.etcdctlProposal = u"etcdctl-c"_s;

    // 1. The Node.js candidate comes first and leads.
    std::unique_ptr<QProcess> node = startNode(jsName, u"node-a"_s);
    witness.watch(node.get(), u"node-a"_s);
    QVERIFY2(node->waitForStarted(TestWaitMs), qPrintable(node->errorString()));
    QTRY_VERIFY_WITH_TIMEOUT(witness.leading.value(u"node-a"_s) || node->state() != QProcess::Running, TestWaitMs);
    QVERIFY2(witness.leading.value(u"node-a"_s), "the etcd3 candidate exited before it was elected (its stderr is above)");
    QString nodeKey;
    for (const QString &line : witness.lines.value(u"node-a"_s))
        if (line.contains(u"\"campaigning\""_s))
            nodeKey = QJsonDocument::fromJson(line.toUtf8()).object().value(u"key"_s).toString();
    QVERIFY2(nodeKey.startsWith(election + u'/'), qPrintable(nodeKey));
    bool decimal = false;
    nodeKey.mid(election.size() + 1).toLongLong(&decimal, 10);
    QVERIFY2(decimal, "etcd3 for Node.js no longer names its keys in decimal: this test lost its point");

    // 2. A Conclave candidate joins behind it and follows it: it must not lead (it did, for 7 s,
    // when keys not in hex were not counted).
    Client client;
    client.setEndpoints(m_etcd->endpoints());
    Elector qt(&client);
    qt.setElectionName(election);
    qt.setCandidateId(u"qt-b"_s);
    qt.setTtl(std::chrono::seconds(3));
    QObject::connect(&qt, &Elector::roleChanged, &qt, [&](Elector::Role role) {
        witness.set(u"qt-b"_s, role == Elector::Role::Leader);
    });
    qt.campaign();
    QTRY_COMPARE_WITH_TIMEOUT(qt.role(), Elector::Role::Follower, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(qt.leader().id(), u"node-a"_s, TestWaitMs);

    // 3. etcdctl queues third.
    std::unique_ptr<QProcess> etcdctl = m_etcd->startEtcdctl({u"elect"_s, election, u"etcdctl-c"_s});
    witness.watch(etcdctl.get(), u"etcdctl-c"_s);

    // 4. The directory finds the election (named after node's decimal lease) and its leader.
    Client monitorClient;
    monitorClient.setEndpoints(m_etcd->endpoints());
    ElectionDirectory dir(&monitorClient);
    dir.setPrefix(u"election/"_s);
    dir.start();
    QTRY_VERIFY_WITH_TIMEOUT(dir.contains(election) && dir.candidates(election).size() == 3, TestWaitMs);
    QCOMPARE(QString::fromUtf8(dir.leader(election).key()), nodeKey);
    QCOMPARE(dir.candidates(election).at(1).id(), u"qt-b"_s);
    QCOMPARE(dir.candidates(election).at(2).value(), QByteArray("etcdctl-c"));
    QVERIFY(dir.strays(election).isEmpty());
    QCOMPARE(witness.leader(), u"node-a"_s);

    // 5. Node resigns: the next in line, Conclave, leads; node joins again at the back.
    node->write("resign\n");
    QTRY_COMPARE_WITH_TIMEOUT(qt.role(), Elector::Role::Leader, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(QString::fromUtf8(dir.leader(election).value()).contains(u"qt-b"_s), true, TestWaitMs);
    node->write("campaign\n");
    QTRY_COMPARE_WITH_TIMEOUT(dir.candidates(election).size(), 3, TestWaitMs);

    // 6. Conclave resigns: etcdctl leads; Conclave joins again at the back.
    qt.resign();
    QTRY_VERIFY_WITH_TIMEOUT(witness.leading.value(u"etcdctl-c"_s), TestWaitMs);
    QCOMPARE(witness.leader(), u"etcdctl-c"_s);
    QTRY_COMPARE_WITH_TIMEOUT(qt.role(), Elector::Role::Follower, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(dir.leader(election).value(), QByteArray("etcdctl-c"), TestWaitMs);

    // 7. etcdctl goes (it resigns on SIGINT): node, queued next, leads; Conclave follows it.
    witness.set(u"etcdctl-c"_s, false);
    ::kill(pid_t(etcdctl->processId()), SIGINT);
    QTRY_COMPARE_WITH_TIMEOUT(etcdctl->state(), QProcess::NotRunning, TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(witness.leading.value(u"node-a"_s), TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(qt.leader().id(), u"node-a"_s, TestWaitMs);
    QCOMPARE(qt.role(), Elector::Role::Follower);

    // 8. Node quits: Conclave leads.
    node->write("quit\n");
    QTRY_COMPARE_WITH_TIMEOUT(qt.role(), Elector::Role::Leader, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(node->state(), QProcess::NotRunning, TestWaitMs);
    QCOMPARE(node->exitCode(), 0);
    witness.drain(node.get());

    QVERIFY2(witness.violations.isEmpty(), qPrintable(u"two leaders at once: "_s + witness.violations.join(u"; "_s)));
    qt.leave();
    m_etcd->dumpLogsIfFailed();
}

QTEST_MAIN(tst_Interop)
#include "tst_interop.moc"
