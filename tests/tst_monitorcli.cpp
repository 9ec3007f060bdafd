// conclave-monitor's headless modes as a user runs them: --once --json, --resign, --transfer,
// --serve-metrics, bad input.
#include <conclave/client.h>
#include <conclave/elector.h>

#include "etcdtestenv.h"
#include "testwait.h"

#include <QtCore/QJsonArray>
#include <QtGui/QImage>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtTest/QTest>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QTemporaryDir>
#include <QtCore/QRegularExpression>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QNetworkAccessManager>

using namespace Conclave;
using namespace Qt::StringLiterals;

class tst_MonitorCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void onceJson();
    void membersOfAClusterWithOneDown();
    void notReadyLimitFromTheCommandLine();
    void resignHeadless();
    void transferHeadless();
    void serveMetrics();
    void historySurvivesARestart();
    void historyOfAnotherClusterIsForgotten();
    void screenshotOfSelectedElection();
    void badInput_data();
    void badInput();

private:
    struct Run
    {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };
    // Runs the monitor while this test's event loop keeps serving the in-process Electors.
    static Run run(const QStringList &args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(u"ETCDCTL_ENDPOINTS"_s);
        env.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
        env.insert(u"XDG_CONFIG_HOME"_s, QDir::tempPath() + u"/conclave-monitor-test-config"_s);
        env.insert(u"XDG_DATA_HOME"_s, QDir::tempPath() + u"/conclave-monitor-test-data"_s); // its history files
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(CONCLAVE_MONITOR_BIN), args);
        Run r;
        if (!p.waitForStarted(TestWaitMs))
            return r;
        // qWaitFor keeps this process's event loop (and its Electors) running meanwhile.
        if (!QTest::qWaitFor([&p] { return p.state() == QProcess::NotRunning; }, 60000)) {
            p.kill();
            p.waitForFinished(5000);
            r.err = "still running after 60 s";
            return r;
        }
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        return r;
    }
    // Starts conclave-monitor --serve-metrics 127.0.0.1:0 with \a args, its history under
    // \a dataDir: the port it serves on, 0 if it did not say so in time.
    static quint16 startExporter(QProcess &mon, const QStringList &args, const QString &dataDir)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(u"ETCDCTL_ENDPOINTS"_s);
        env.insert(u"XDG_DATA_HOME"_s, dataDir);
        mon.setProcessEnvironment(env);
        mon.start(QStringLiteral(CONCLAVE_MONITOR_BIN), args + QStringList{u"--serve-metrics"_s, u"127.0.0.1:0"_s});
        QByteArray out;
        if (!QTest::qWaitFor([&] { return (out += mon.readAllStandardOutput()).contains('\n'); }, TestWaitMs))
            return 0;
        const QRegularExpressionMatch m = QRegularExpression(u"serving metrics on http://127.0.0.1:(\\d+)/metrics"_s).match(QString::fromUtf8(out));
        return m.hasMatch() ? quint16(m.captured(1).toUInt()) : 0;
    }
    std::vector<std::unique_ptr<Client>> m_clients;
    std::vector<std::unique_ptr<Elector>> m_electors;
    void join(const QString &election, const QString &id, int port);
    EtcdTestEnv m_etcd;
};

void tst_MonitorCli::initTestCase()
{
    QVERIFY2(m_etcd.start(), qPrintable(m_etcd.errorString()));
}

void tst_MonitorCli::cleanup()
{
    m_etcd.dumpLogsIfFailed();
    m_electors.clear();
    m_clients.clear();
}

void tst_MonitorCli::join(const QString &election, const QString &id, int port)
{
    m_clients.push_back(std::make_unique<Client>());
    m_clients.back()->setEndpoints(m_etcd.endpoints());
    m_electors.push_back(std::make_unique<Elector>(m_clients.back().get()));
    Elector *e = m_electors.back().get();
    e->setElectionName(election);
    e->setCandidateId(id);
    e->setAdvertisedAddress(u"192.0.2.7"_s, port);
    e->setTtl(std::chrono::seconds(10));
    e->campaign();
    QTRY_VERIFY_WITH_TIMEOUT(e->role() != Elector::Role::NotAMember, TestWaitMs);
}

void tst_MonitorCli::onceJson()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    join(p + u"billing"_s, u"alpha"_s, 9001);
    join(p + u"billing"_s, u"beta"_s, 9002);
    const Run r = run({u"--endpoints"_s, m_etcd.endpoints().first().toString(), u"--prefix"_s, p,
                       u"--once"_s, u"--json"_s});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QJsonParseError error;
    const QJsonObject snap = QJsonDocument::fromJson(r.out, &error).object();
    QVERIFY2(error.error == QJsonParseError::NoError, r.out.constData());
    QVERIFY(snap.value(u"revision"_s).toInteger() >= m_electors[1]->fencingToken());
    const QJsonArray elections = snap.value(u"elections"_s).toArray();
    QCOMPARE(elections.size(), 1);
    const QJsonObject billing = elections.first().toObject();
    QCOMPARE(billing.value(u"name"_s).toString(), p + u"billing"_s);
    QCOMPARE(billing.value(u"leader"_s).toString(), u"alpha"_s);
    const QJsonArray candidates = billing.value(u"candidates"_s).toArray();
    QCOMPARE(candidates.size(), 2);
    for (int i = 0; i < 2; ++i) {
        const QJsonObject c = candidates.at(i).toObject();
        const Elector &e = *m_electors[size_t(i)];
        QCOMPARE(c.value(u"id"_s).toString(), e.candidateId());
        QCOMPARE(c.value(u"role"_s).toString(), i == 0 ? u"leader"_s : u"follower"_s);
        QCOMPARE(c.value(u"host"_s).toString(), u"192.0.2.7"_s);
        QCOMPARE(c.value(u"port"_s).toInt(), 9001 + i);
        QCOMPARE(c.value(u"lease"_s).toString(), QString::number(e.leaseId(), 16));
        QCOMPARE(c.value(u"key"_s).toString(), p + u"billing/"_s + QString::number(e.leaseId(), 16));
        if (i == 0) // an Elector has a fencing token only while it leads
            QCOMPARE(c.value(u"fencing"_s).toInteger(), e.fencingToken());
        else
            QVERIFY(c.value(u"fencing"_s).toInteger() > m_electors[0]->fencingToken());
        QCOMPARE(c.value(u"granted_ttl"_s).toInteger(), 10);
        QVERIFY(c.value(u"ttl"_s).toInteger() >= 0 && c.value(u"ttl"_s).toInteger() <= 10);
        QVERIFY(c.value(u"value"_s).toString().contains(u"\"conclave\":1"_s));
    }
}

// The etcd beneath: --once --json lists every member (one of three down: unreachable, with the
// reason; the others keep a raft leader), the text form says so, and the exporter exports them.
void tst_MonitorCli::membersOfAClusterWithOneDown()
{
    EtcdTestEnv::Options three;
    three.members = 3;
    EtcdTestEnv cluster(three);
    QVERIFY2(cluster.start(), qPrintable(cluster.errorString()));
    QVERIFY(cluster.kill(2));
    const QStringList where{u"--endpoints"_s, cluster.endpoint(0).toString(), u"--timeout"_s, u"5"_s};
    const Run r = run(where + QStringList{u"--once"_s, u"--json"_s});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject snap = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(snap.value(u"etcd_leader"_s).toString(), u"has_leader"_s);
    const QJsonArray members = snap.value(u"members"_s).toArray();
    QCOMPARE(members.size(), 3);
    int leaders = 0;
    for (int i = 0; i < 3; ++i) {
        const QJsonObject m = members.at(i).toObject();
        const int index = m.value(u"name"_s).toString() == cluster.memberName(0) ? 0 : m.value(u"name"_s).toString() == cluster.memberName(1) ? 1 : 2;
        QCOMPARE(m.value(u"name"_s).toString(), cluster.memberName(index));
        QCOMPARE(m.value(u"endpoint"_s).toString(), cluster.endpoint(index).toString());
        QCOMPARE(m.value(u"reachable"_s).toBool(), index != 2);
        leaders += m.value(u"is_leader"_s).toBool() ? 1 : 0;
        if (index == 2) {
            QVERIFY(!m.value(u"is_leader"_s).toBool());
            QVERIFY(m.value(u"db_size"_s).isNull());
            QVERIFY2(m.value(u"problem"_s).toString().startsWith(u"not reachable: "_s), r.out.constData());
            QVERIFY2(m.value(u"problem"_s).toString().contains(cluster.endpoint(2).toString()), r.out.constData());
        } else {
            QVERIFY2(m.value(u"version"_s).toString().startsWith(u"3."_s), r.out.constData());
            QVERIFY(m.value(u"db_size"_s).toInteger() > 0);
            QVERIFY(m.value(u"raft_term"_s).toInteger() >= 1);
            QVERIFY(m.value(u"problem"_s).isNull());
        }
    }
    QCOMPARE(leaders, 1);
    QVERIFY2(snap.value(u"etcd_problem"_s).toString().startsWith(cluster.memberName(2) + u": not reachable"_s), r.out.constData());

    const Run text = run(where + QStringList{u"--once"_s});
    QVERIFY2(text.exitCode == 0, text.err.constData());
    QVERIFY2(text.out.contains("etcd: 3 members, raft leader m"), text.out.constData());
    QVERIFY2(text.out.contains(cluster.endpoint(2).toString().toUtf8() + "  DOWN"), text.out.constData());

    QProcess mon;
    QTemporaryDir data;
    const quint16 port = startExporter(mon, where, data.path());
    QVERIFY(port);
    QNetworkAccessManager nam;
    auto metrics = [&] {
        std::unique_ptr<QNetworkReply> reply(nam.get(QNetworkRequest(QUrl(u"http://127.0.0.1:%1/metrics"_s.arg(port)))));
        return QTest::qWaitFor([&] { return reply->isFinished(); }, TestWaitMs) ? reply->readAll() : QByteArray();
    };
    const QByteArray down = "{member=\"" + cluster.memberName(2).toUtf8() + "\"}";
    const QByteArray up = "{member=\"" + cluster.memberName(0).toUtf8() + "\"}";
    QTRY_VERIFY_WITH_TIMEOUT(metrics().contains("conclave_etcd_has_leader 1\n"), TestWaitMs);
    const QByteArray body = metrics();
    QVERIFY2(body.contains("conclave_etcd_member_up" + down + " 0\n"), body.constData());
    QVERIFY2(body.contains("conclave_etcd_member_up" + up + " 1\n"), body.constData());
    QVERIFY2(body.contains("conclave_etcd_member_db_size_bytes" + up + " "), body.constData());
    QVERIFY2(!body.contains("conclave_etcd_member_db_size_bytes" + down), body.constData());
    QVERIFY2(body.contains("conclave_etcd_member_info{member=\"" + cluster.memberName(0).toUtf8() + "\",endpoint=\""
                           + cluster.endpoint(0).toString().toUtf8() + "\",version=\"3."), body.constData());
    mon.terminate();
    QVERIFY(QTest::qWaitFor([&] { return mon.state() == QProcess::NotRunning; }, TestWaitMs));
}

// --not-ready-limit is the rule for --once as for the window and the exporter: a leader not
// ready yet is fine within it (default 60 s) and an anomaly beyond it.
void tst_MonitorCli::notReadyLimitFromTheCommandLine()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    join(p + u"billing"_s, u"alpha"_s, 9001);
    m_electors.back()->leave();
    QTRY_COMPARE_WITH_TIMEOUT(m_electors.back()->role(), Elector::Role::NotAMember, TestWaitMs);
    m_electors.back()->setReadinessRequired(true);
    m_electors.back()->campaign();
    QTRY_VERIFY_WITH_TIMEOUT(m_electors.back()->isLeader() && !m_electors.back()->isReady(), TestWaitMs);
    auto billing = [&](const QStringList &extra) {
        const Run r = run(QStringList{u"--endpoints"_s, m_etcd.endpoints().first().toString(), u"--prefix"_s, p,
                                      u"--once"_s, u"--json"_s} + extra);
        return QJsonDocument::fromJson(r.out).object().value(u"elections"_s).toArray().first().toObject();
    };
    const QJsonObject within = billing({});
    QCOMPARE(within.value(u"leader_ready"_s).toBool(true), false);
    QCOMPARE(within.value(u"status"_s).toString(), u"healthy"_s);
    const QJsonObject beyond = billing({u"--not-ready-limit"_s, u"0"_s});
    QCOMPARE(beyond.value(u"status"_s).toString(), u"anomaly"_s);
    QVERIFY2(beyond.value(u"anomalies"_s).toArray().first().toString().contains(u"without saying it is ready"_s),
             QJsonDocument(beyond).toJson().constData());
}

void tst_MonitorCli::resignHeadless()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    join(p + u"primary"_s, u"one"_s, 1);
    join(p + u"primary"_s, u"two"_s, 2);
    const Run r = run({u"--endpoints"_s, m_etcd.endpoints().first().toString(), u"--resign"_s, p + u"primary"_s});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.contains("resigned one") && r.out.contains("new leader: two"), r.out.constData());
    QTRY_COMPARE_WITH_TIMEOUT(m_electors[1]->role(), Elector::Role::Leader, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(m_electors[0]->role(), Elector::Role::Follower, TestWaitMs);

    const Run missing = run({u"--endpoints"_s, m_etcd.endpoints().first().toString(), u"--resign"_s, p + u"nope"_s});
    QCOMPARE(missing.exitCode, 1);
    QVERIFY2(missing.err.contains("no election"), missing.err.constData());
}

void tst_MonitorCli::transferHeadless()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    join(p + u"jobs"_s, u"one"_s, 1);
    join(p + u"jobs"_s, u"two"_s, 2);
    join(p + u"jobs"_s, u"three"_s, 3);
    const QString endpoint = m_etcd.endpoints().first().toString();
    QTemporaryDir dir;
    const QString audit = dir.filePath(u"audit.jsonl"_s);
    const qint64 before = m_electors[0]->fencingToken();
    const Run r = run({u"--endpoints"_s, endpoint, u"--transfer"_s, p + u"jobs"_s, u"three"_s, u"--audit-log"_s, audit});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.contains("three leads") && r.out.contains("was one"), r.out.constData());
    // The request it wrote is gone by the time it exits (not left for a later reader).
    QCOMPARE(m_etcd.etcdctl({u"get"_s, p + u"jobs.conclave-transfer"_s}).trimmed(), QString());
    QTRY_COMPARE_WITH_TIMEOUT(m_electors[2]->role(), Elector::Role::Leader, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(m_electors[0]->role(), Elector::Role::Follower, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(m_electors[1]->role(), Elector::Role::Follower, TestWaitMs);

    const Run unknown = run({u"--endpoints"_s, endpoint, u"--transfer"_s, p + u"jobs"_s, u"nine"_s, u"--audit-log"_s, audit});
    QCOMPARE(unknown.exitCode, 1);
    QVERIFY2(unknown.err.contains("no candidate \"nine\""), unknown.err.constData());
    QVERIFY(unknown.out.isEmpty());
    // Both attempts are in the audit log, the refused one too, with user, host and tokens.
    QFile file(audit);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    const QJsonObject done = QJsonDocument::fromJson(lines[0]).object();
    QCOMPARE(done.value(u"action"_s).toString(), u"transfer"_s);
    QCOMPARE(done.value(u"election"_s).toString(), p + u"jobs"_s);
    QCOMPARE(done.value(u"target"_s).toString(), u"three"_s);
    QCOMPARE(done.value(u"result"_s).toString(), u"succeeded"_s);
    QCOMPARE(done.value(u"fencing_before"_s).toString(), QString::number(before));
    QCOMPARE(done.value(u"fencing_after"_s).toString(), QString::number(m_electors[2]->fencingToken()));
    QCOMPARE(done.value(u"endpoints"_s).toString(), endpoint);
    QVERIFY(!done.value(u"user"_s).toString().isEmpty() && !done.value(u"host"_s).toString().isEmpty());
    const QJsonObject refused = QJsonDocument::fromJson(lines[1]).object();
    QCOMPARE(refused.value(u"result"_s).toString(), u"failed"_s);
    QVERIFY2(refused.value(u"message"_s).toString().contains(u"no candidate \"nine\""_s), lines[1].constData());
    const Run missing = run({u"--endpoints"_s, endpoint, u"--transfer"_s, p + u"nope"_s, u"one"_s});
    QCOMPARE(missing.exitCode, 1);
    QVERIFY2(missing.err.contains("no election"), missing.err.constData());
    QCOMPARE(m_electors[2]->role(), Elector::Role::Leader);
}

// The exporter scraped while the leader resigns twice: the gauges follow, the counter moves,
// two handovers within the window make the election flapping; SIGTERM ends it with status 0.
void tst_MonitorCli::serveMetrics()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    const QString name = p + u"svc"_s;
    join(name, u"one"_s, 1);
    join(name, u"two"_s, 2);
    QProcess mon;
    QTemporaryDir data;
    const quint16 port = startExporter(mon, {u"--endpoints"_s, m_etcd.endpoints().first().toString(), u"--prefix"_s, p,
                                             u"--flap-threshold"_s, u"2/60"_s}, data.path());
    QVERIFY(port);
    const QUrl base(u"http://127.0.0.1:%1"_s.arg(port));
    QNetworkAccessManager nam;
    int status = 0;
    auto get = [&](const QString &path) {
        std::unique_ptr<QNetworkReply> reply(nam.get(QNetworkRequest(base.resolved(QUrl(path)))));
        if (!QTest::qWaitFor([&] { return reply->isFinished(); }, TestWaitMs))
            return QByteArray();
        status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        return reply->readAll();
    };
    const QByteArray e = "{election=\"" + name.toUtf8() + "\"";
    QTRY_VERIFY_WITH_TIMEOUT(get(u"/metrics"_s).contains("conclave_election_has_leader" + e + "} 1\n"), TestWaitMs);
    QByteArray body = get(u"/metrics"_s);
    QVERIFY2(body.contains("conclave_election_candidates" + e + "} 2\n"), body.constData());
    QVERIFY2(body.contains("conclave_election_leader_ready" + e + "} 1\n"), body.constData());
    QVERIFY2(body.contains("conclave_election_leader_info" + e + ",leader=\"one\"} 1\n"), body.constData());
    QVERIFY2(body.contains("conclave_election_leader_fencing_token" + e + "} " + QByteArray::number(m_electors[0]->fencingToken()) + "\n"),
             body.constData());
    QVERIFY2(!body.contains("fencing=") && !body.contains("token=\""), "no per-term value in a label");
    QVERIFY2(body.contains("conclave_monitor_stale 0\n"), body.constData());
    QVERIFY2(body.contains("conclave_election_flapping" + e + "} 0\n"), body.constData());
    QVERIFY(body.contains("# TYPE conclave_election_handovers_total counter"));
    QTRY_VERIFY_WITH_TIMEOUT(get(u"/metrics"_s).contains("conclave_election_leader_lease_remaining_seconds" + e + "} "), TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(get(u"/metrics"_s).contains("conclave_election_leader_lease_ttl_seconds" + e + "} "
                                                         + QByteArray::number(qint64(m_electors[0]->ttl().count())) + "\n"), TestWaitMs);
    get(u"/healthz"_s);
    QCOMPARE(status, 200);

    m_electors[0]->resign();
    QTRY_VERIFY_WITH_TIMEOUT(get(u"/metrics"_s).contains("conclave_election_handovers_total" + e + ",cause=\"resigned\"} 1\n"), TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(get(u"/metrics"_s).contains(",leader=\"two\""), TestWaitMs);
    QVERIFY(get(u"/metrics"_s).contains("conclave_election_flapping" + e + "} 0\n"));
    QTRY_COMPARE_WITH_TIMEOUT(m_electors[1]->role(), Elector::Role::Leader, TestWaitMs);
    m_electors[1]->resign();
    QTRY_VERIFY_WITH_TIMEOUT(get(u"/metrics"_s).contains("conclave_election_handovers_total" + e + ",cause=\"resigned\"} 2\n"), TestWaitMs);
    QVERIFY(get(u"/metrics"_s).contains("conclave_election_flapping" + e + "} 1\n"));

    mon.terminate();
    QVERIFY(QTest::qWaitFor([&] { return mon.state() == QProcess::NotRunning; }, TestWaitMs));
    QCOMPARE(mon.exitStatus(), QProcess::NormalExit);
    QCOMPARE(mon.exitCode(), 0);

    // Against an etcd that does not answer, it serves all the same and says it is stale.
    QProcess away;
    const quint16 awayPort = startExporter(away, {u"--endpoints"_s, u"http://127.0.0.1:1"_s}, data.path());
    QVERIFY(awayPort);
    std::unique_ptr<QNetworkReply> health(nam.get(QNetworkRequest(QUrl(u"http://127.0.0.1:%1/healthz"_s.arg(awayPort)))));
    QVERIFY(QTest::qWaitFor([&] { return health->isFinished(); }, TestWaitMs));
    QCOMPARE(health->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 503);
    QVERIFY(health->readAll().startsWith("stale: "));
    std::unique_ptr<QNetworkReply> awayMetrics(nam.get(QNetworkRequest(QUrl(u"http://127.0.0.1:%1/metrics"_s.arg(awayPort)))));
    QVERIFY(QTest::qWaitFor([&] { return awayMetrics->isFinished(); }, TestWaitMs));
    QVERIFY(awayMetrics->readAll().contains("conclave_monitor_stale 1\n"));
    away.terminate();
    QVERIFY(QTest::qWaitFor([&] { return away.state() == QProcess::NotRunning; }, TestWaitMs));
    QCOMPARE(away.exitCode(), 0);
}

// Handovers a running monitor saw are kept in a file per cluster: a later --once --json lists
// them; a line of that file that cannot be read is skipped with a warning, nothing else lost.
void tst_MonitorCli::historySurvivesARestart()
{
    QTemporaryDir data;
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    const QString name = p + u"kept"_s;
    join(name, u"one"_s, 1);
    join(name, u"two"_s, 2);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(u"ETCDCTL_ENDPOINTS"_s);
    env.insert(u"XDG_DATA_HOME"_s, data.path());
    const QStringList where{u"--endpoints"_s, m_etcd.endpoints().first().toString(), u"--prefix"_s, p};
    QProcess mon;
    const quint16 port = startExporter(mon, where, data.path());
    QVERIFY(port);
    QNetworkAccessManager nam;
    const QUrl health(u"http://127.0.0.1:%1/healthz"_s.arg(port));
    QTRY_VERIFY_WITH_TIMEOUT([&] { // the monitor has listed the elections: it sees what follows
        std::unique_ptr<QNetworkReply> r(nam.get(QNetworkRequest(health)));
        return QTest::qWaitFor([&] { return r->isFinished(); }, TestWaitMs)
                && r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
    }(), TestWaitMs);
    m_electors[0]->resign();
    const QString dir = QDir(data.path()).filePath(u"Conclave/conclave-monitor"_s);
    QString history;
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        const QStringList files = QDir(dir).entryList({u"history-*.jsonl"_s});
        if (files.isEmpty())
            return false;
        history = QDir(dir).filePath(files.first());
        QFile f(history);
        return f.open(QIODevice::ReadOnly) && f.readAll().contains("\"cause\":\"Resigned\"");
    }(), TestWaitMs);
    mon.terminate();
    QVERIFY(QTest::qWaitFor([&] { return mon.state() == QProcess::NotRunning; }, TestWaitMs));
    {
        QFile f(history);
        QVERIFY(f.open(QIODevice::Append));
        f.write("{\"election\": \"truncated\n");
    }

    QProcess once;
    once.setProcessEnvironment(env);
    once.start(QStringLiteral(CONCLAVE_MONITOR_BIN), where + QStringList{u"--once"_s, u"--json"_s});
    QVERIFY(QTest::qWaitFor([&] { return once.state() == QProcess::NotRunning; }, 60000));
    QCOMPARE(once.exitCode(), 0);
    const QJsonArray kept = QJsonDocument::fromJson(once.readAllStandardOutput()).object().value(u"history"_s).toArray();
    QVERIFY2(once.readAllStandardError().contains("cannot be read; skipped"), "no warning for the corrupt line");
    QVERIFY(!kept.isEmpty());
    const QJsonObject last = kept.last().toObject();
    QCOMPARE(last.value(u"election"_s).toString(), name);
    QCOMPARE(last.value(u"cause"_s).toString(), u"Resigned"_s);
    QCOMPARE(last.value(u"previous"_s).toObject().value(u"id"_s).toString(), u"one"_s);
    QCOMPARE(last.value(u"next"_s).toObject().value(u"id"_s).toString(), u"two"_s);
    QVERIFY(QDateTime::fromString(last.value(u"at"_s).toString(), Qt::ISODateWithMs).isValid());
}

// The exporter writes etcd's cluster id into each history line; a line of another cluster at
// the same endpoints (a new etcd at the old URL) is left out of --once --json's history.
void tst_MonitorCli::historyOfAnotherClusterIsForgotten()
{
    QTemporaryDir data;
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    const QString name = p + u"svc"_s;
    join(name, u"one"_s, 1);
    join(name, u"two"_s, 2);
    const QRegularExpressionMatch id = QRegularExpression(u"\"ClusterID\" : (\\d+)"_s)
            .match(m_etcd.etcdctl({u"endpoint"_s, u"status"_s, u"-w"_s, u"fields"_s}));
    QVERIFY(id.hasMatch());
    const QByteArray clusterId = QByteArray::number(id.captured(1).toULongLong(), 16);
    const QStringList where{u"--endpoints"_s, m_etcd.endpoints().first().toString(), u"--prefix"_s, p};
    QProcess mon;
    const quint16 port = startExporter(mon, where, data.path());
    QVERIFY(port);
    // Once the exporter has read the cluster (its members are exported), a handover is written
    // with the cluster's id.
    QNetworkAccessManager nam;
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        std::unique_ptr<QNetworkReply> r(nam.get(QNetworkRequest(QUrl(u"http://127.0.0.1:%1/metrics"_s.arg(port)))));
        return QTest::qWaitFor([&] { return r->isFinished(); }, TestWaitMs) && r->readAll().contains("conclave_etcd_has_leader 1");
    }(), TestWaitMs);
    m_electors[0]->resign();
    const QDir dir(QDir(data.path()).filePath(u"Conclave/conclave-monitor"_s));
    QString history;
    QTRY_VERIFY_WITH_TIMEOUT([&] {
        const QStringList files = dir.entryList({u"history-*.jsonl"_s});
        if (files.isEmpty())
            return false;
        history = dir.filePath(files.first());
        QFile f(history);
        const QByteArray written = f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        return written.contains("\"cause\":\"Resigned\"") && written.contains("\"cluster\":\"" + clusterId + "\"");
    }(), TestWaitMs);
    mon.terminate();
    QVERIFY(QTest::qWaitFor([&] { return mon.state() == QProcess::NotRunning; }, TestWaitMs));
    {
        QFile f(history);
        QVERIFY(f.open(QIODevice::Append));
        f.write("{\"election\":\"" + name.toUtf8() + "\",\"at\":\"" + QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toUtf8()
                + "\",\"cause\":\"Evicted\",\"revision\":\"1\",\"previous\":null,\"next\":null,\"cluster\":\"abc123\"}\n");
    }
    QProcess once;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"XDG_DATA_HOME"_s, data.path());
    once.setProcessEnvironment(env);
    once.start(QStringLiteral(CONCLAVE_MONITOR_BIN), where + QStringList{u"--once"_s, u"--json"_s});
    QVERIFY(QTest::qWaitFor([&] { return once.state() == QProcess::NotRunning; }, 60000));
    QCOMPARE(once.exitCode(), 0);
    const QByteArray out = once.readAllStandardOutput();
    QStringList causes;
    for (const QJsonValue &v : QJsonDocument::fromJson(out).object().value(u"history"_s).toArray())
        causes << v.toObject().value(u"cause"_s).toString();
    QVERIFY2(causes.contains(u"Resigned"_s), out.constData());
    QVERIFY2(!causes.contains(u"Evicted"_s), qPrintable(causes.join(u','))); // the other cluster's line
}

void tst_MonitorCli::screenshotOfSelectedElection()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    join(p + u"a"_s, u"first"_s, 1);
    join(p + u"b"_s, u"second"_s, 2);
    const QString file = QDir::tempPath() + u"/conclave-monitor-shot-"_s + QString::number(QCoreApplication::applicationPid()) + u".png"_s;
    QFile::remove(file);
    const Run r = run({u"--endpoints"_s, m_etcd.endpoints().first().toString(), u"--prefix"_s, p,
                       u"--select"_s, p + u"b"_s, u"--screenshot"_s, file, u"--screenshot-after"_s, u"0"_s});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QFile png(file);
    QVERIFY(png.open(QIODevice::ReadOnly));
    QCOMPARE(png.read(8), QByteArray("\x89PNG\r\n\x1a\n"));
    QImage image;
    QVERIFY(image.load(file));
    QVERIFY(image.width() >= 1000 && image.height() >= 600);
    png.remove();
    // The picture has the size asked for (and the chart's span is accepted).
    const Run sized = run({u"--endpoints"_s, m_etcd.endpoints().first().toString(), u"--prefix"_s, p,
                           u"--screenshot"_s, file, u"--screenshot-after"_s, u"0"_s, u"--window-size"_s, u"1280x720"_s,
                           u"--chart-span"_s, u"5m"_s});
    QVERIFY2(sized.exitCode == 0, sized.err.constData());
    QVERIFY(image.load(file));
    QCOMPARE(image.size(), QSize(1280, 720));
    QFile::remove(file);
}

void tst_MonitorCli::badInput_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    QTest::newRow("refused") << QStringList{u"--endpoints"_s, u"http://127.0.0.1:1"_s, u"--once"_s, u"--timeout"_s, u"2"_s}
                             << 1 << u"127.0.0.1:1"_s;
    QTest::newRow("not a url") << QStringList{u"--endpoints"_s, u"etcd:notaport"_s, u"--once"_s}
                               << 2 << u"invalid endpoint"_s;
    QTest::newRow("json alone") << QStringList{u"--json"_s} << 2 << u"--json goes with --once"_s;
    QTest::newRow("bad timeout") << QStringList{u"--once"_s, u"--timeout"_s, u"soon"_s} << 2 << u"--timeout"_s;
    QTest::newRow("screenshot-after alone") << QStringList{u"--screenshot-after"_s, u"2"_s} << 2 << u"goes with --screenshot"_s;
    QTest::newRow("bad screenshot-after") << QStringList{u"--screenshot"_s, u"/tmp/x.png"_s, u"--screenshot-after"_s, u"-1"_s}
                                          << 2 << u"--screenshot-after must be"_s;
    QTest::newRow("unknown option") << QStringList{u"--frobnicate"_s} << 2 << u"frobnicate"_s;
    QTest::newRow("resign read-only") << QStringList{u"--resign"_s, u"x"_s, u"--read-only"_s} << 2 << u"--read-only"_s;
    QTest::newRow("transfer without id") << QStringList{u"--transfer"_s, u"x"_s} << 2 << u"--transfer ELECTION CANDIDATE_ID"_s;
    QTest::newRow("transfer read-only") << QStringList{u"--transfer"_s, u"x"_s, u"a"_s, u"--read-only"_s} << 2 << u"--read-only"_s;
    QTest::newRow("transfer and once") << QStringList{u"--transfer"_s, u"x"_s, u"a"_s, u"--once"_s} << 2 << u"cannot be combined"_s;
    QTest::newRow("chart span too short") << QStringList{u"--chart-span"_s, u"30s"_s} << 2 << u"--chart-span must be 1m..24h"_s;
    QTest::newRow("chart span not a span") << QStringList{u"--chart-span"_s, u"soon"_s} << 2 << u"--chart-span must be 1m..24h"_s;
    QTest::newRow("bad window size") << QStringList{u"--window-size"_s, u"1280*720"_s} << 2 << u"--window-size must be WIDTHxHEIGHT"_s;
    QTest::newRow("audit log empty") << QStringList{u"--audit-log="_s} << 2 << u"--audit-log needs a file name"_s;
    QTest::newRow("serve-metrics and once") << QStringList{u"--serve-metrics"_s, u"127.0.0.1:0"_s, u"--once"_s} << 2 << u"runs on its own"_s;
    QTest::newRow("bad serve-metrics") << QStringList{u"--serve-metrics"_s, u"nowhere"_s} << 2 << u"HOST:PORT"_s;
    QTest::newRow("bad not-ready-limit") << QStringList{u"--not-ready-limit"_s, u"-1"_s, u"--once"_s} << 2 << u"--not-ready-limit must be 0..86400 seconds"_s;
    QTest::newRow("bad flap-threshold") << QStringList{u"--flap-threshold"_s, u"1/60"_s, u"--once"_s} << 2 << u"--flap-threshold must be"_s;
    QTest::newRow("unreadable ca") << QStringList{u"--endpoints"_s, u"https://127.0.0.1:2379"_s, u"--cacert"_s,
                                                  u"/nonexistent/ca.pem"_s, u"--once"_s}
                                   << 2 << u"no certificate readable"_s;
}

void tst_MonitorCli::badInput()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    const Run r = run(args);
    QVERIFY2(r.exitCode == exitCode, qPrintable(u"exit %1: %2"_s.arg(r.exitCode).arg(QString::fromUtf8(r.err))));
    QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
    QVERIFY(r.out.isEmpty());
}

QTEST_GUILESS_MAIN(tst_MonitorCli)
#include "tst_monitorcli.moc"
