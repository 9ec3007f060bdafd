// conclave-candidate's production features as an operator runs them, on a real etcd: a program
// that runs only while leading (-- CMD), health-gated eligibility (--health-cmd), the metrics
// and probe endpoints (--metrics-address), and the clear errors for bad input.
#include "candidateprocess.h"
#include "etcdtestenv.h"
#include "testwait.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QJsonObject>
#include <QtCore/QTemporaryDir>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <chrono>
#include <csignal>

using namespace Qt::StringLiterals;

class tst_Candidate : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void childRunsOnlyWhileLeading();
    void childIgnoringSigtermIsKilled();
    void childDiesWithAKilledCandidate();
    void childExitingEndsTheCandidate();
    void childLosesLeadershipWhenEtcdIsPaused();
    void healthCheckGatesEligibility();
    void metricsAndProbes();
    void notifyReadinessWatchdogAndHooks();
    void badInput_data();
    void badInput();

private:
    QString election(const char *name) const { return QString::fromUtf8(EtcdTestEnv::uniquePrefix()) + QLatin1String(name); }
    std::unique_ptr<CandidateProcess> start(const QString &election, const QString &id, const QStringList &extra,
                                            EtcdTestEnv *etcd = nullptr)
    {
        auto p = std::make_unique<CandidateProcess>();
        if (!p->start((etcd ? etcd : &m_etcd)->endpoints(), election, id, 3, extra))
            return nullptr;
        return p;
    }
    static QList<QJsonObject> events(const CandidateProcess &p, const QString &event, const QString &action = {})
    {
        QList<QJsonObject> found;
        for (const QJsonObject &e : p.events())
            if (e.value(u"event"_s).toString() == event && (action.isEmpty() || e.value(u"action"_s).toString() == action))
                found << e;
        return found;
    }
    static qint64 mono(const QJsonObject &e) { return qint64(e.value(u"mono_ns"_s).toDouble()); }
    // Runs the candidate with bad arguments: its exit code and stderr.
    static QPair<int, QByteArray> runBad(const QStringList &args)
    {
        QProcess p;
        p.start(QStringLiteral(CONCLAVE_CANDIDATE_BIN), args);
        if (!p.waitForFinished(TestWaitMs)) {
            p.kill();
            p.waitForFinished(5000);
            return {-1, "still running"};
        }
        return {p.exitCode(), p.readAllStandardError()};
    }
    QByteArray get(const QUrl &url, int *status)
    {
        std::unique_ptr<QNetworkReply> reply(m_nam.get(QNetworkRequest(url)));
        QSignalSpy done(reply.get(), &QNetworkReply::finished);
        if (!done.wait(TestWaitMs)) {
            *status = -1;
            return {};
        }
        *status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        return reply->readAll();
    }

    EtcdTestEnv m_etcd;
    QNetworkAccessManager m_nam;
};

void tst_Candidate::initTestCase()
{
    QVERIFY2(m_etcd.start(), qPrintable(m_etcd.errorString()));
}

void tst_Candidate::cleanup()
{
    m_etcd.dumpLogsIfFailed();
}

// The child starts when the candidate leads, with the election, fencing token and lease in its
// environment; on resign it gets SIGTERM, and the next leader takes over only after it exited.
void tst_Candidate::childRunsOnlyWhileLeading()
{
    QTemporaryDir dir;
    const QString envFile = dir.filePath(u"env"_s);
    const QString name = election("child");
    auto p1 = start(name, u"p1"_s, {u"--"_s, u"/bin/sh"_s, u"-c"_s,
                                    u"echo \"$CONCLAVE_ELECTION $CONCLAVE_FENCING_TOKEN $CONCLAVE_LEASE_ID\" > "_s + envFile + u"; exec sleep 1000"_s});
    QVERIFY(p1);
    QTRY_COMPARE_WITH_TIMEOUT(events(*p1, u"child"_s, u"started"_s).size(), 1, TestWaitMs);
    QCOMPARE(p1->role(), u"leader"_s);
    auto p2 = start(name, u"p2"_s, {u"--"_s, u"sleep"_s, u"1000"_s});
    QVERIFY(p2);
    QTRY_COMPARE_WITH_TIMEOUT(p2->role(), u"follower"_s, TestWaitMs);
    QVERIFY(events(*p2, u"child"_s).isEmpty()); // a follower runs nothing
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(envFile) && QFile(envFile).size() > 0, TestWaitMs);
    QFile f(envFile);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QStringList env = QString::fromUtf8(f.readAll()).trimmed().split(u' ');
    QCOMPARE(env.size(), 3);
    QCOMPARE(env[0], name);
    const QList<QJsonObject> roles = events(*p1, u"role"_s);
    QCOMPARE(env[1].toLongLong(), qint64(roles.last().value(u"fencing"_s).toDouble()));
    QVERIFY(env[2].toLongLong(nullptr, 16) != 0);

    p1->send("resign");
    QTRY_COMPARE_WITH_TIMEOUT(p2->role(), u"leader"_s, TestWaitMs);
    QCOMPARE(events(*p1, u"child"_s, u"terminated"_s).size(), 1);
    const QList<QJsonObject> exited = events(*p1, u"child"_s, u"exited"_s);
    QCOMPARE(exited.size(), 1);
    QVERIFY(exited.first().value(u"status"_s).isNull()); // ended by SIGTERM
    QVERIFY2(mono(exited.first()) < p2->lastRoleAt(u"leader"_s), "the next leader took over before the child had exited");
    QTRY_COMPARE_WITH_TIMEOUT(events(*p2, u"child"_s, u"started"_s).size(), 1, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(p1->role(), u"follower"_s, TestWaitMs);
    p2->terminate();
    QVERIFY(p2->waitForExit(TestWaitMs));
    QCOMPARE(events(*p2, u"child"_s, u"exited"_s).size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(p1->role(), u"leader"_s, TestWaitMs);
    p1->terminate();
    QVERIFY(p1->waitForExit(TestWaitMs));
}

// A candidate killed outright (SIGKILL, the OOM killer) cannot stop its child; the kernel kills
// the child with it (PR_SET_PDEATHSIG), long before the next leader can lead (before: the child
// worked on, orphaned, into the next leader's term).
void tst_Candidate::childDiesWithAKilledCandidate()
{
    auto p = start(election("orphan"), u"p"_s, {u"--"_s, u"sleep"_s, u"1000"_s});
    QVERIFY(p);
    QTRY_COMPARE_WITH_TIMEOUT(events(*p, u"child"_s, u"started"_s).size(), 1, TestWaitMs);
    const qint64 pid = qint64(events(*p, u"child"_s, u"started"_s).first().value(u"pid"_s).toDouble());
    QVERIFY(pid > 0);
    QVERIFY(processRuns(pid));
    p->kill();
    QTRY_VERIFY_WITH_TIMEOUT(!processRuns(pid), 1000);
}

// A child that ignores SIGTERM is killed after --kill-after; only then does the key go.
void tst_Candidate::childIgnoringSigtermIsKilled()
{
    const QString name = election("stubborn");
    auto p1 = start(name, u"p1"_s, {u"--kill-after"_s, u"0.5"_s, u"--"_s, u"/bin/sh"_s, u"-c"_s, u"trap '' TERM; exec sleep 1000"_s});
    QVERIFY(p1);
    QTRY_COMPARE_WITH_TIMEOUT(events(*p1, u"child"_s, u"started"_s).size(), 1, TestWaitMs);
    auto p2 = start(name, u"p2"_s, {});
    QVERIFY(p2);
    QTRY_COMPARE_WITH_TIMEOUT(p2->role(), u"follower"_s, TestWaitMs);
    p1->send("resign");
    QTRY_COMPARE_WITH_TIMEOUT(p2->role(), u"leader"_s, TestWaitMs);
    const QList<QJsonObject> terminated = events(*p1, u"child"_s, u"terminated"_s);
    const QList<QJsonObject> killed = events(*p1, u"child"_s, u"killed"_s);
    const QList<QJsonObject> exited = events(*p1, u"child"_s, u"exited"_s);
    QCOMPARE(terminated.size(), 1);
    QCOMPARE(killed.size(), 1);
    QCOMPARE(exited.size(), 1);
    const double graceS = double(mono(killed.first()) - mono(terminated.first())) / 1e9;
    QVERIFY2(graceS >= 0.45, qPrintable(QString::number(graceS)));
    QVERIFY(mono(exited.first()) < p2->lastRoleAt(u"leader"_s));
    p1->terminate();
    p2->terminate();
    QVERIFY(p1->waitForExit(TestWaitMs) && p2->waitForExit(TestWaitMs));
}

// The child ends by itself: the candidate leaves and exits with its status; the next leads.
void tst_Candidate::childExitingEndsTheCandidate()
{
    const QString name = election("oneshot");
    auto p1 = start(name, u"p1"_s, {u"--"_s, u"/bin/sh"_s, u"-c"_s, u"read line; exit 7"_s});
    QVERIFY(p1);
    QTRY_COMPARE_WITH_TIMEOUT(events(*p1, u"child"_s, u"started"_s).size(), 1, TestWaitMs);
    auto p2 = start(name, u"p2"_s, {});
    QVERIFY(p2);
    QTRY_COMPARE_WITH_TIMEOUT(p2->role(), u"follower"_s, TestWaitMs);
    // Ended by a signal nobody in the candidate sent: it leaves and exits 128 + the signal, as a shell would.
    const qint64 pid = qint64(events(*p1, u"child"_s, u"started"_s).first().value(u"pid"_s).toDouble());
    QVERIFY(pid > 0);
    QVERIFY(::kill(pid_t(pid), SIGUSR1) == 0);
    QVERIFY(p1->waitForExit(TestWaitMs));
    QCOMPARE(p1->exitCode(), 128 + SIGUSR1);
    QVERIFY(events(*p1, u"child"_s, u"exited"_s).first().value(u"status"_s).isNull());
    QTRY_COMPARE_WITH_TIMEOUT(p2->role(), u"leader"_s, TestWaitMs);

    auto p3 = start(name, u"p3"_s, {u"--"_s, u"/bin/sh"_s, u"-c"_s, u"exit 7"_s});
    QVERIFY(p3);
    p2->terminate();
    QVERIFY(p2->waitForExit(TestWaitMs));
    QVERIFY(p3->waitForExit(TestWaitMs)); // led, ran the child, which exited 7: so does it
    QCOMPARE(p3->exitCode(), 7);
    const QList<QJsonObject> exited = events(*p3, u"child"_s, u"exited"_s);
    QCOMPARE(exited.size(), 1);
    QCOMPARE(exited.first().value(u"status"_s).toInt(), 7);
    QVERIFY(m_etcd.etcdctl({u"get"_s, name + u'/', u"--prefix"_s, u"--keys-only"_s}).trimmed().isEmpty());
}

// Renewals stop being acknowledged: the candidate steps down and its child is stopped before the
// lease could expire, so the next leader's child never overlaps it.
void tst_Candidate::childLosesLeadershipWhenEtcdIsPaused()
{
    EtcdTestEnv own;
    QVERIFY2(own.start(), qPrintable(own.errorString()));
    auto p1 = start(u"paused"_s, u"p1"_s, {u"--kill-after"_s, u"10"_s, u"--"_s, u"/bin/sh"_s, u"-c"_s, u"trap '' TERM; exec sleep 1000"_s}, &own);
    QVERIFY(p1);
    QTRY_COMPARE_WITH_TIMEOUT(events(*p1, u"child"_s, u"started"_s).size(), 1, TestWaitMs);
    QVERIFY(own.pause(0));
    const qint64 pausedAt = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    QTRY_COMPARE_WITH_TIMEOUT(events(*p1, u"child"_s, u"exited"_s).size(), 1, TestWaitMs);
    QVERIFY(own.resume(0));
    const QList<QJsonObject> killed = events(*p1, u"child"_s, u"killed"_s);
    QCOMPARE(killed.size(), 1); // it ignores SIGTERM, and 10 s is past the lease: killed earlier
    // Every renewal acknowledged was sent before the pause: the lease lives at least TTL (3 s) after it.
    const double killedAfterS = double(mono(killed.first()) - pausedAt) / 1e9;
    qInfo("child killed %.2f s after etcd was paused (TTL 3 s, --kill-after 10)", killedAfterS);
    QVERIFY2(killedAfterS < 3.0, qPrintable(QString::number(killedAfterS)));
    p1->terminate();
    QVERIFY(p1->waitForExit(TestWaitMs));
}

// --health-cmd: two failures in a row make the leader ineligible (it hands over and follows);
// one success makes it eligible again.
void tst_Candidate::healthCheckGatesEligibility()
{
    QTemporaryDir dir;
    const QString flag = dir.filePath(u"healthy"_s);
    QFile(flag).open(QIODevice::WriteOnly);
    const QString name = election("health");
    auto p1 = start(name, u"p1"_s, {u"--health-cmd"_s, u"test -f "_s + flag, u"--health-interval"_s, u"0.2"_s,
                                    u"--health-failures"_s, u"2"_s});
    QVERIFY(p1);
    QTRY_COMPARE_WITH_TIMEOUT(p1->role(), u"leader"_s, TestWaitMs);
    auto p2 = start(name, u"p2"_s, {});
    QVERIFY(p2);
    QTRY_COMPARE_WITH_TIMEOUT(p2->role(), u"follower"_s, TestWaitMs);
    QVERIFY(QFile::remove(flag));
    QTRY_COMPARE_WITH_TIMEOUT(events(*p1, u"eligible"_s).size(), 1, TestWaitMs);
    const QJsonObject ineligible = events(*p1, u"eligible"_s).first();
    QCOMPARE(ineligible.value(u"value"_s), QJsonValue(false));
    QVERIFY2(ineligible.value(u"reason"_s).toString().contains(u"exit status 1"_s), qPrintable(ineligible.value(u"reason"_s).toString()));
    QTRY_COMPARE_WITH_TIMEOUT(p2->role(), u"leader"_s, TestWaitMs);
    QCOMPARE(p1->role(), u"not-a-member"_s);
    QFile(flag).open(QIODevice::WriteOnly);
    QTRY_COMPARE_WITH_TIMEOUT(events(*p1, u"eligible"_s).size(), 2, TestWaitMs);
    QCOMPARE(events(*p1, u"eligible"_s).last().value(u"value"_s), QJsonValue(true));
    QTRY_COMPARE_WITH_TIMEOUT(p1->role(), u"follower"_s, TestWaitMs); // back, at the back
    p1->terminate();
    p2->terminate();
    QVERIFY(p1->waitForExit(TestWaitMs) && p2->waitForExit(TestWaitMs));
}

void tst_Candidate::metricsAndProbes()
{
    const QString name = election("metrics");
    auto p1 = start(name, u"p1"_s, {u"--metrics-address"_s, u"127.0.0.1:0"_s});
    QVERIFY(p1);
    QTRY_COMPARE_WITH_TIMEOUT(events(*p1, u"metrics"_s).size(), 1, TestWaitMs);
    const int port1 = events(*p1, u"metrics"_s).first().value(u"port"_s).toInt();
    QVERIFY(port1 > 0);
    QTRY_COMPARE_WITH_TIMEOUT(p1->role(), u"leader"_s, TestWaitMs);
    auto p2 = start(name, u"p2\"x"_s, {u"--metrics-address"_s, u"127.0.0.1:0"_s});
    QVERIFY(p2);
    QTRY_COMPARE_WITH_TIMEOUT(p2->role(), u"follower"_s, TestWaitMs);
    const int port2 = events(*p2, u"metrics"_s).first().value(u"port"_s).toInt();
    const QUrl base1(u"http://127.0.0.1:%1"_s.arg(port1));
    const QUrl base2(u"http://127.0.0.1:%1"_s.arg(port2));
    int status = 0;
    QByteArray body = get(base1.resolved(QUrl(u"/metrics"_s)), &status);
    QCOMPARE(status, 200);
    const QByteArray labels1 = "{election=\"" + name.toUtf8() + "\",candidate=\"p1\"}";
    QVERIFY2(body.contains("conclave_is_leader" + labels1 + " 1\n"), body.constData());
    QVERIFY2(body.contains("conclave_is_ready" + labels1 + " 1\n"), body.constData());
    QVERIFY2(body.contains("conclave_event_loop_lag_seconds" + labels1 + " "), body.constData());
    QVERIFY2(!body.contains("conclave_last_contact_timestamp_seconds" + labels1 + " 0\n"), body.constData());
    QVERIFY2(body.contains("# TYPE conclave_leader_transitions_total counter"), body.constData());
    const qint64 token = qint64(events(*p1, u"role"_s).last().value(u"fencing"_s).toDouble());
    QVERIFY2(body.contains("conclave_fencing_token" + labels1 + ' ' + QByteArray::number(token) + '\n'), body.constData());
    QVERIFY2(body.contains("conclave_lease_ttl_seconds" + labels1 + " 3\n"), body.constData()); // start() gives --ttl 3
    QVERIFY(body.contains("conclave_lease_last_renewal_timestamp_seconds" + labels1 + ' '));
    QVERIFY(!body.contains("conclave_lease_last_renewal_timestamp_seconds" + labels1 + " 0\n"));
    get(base1.resolved(QUrl(u"/leader"_s)), &status);
    QCOMPARE(status, 200);
    get(base2.resolved(QUrl(u"/leader"_s)), &status);
    QCOMPARE(status, 503);
    get(base2.resolved(QUrl(u"/healthz"_s)), &status);
    QCOMPARE(status, 200);
    body = get(base2.resolved(QUrl(u"/metrics"_s)), &status);
    QVERIFY2(body.contains("conclave_is_leader{election=\"" + name.toUtf8() + "\",candidate=\"p2\\\"x\"} 0\n"), body.constData());
    // The counters move: p1 resigns, p2 leads, and both count one transition.
    p1->send("resign");
    QTRY_COMPARE_WITH_TIMEOUT(p2->role(), u"leader"_s, TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(get(base2.resolved(QUrl(u"/metrics"_s)), &status).contains("conclave_leader_transitions_total{election=\"" + name.toUtf8() + "\",candidate=\"p2\\\"x\"} 1\n"), TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT((get(base2.resolved(QUrl(u"/leader"_s)), &status), status == 200), TestWaitMs);
    get(base1.resolved(QUrl(u"/leader"_s)), &status);
    QCOMPARE(status, 503);
    p1->terminate();
    p2->terminate();
    QVERIFY(p1->waitForExit(TestWaitMs) && p2->waitForExit(TestWaitMs));
}

// A child that speaks systemd's notify protocol: the leader is "leading, not ready" (503) until
// its READY=1, then 200; when the child stops pinging (wedged, alive), the candidate resigns
// within the watchdog, the child is stopped before the next leader leads, and that costs
// exactly one handover. The role hooks see leader with its fencing token, then follower with
// the new leader.
void tst_Candidate::notifyReadinessWatchdogAndHooks()
{
    QTemporaryDir dir;
    const QString hooks = dir.filePath(u"hooks"_s);
    const QString name = election("notify");
    const QString hook = u"echo \"$CONCLAVE_ID $CONCLAVE_PREVIOUS_ROLE>$CONCLAVE_ROLE $CONCLAVE_LEADER_ID $CONCLAVE_FENCING_TOKEN\" >> "_s + hooks;
    constexpr int WedgeAfterMs = 4000;
    constexpr int WatchdogMs = 1000;
    const QStringList options{u"--notify"_s, u"--watchdog"_s, u"1"_s, u"--on-role-change"_s, hook};
    const QStringList child{u"--"_s, QStringLiteral(CONCLAVE_NOTIFY_CHILD_BIN), u"--ready-after"_s, u"1500"_s,
                            u"--status"_s, u"warm"_s, u"--ping"_s, u"200"_s};
    auto p1 = start(name, u"p1"_s, options + QStringList{u"--metrics-address"_s, u"127.0.0.1:0"_s} + child
                                            + QStringList{u"--wedge-after"_s, QString::number(WedgeAfterMs)});
    QVERIFY(p1);
    QTRY_COMPARE_WITH_TIMEOUT(events(*p1, u"metrics"_s).size(), 1, TestWaitMs);
    const QUrl leaderUrl(u"http://127.0.0.1:%1/leader"_s.arg(events(*p1, u"metrics"_s).first().value(u"port"_s).toInt()));
    QTRY_COMPARE_WITH_TIMEOUT(events(*p1, u"child"_s, u"started"_s).size(), 1, TestWaitMs);
    QCOMPARE(p1->role(), u"leader"_s);
    int status = 0;
    QByteArray body = get(leaderUrl, &status);
    QCOMPARE(status, 503);
    QCOMPARE(body, QByteArray("leading, not ready\n"));
    QTRY_VERIFY_WITH_TIMEOUT((body = get(leaderUrl, &status), status == 200), TestWaitMs);
    QCOMPARE(body, QByteArray("leader\n"));
    QVERIFY(!events(*p1, u"notify"_s).isEmpty());

    auto p2 = start(name, u"p2"_s, options + child);
    QVERIFY(p2);
    QTRY_COMPARE_WITH_TIMEOUT(p2->role(), u"follower"_s, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(p2->role(), u"leader"_s, WedgeAfterMs + TestWaitMs);

    // The watchdog, not anything else, ended p1's term: once, at the right time, child first.
    const qint64 childStarted = mono(events(*p1, u"child"_s, u"started"_s).first());
    const qint64 lastPingAtMost = childStarted + qint64(WedgeAfterMs) * 1000000;
    const qint64 p2Leads = p2->lastRoleAt(u"leader"_s);
    QVERIFY2(p2Leads - lastPingAtMost <= qint64(WatchdogMs + 600) * 1000000,
             qPrintable(u"p2 led %1 ms after p1's child's last ping"_s.arg((p2Leads - lastPingAtMost) / 1000000)));
    QVERIFY(p2Leads - lastPingAtMost >= qint64(WatchdogMs - 200) * 1000000);
    QList<QJsonObject> childEnd = events(*p1, u"child"_s, u"terminated"_s) + events(*p1, u"child"_s, u"exited"_s);
    QVERIFY(!childEnd.isEmpty());
    QVERIFY(mono(childEnd.first()) < p2Leads);
    bool watchdog = false;
    for (const QJsonObject &e : events(*p1, u"error"_s))
        watchdog = watchdog || e.value(u"code"_s).toString() == u"WatchdogTimeout"_s;
    QVERIFY(watchdog);
    int p1Terms = 0;
    for (const QJsonObject &e : events(*p1, u"role"_s))
        p1Terms += e.value(u"role"_s).toString() == u"leader"_s;
    QCOMPARE(p1Terms, 1);
    QTRY_COMPARE_WITH_TIMEOUT(p1->role(), u"follower"_s, TestWaitMs); // back in the queue

    // Hooks: p1 saw itself lead with its token, then follow p2 with p2's.
    qint64 p1Token = 0;
    for (const QJsonObject &e : events(*p1, u"role"_s))
        if (e.value(u"role"_s).toString() == u"leader"_s)
            p1Token = qint64(e.value(u"fencing"_s).toDouble());
    qint64 p2Token = 0;
    for (const QJsonObject &e : events(*p2, u"role"_s))
        if (e.value(u"role"_s).toString() == u"leader"_s)
            p2Token = qint64(e.value(u"fencing"_s).toDouble());
    QVERIFY(p1Token > 0 && p2Token > p1Token);
    auto p1Lines = [&] {
        QFile f(hooks);
        QStringList lines;
        if (f.open(QIODevice::ReadOnly))
            for (const QString &l : QString::fromUtf8(f.readAll()).split(u'\n'))
                if (l.startsWith(u"p1 "_s))
                    lines << l;
        return lines;
    };
    QTRY_VERIFY_WITH_TIMEOUT(!p1Lines().isEmpty() && p1Lines().last().endsWith(u"follower p2 %1"_s.arg(p2Token)), TestWaitMs);
    QVERIFY2(p1Lines().contains(u"p1 none>leader p1 %1"_s.arg(p1Token)), qPrintable(p1Lines().join(u" | "_s)));
}

void tst_Candidate::badInput_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    const QStringList base{u"--election"_s, u"x"_s};
    QTest::newRow("missing program") << base + QStringList{u"--"_s, u"/nonexistent/program"_s} << u"no such file"_s;
    QTest::newRow("unknown command") << base + QStringList{u"--"_s, u"conclave-no-such-command"_s} << u"command not found"_s;
    QTest::newRow("not executable") << base + QStringList{u"--"_s, u"/etc/passwd"_s} << u"not an executable"_s;
    QTest::newRow("nothing after --") << base + QStringList{u"--"_s} << u"no command after --"_s;
    QTest::newRow("stray argument") << base + QStringList{u"sleep"_s} << u"goes after --"_s;
    QTest::newRow("negative kill-after") << base + QStringList{u"--kill-after"_s, u"-1"_s, u"--"_s, u"true"_s} << u"--kill-after must be"_s;
    QTest::newRow("kill-after alone") << base + QStringList{u"--kill-after"_s, u"1"_s} << u"goes with a command"_s;
    QTest::newRow("negative interval") << base + QStringList{u"--health-cmd"_s, u"true"_s, u"--health-interval"_s, u"-1"_s} << u"--health-interval must be"_s;
    QTest::newRow("zero failures") << base + QStringList{u"--health-cmd"_s, u"true"_s, u"--health-failures"_s, u"0"_s} << u"--health-failures must be"_s;
    QTest::newRow("interval alone") << base + QStringList{u"--health-interval"_s, u"1"_s} << u"go with --health-cmd"_s;
    QTest::newRow("empty health-cmd") << base + QStringList{u"--health-cmd"_s, u" "_s} << u"--health-cmd is empty"_s;
    QTest::newRow("bad metrics address") << base + QStringList{u"--metrics-address"_s, u"nowhere"_s} << u"HOST:PORT"_s;
    QTest::newRow("notify without a command") << base + QStringList{u"--notify"_s} << u"--notify goes with a command"_s;
    QTest::newRow("watchdog without notify") << base + QStringList{u"--watchdog"_s, u"1"_s, u"--"_s, u"true"_s} << u"--watchdog goes with --notify"_s;
    QTest::newRow("watchdog not a number") << base + QStringList{u"--notify"_s, u"--watchdog"_s, u"soon"_s, u"--"_s, u"true"_s} << u"--watchdog must be"_s;
    QTest::newRow("watchdog too short") << base + QStringList{u"--notify"_s, u"--watchdog"_s, u"0"_s, u"--"_s, u"true"_s} << u"--watchdog must be"_s;
    QTest::newRow("notify socket alone") << base + QStringList{u"--notify-socket"_s, u"@x"_s} << u"goes with --notify"_s;
    QTest::newRow("empty role hook") << base + QStringList{u"--on-role-change"_s, u" "_s} << u"--on-role-change is empty"_s;
    QTest::newRow("hook timeout alone") << base + QStringList{u"--hook-timeout"_s, u"5"_s} << u"goes with --on-role-change"_s;
    QTest::newRow("notify socket unusable") << base + QStringList{u"--notify"_s, u"--notify-socket"_s, u"/nonexistent/dir/sock"_s, u"--"_s, u"true"_s} << u"notify socket"_s;
    QTest::newRow("metrics address not ours") << base + QStringList{u"--metrics-address"_s, u"192.0.2.1:9100"_s} << u"cannot listen"_s;
}

void tst_Candidate::badInput()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const auto [code, err] = runBad(args);
    QVERIFY2(code == 2, qPrintable(u"exit %1: %2"_s.arg(code).arg(QString::fromUtf8(err))));
    QVERIFY2(QString::fromUtf8(err).contains(message), err.constData());
}

QTEST_GUILESS_MAIN(tst_Candidate)
#include "tst_candidate.moc"
