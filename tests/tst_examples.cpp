// The examples as their users run them, against a real etcd: minimal prints its role, the
// worker hands its job over without overlap and followers follow the leader's address, the
// command-line programs leave on SIGTERM without spinning, the widgets window joins and leads.
#include "etcdtestenv.h"
#include "testwait.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QScopeGuard>
#include <QtTest/QTest>

#include <csignal>
#include <unistd.h>

using namespace Qt::StringLiterals;

class tst_Examples : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void minimal();
    void workerHandover();
    void candidatePriorityAndEligibility();
    void workerOfHigherPriorityTakesTheJob();
    void badPriority_data();
    void badPriority();
    void leavingWhileEtcdIsPausedWaitsIdly_data();
    void leavingWhileEtcdIsPausedWaitsIdly();
    void widgets();

private:
    // A running example and everything it printed so far.
    struct Proc
    {
        std::unique_ptr<QProcess> process = std::make_unique<QProcess>();
        QByteArray out;
        QByteArray err;
        QByteArray &poll()
        {
            out += process->readAllStandardOutput();
            err += process->readAllStandardError();
            return out;
        }
        // Every JSON line printed so far whose "event" is \a event.
        QList<QJsonObject> events(const QString &event)
        {
            poll();
            QList<QJsonObject> found;
            for (const QByteArray &line : out.split('\n')) {
                const QJsonObject o = QJsonDocument::fromJson(line).object();
                if (o.value(u"event"_s).toString() == event)
                    found << o;
            }
            return found;
        }
    };
    std::unique_ptr<Proc> start(const char *binary, const QStringList &args)
    {
        auto p = std::make_unique<Proc>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"ETCDCTL_ENDPOINTS"_s, m_etcd.endpoints().first().toString());
        env.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
        p->process->setProcessEnvironment(env);
        p->process->start(QString::fromUtf8(binary), args);
        return p;
    }
    static bool stop(Proc &p)
    {
        p.process->terminate(); // SIGTERM: the examples leave their election and exit
        const bool done = p.process->waitForFinished(TestWaitMs);
        p.poll();
        return done && p.process->exitStatus() == QProcess::NormalExit && p.process->exitCode() == 0;
    }
    EtcdTestEnv m_etcd;
};

void tst_Examples::initTestCase()
{
    QVERIFY2(m_etcd.start(), qPrintable(m_etcd.errorString()));
}

void tst_Examples::cleanup()
{
    m_etcd.dumpLogsIfFailed();
}

void tst_Examples::minimal()
{
    auto first = start(CONCLAVE_MINIMAL_BIN, {});
    QTRY_VERIFY2_WITH_TIMEOUT((first->poll(), first->err.contains("role: Conclave::Elector::Role::Leader")),
                              first->err.constData(), TestWaitMs);
    auto second = start(CONCLAVE_MINIMAL_BIN, {});
    QTRY_VERIFY2_WITH_TIMEOUT((second->poll(), second->err.contains("role: Conclave::Elector::Role::Follower")),
                              second->err.constData(), TestWaitMs);
    // The follower learned who leads: the first one's id (hostname:pid).
    const QByteArray firstId = ":" + QByteArray::number(first->process->processId());
    QTRY_VERIFY2_WITH_TIMEOUT((second->poll(), second->err.contains(firstId)), second->err.constData(), TestWaitMs);
    first->process->kill(); // no goodbye: the follower takes over when the lease expires
    QTRY_VERIFY2_WITH_TIMEOUT((second->poll(), second->err.contains("role: Conclave::Elector::Role::Leader")),
                              second->err.constData(), 30000);
    second->process->kill();
    second->process->waitForFinished(5000);
}

void tst_Examples::workerHandover()
{
    const QString election = QString::fromUtf8(EtcdTestEnv::uniquePrefix()) + u"worker"_s;
    auto w1 = start(CONCLAVE_WORKER_BIN, {u"--election"_s, election, u"--id"_s, u"w1"_s, u"--ttl"_s, u"3"_s});
    QTRY_COMPARE_WITH_TIMEOUT(w1->events(u"work-started"_s).size(), 1, TestWaitMs);
    auto w2 = start(CONCLAVE_WORKER_BIN, {u"--election"_s, election, u"--id"_s, u"w2"_s, u"--ttl"_s, u"3"_s});
    // The follower connects to the leader's advertised address and receives its work.
    QTRY_COMPARE_WITH_TIMEOUT(w2->events(u"connected"_s).size(), 1, TestWaitMs);
    QCOMPARE(w2->events(u"connected"_s).first().value(u"leader"_s).toString(), u"w1"_s);
    QTRY_VERIFY_WITH_TIMEOUT(w2->events(u"received"_s).size() >= 3, TestWaitMs);
    QVERIFY(w2->events(u"received"_s).first().value(u"line"_s).toString().startsWith(u"hello from w1"_s));
    QVERIFY(w2->events(u"work-started"_s).isEmpty());

    // Resign: w1 stops working before w2 starts (same machine, same monotonic clock).
    w1->process->write("resign\n");
    QTRY_COMPARE_WITH_TIMEOUT(w2->events(u"work-started"_s).size(), 1, TestWaitMs);
    QCOMPARE(w1->events(u"work-stopped"_s).size(), 1);
    const qint64 stoppedAt = w1->events(u"work-stopped"_s).first().value(u"mono_ns"_s).toInteger();
    const qint64 startedAt = w2->events(u"work-started"_s).first().value(u"mono_ns"_s).toInteger();
    QVERIFY2(stoppedAt < startedAt, "the new leader started before the old one stopped");
    // w1 now follows w2, reconnecting to the new address.
    QTRY_VERIFY_WITH_TIMEOUT(!w1->events(u"connected"_s).isEmpty()
                                     && w1->events(u"connected"_s).last().value(u"leader"_s).toString() == u"w2"_s, TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(w1->events(u"received"_s).size() >= 2, TestWaitMs);
    QVERIFY(w1->events(u"received"_s).last().value(u"line"_s).toString().contains(u"term "_s
                                                                               + QString::number(w2->events(u"work-started"_s).first().value(u"term"_s).toInteger())));

    // Shutdown: w2 stops its work, then leaves; w1 takes over at once (no TTL wait).
    const int w1StartsBefore = int(w1->events(u"work-started"_s).size());
    QVERIFY(stop(*w2));
    const QList<QJsonObject> stopped = w2->events(u"work-stopped"_s);
    QCOMPARE(stopped.size(), 1);
    QCOMPARE(stopped.last().value(u"why"_s).toString(), u"shutting down"_s);
    QTRY_COMPARE_WITH_TIMEOUT(int(w1->events(u"work-started"_s).size()), w1StartsBefore + 1, TestWaitMs);
    QVERIFY(w1->events(u"work-started"_s).last().value(u"mono_ns"_s).toInteger() > stopped.last().value(u"mono_ns"_s).toInteger());
    QVERIFY(stop(*w1));
    QVERIFY(m_etcd.etcdctl({u"get"_s, election + u'/', u"--prefix"_s, u"--keys-only"_s}).trimmed().isEmpty());
}

// conclave-candidate --priority and its stdin commands eligible / ineligible, as JSON events.
void tst_Examples::candidatePriorityAndEligibility()
{
    const QString election = QString::fromUtf8(EtcdTestEnv::uniquePrefix()) + u"cli"_s;
    const QString endpoint = m_etcd.endpoints().first().toString();
    auto p1 = start(CONCLAVE_CANDIDATE_BIN, {u"--endpoints"_s, endpoint, u"--election"_s, election, u"--id"_s, u"p1"_s, u"--ttl"_s, u"3"_s});
    QTRY_VERIFY_WITH_TIMEOUT(!p1->events(u"role"_s).isEmpty() && p1->events(u"role"_s).last().value(u"role"_s) == u"leader"_s, TestWaitMs);
    auto p2 = start(CONCLAVE_CANDIDATE_BIN, {u"--endpoints"_s, endpoint, u"--election"_s, election, u"--id"_s, u"p2"_s,
                                             u"--ttl"_s, u"3"_s, u"--priority"_s, u"3"_s});
    auto lastRole = [](Proc &p) {
        const QList<QJsonObject> roles = p.events(u"role"_s);
        return roles.isEmpty() ? QString() : roles.last().value(u"role"_s).toString();
    };
    QTRY_COMPARE_WITH_TIMEOUT(lastRole(*p2), u"leader"_s, TestWaitMs); // 3 > 0
    QTRY_COMPARE_WITH_TIMEOUT(lastRole(*p1), u"follower"_s, TestWaitMs);
    p2->process->write("ineligible\n");
    QTRY_COMPARE_WITH_TIMEOUT(p2->events(u"eligible"_s).size(), 1, TestWaitMs);
    QCOMPARE(p2->events(u"eligible"_s).first().value(u"value"_s), QJsonValue(false));
    QTRY_COMPARE_WITH_TIMEOUT(lastRole(*p2), u"not-a-member"_s, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(lastRole(*p1), u"leader"_s, TestWaitMs);
    // Still following: p2 knows p1 leads.
    QTRY_VERIFY_WITH_TIMEOUT(!p2->events(u"leader"_s).isEmpty() && p2->events(u"leader"_s).last().value(u"id"_s) == u"p1"_s, TestWaitMs);
    p2->process->write("eligible\n");
    QTRY_COMPARE_WITH_TIMEOUT(p2->events(u"eligible"_s).size(), 2, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(lastRole(*p2), u"leader"_s, TestWaitMs); // back, and of higher priority
    QVERIFY(stop(*p2));
    QTRY_COMPARE_WITH_TIMEOUT(lastRole(*p1), u"leader"_s, TestWaitMs);
    QVERIFY(stop(*p1));
}

void tst_Examples::workerOfHigherPriorityTakesTheJob()
{
    const QString election = QString::fromUtf8(EtcdTestEnv::uniquePrefix()) + u"worker-priority"_s;
    auto w1 = start(CONCLAVE_WORKER_BIN, {u"--election"_s, election, u"--id"_s, u"w1"_s, u"--ttl"_s, u"3"_s});
    QTRY_COMPARE_WITH_TIMEOUT(w1->events(u"work-started"_s).size(), 1, TestWaitMs);
    auto w2 = start(CONCLAVE_WORKER_BIN, {u"--election"_s, election, u"--id"_s, u"w2"_s, u"--ttl"_s, u"3"_s, u"--priority"_s, u"1"_s});
    QTRY_COMPARE_WITH_TIMEOUT(w2->events(u"work-started"_s).size(), 1, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(w1->events(u"work-stopped"_s).size(), 1, TestWaitMs);
    // w1 stopped before w2 started (same machine, same monotonic clock).
    QVERIFY(w1->events(u"work-stopped"_s).first().value(u"mono_ns"_s).toInteger()
            < w2->events(u"work-started"_s).first().value(u"mono_ns"_s).toInteger());
    QVERIFY(stop(*w2));
    QVERIFY(stop(*w1));
}

void tst_Examples::badPriority_data()
{
    QTest::addColumn<QByteArray>("binary");
    QTest::newRow("conclave-candidate") << QByteArray(CONCLAVE_CANDIDATE_BIN);
    QTest::newRow("conclave-worker") << QByteArray(CONCLAVE_WORKER_BIN);
}

void tst_Examples::badPriority()
{
    QFETCH(QByteArray, binary);
    auto p = start(binary.constData(), {u"--election"_s, u"x"_s, u"--priority"_s, u"high"_s});
    QVERIFY(p->process->waitForFinished(TestWaitMs));
    p->poll();
    QCOMPARE(p->process->exitCode(), 2);
    QVERIFY2(p->err.contains("--priority must be a whole number"), p->err.constData());
}

// CPU seconds (user + system) a live process has used so far, from /proc/<pid>/stat.
static double cpuSeconds(qint64 pid)
{
    QFile f(u"/proc/%1/stat"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray stat = f.readAll();
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 on
    if (fields.size() < 13)
        return -1;
    return double(fields.at(11).toLongLong() + fields.at(12).toLongLong()) / double(::sysconf(_SC_CLK_TCK));
}

void tst_Examples::leavingWhileEtcdIsPausedWaitsIdly_data()
{
    QTest::addColumn<QByteArray>("binary");
    QTest::newRow("conclave-candidate") << QByteArray(CONCLAVE_CANDIDATE_BIN);
    QTest::newRow("conclave-worker") << QByteArray(CONCLAVE_WORKER_BIN);
}

// SIGTERM while etcd cannot answer: the program leaves, waits (bounded) for the revoke to be
// answered and exits 0 by itself. It must wait in its event loop, not spin: both once ran their
// quit handler on every pass of the loop because nothing drained the signal pipe, burning a CPU
// for the whole wait (and competing with etcd and the next leader during every handover).
void tst_Examples::leavingWhileEtcdIsPausedWaitsIdly()
{
    QFETCH(QByteArray, binary);
    const QString election = QString::fromUtf8(EtcdTestEnv::uniquePrefix()) + u"paused-leave"_s;
    auto p = start(binary.constData(), {u"--endpoints"_s, m_etcd.endpoints().first().toString(),
                                        u"--election"_s, election, u"--id"_s, u"leaver"_s, u"--ttl"_s, u"5"_s});
    QTRY_VERIFY2_WITH_TIMEOUT((p->poll(), p->out.contains("\"role\":\"leader\"")), p->err.constData(), TestWaitMs);
    const qint64 pid = p->process->processId();
    const double cpuBefore = cpuSeconds(pid);
    QVERIFY(cpuBefore >= 0);
    QVERIFY(m_etcd.pause(0));
    auto resume = qScopeGuard([this] { m_etcd.resume(0); });
    QElapsedTimer waited;
    waited.start();
    p->process->terminate();
    // Sample its CPU time until it exits by itself (its own bounded wait for etcd's answer).
    double cpuLast = cpuBefore;
    while (p->process->state() != QProcess::NotRunning && waited.elapsed() < TestWaitMs) {
        if (const double now = cpuSeconds(pid); now >= 0)
            cpuLast = now;
        p->process->waitForFinished(50);
    }
    const double waitedS = double(waited.elapsed()) / 1000;
    QCOMPARE(p->process->state(), QProcess::NotRunning);
    p->poll();
    QCOMPARE(p->process->exitCode(), 0);
    QVERIFY2(waitedS > 1, qPrintable(u"it did not wait for etcd at all (%1 s)"_s.arg(waitedS)));
    const double used = cpuLast - cpuBefore;
    QVERIFY2(used < 0.25 * waitedS, qPrintable(u"it used %1 s of CPU while it waited %2 s for etcd"_s.arg(used).arg(waitedS)));
}

void tst_Examples::widgets()
{
    const QString election = QString::fromUtf8(EtcdTestEnv::uniquePrefix()) + u"widgets"_s;
    auto w = start(CONCLAVE_WIDGETS_BIN, {u"--election"_s, election, u"--id"_s, u"gui-1"_s});
    QTRY_VERIFY2_WITH_TIMEOUT((w->poll(), w->err.contains("role: Conclave::Elector::Role::Leader")), w->err.constData(), TestWaitMs);
    QVERIFY(w->err.contains("leader: \"gui-1\""));
    w->process->kill();
    w->process->waitForFinished(5000);
}

QTEST_GUILESS_MAIN(tst_Examples)
#include "tst_examples.moc"
