// A real Prometheus (Debian's) on loopback scrapes conclave-monitor --serve-metrics and the
// candidates' --metrics-address with the repository's alerting rules: every query of the
// Grafana dashboard returns data, and when every candidate of an election dies the no-leader
// alert goes pending. A missing prometheus binary is a failure, not a skip.
#include "candidateprocess.h"
#include "etcdtestenv.h"
#include "testwait.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtCore/QUrlQuery>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QTcpServer>
#include <QtTest/QTest>

#include <memory>

using namespace Qt::StringLiterals;

namespace {

// Prometheus scrapes and evaluates every second here; a candidate's lease is 3 s. "Soon" for a
// fact to travel etcd → exporter → scrape → rule is a few of those.
constexpr int PrometheusWaitMs = 30000;

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

// Every "expr" in the dashboard, with Grafana's variables given values a user could pick.
QStringList dashboardQueries(const QJsonValue &node)
{
    QStringList out;
    if (node.isObject()) {
        const QJsonObject o = node.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (it.key() == QLatin1String("expr") && it.value().isString())
                out << it.value().toString()
                               .replace(u"$election"_s, u".+"_s) // "All"
                               .replace(u"$__rate_interval"_s, u"1m"_s)
                               .replace(u"$__range"_s, u"5m"_s);
            else
                out << dashboardQueries(it.value());
        }
    } else if (node.isArray()) {
        for (const QJsonValue &v : node.toArray())
            out << dashboardQueries(v);
    }
    return out;
}

} // namespace

class tst_Prometheus : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void dashboardAndNoLeaderAlert();

private:
    bool startMonitor();
    bool startPrometheus(const QStringList &candidateTargets);
    //! GET /api/v1/<path> of the Prometheus; the "data" member, or null on any failure.
    QJsonValue api(const QString &path, const QUrlQuery &query = {});
    QJsonArray instant(const QString &expr) { return api(u"query"_s, QUrlQuery{{u"query"_s, expr}}).toObject().value(u"result"_s).toArray(); }
    bool alertIs(const QString &name, const QString &election, const QString &state);

    EtcdTestEnv m_etcd;
    QTemporaryDir m_dir;
    QProcess m_monitor;
    QProcess m_prometheus;
    quint16 m_monitorPort = 0;
    quint16 m_prometheusPort = 0;
    QNetworkAccessManager m_nam;
    std::vector<std::unique_ptr<CandidateProcess>> m_candidates;
};

void tst_Prometheus::initTestCase()
{
    QVERIFY2(m_etcd.start(), qPrintable(m_etcd.errorString()));
    QVERIFY(m_dir.isValid());
}

void tst_Prometheus::cleanupTestCase()
{
    for (QProcess *p : {&m_prometheus, &m_monitor}) {
        if (p->state() != QProcess::NotRunning) {
            p->terminate();
            if (!p->waitForFinished(10000))
                p->kill();
        }
    }
    if (QTest::currentTestFailed() || m_prometheus.exitCode() != 0)
        qWarning().noquote() << "prometheus said:" << m_prometheus.readAllStandardError().right(3000);
    m_etcd.dumpLogsIfFailed();
}

bool tst_Prometheus::startMonitor()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"XDG_DATA_HOME"_s, m_dir.filePath(u"data"_s)); // its history file
    m_monitor.setProcessEnvironment(env);
    m_monitor.start(QStringLiteral(CONCLAVE_MONITOR_BIN), {u"--endpoints"_s, m_etcd.endpoint(0).toString(),
                                                          u"--serve-metrics"_s, u"127.0.0.1:0"_s});
    QByteArray out;
    if (!QTest::qWaitFor([&] { return (out += m_monitor.readAllStandardOutput()).contains('\n'); }, TestWaitMs))
        return false;
    const QRegularExpressionMatch m = QRegularExpression(u"http://127.0.0.1:(\\d+)/metrics"_s).match(QString::fromUtf8(out));
    m_monitorPort = m.hasMatch() ? quint16(m.captured(1).toUInt()) : 0;
    return m_monitorPort != 0;
}

bool tst_Prometheus::startPrometheus(const QStringList &candidateTargets)
{
    const QString binary = qEnvironmentVariableIsSet("PROMETHEUS_BIN") ? qEnvironmentVariable("PROMETHEUS_BIN")
                                                                       : QStandardPaths::findExecutable(u"prometheus"_s);
    if (binary.isEmpty()) {
        qWarning("prometheus not found (Debian package prometheus, which scripts/test installs; or set PROMETHEUS_BIN)");
        return false;
    }
    const QString rules = QStringLiteral(CONCLAVE_SOURCE_DIR) + u"/resources/monitoring/conclave-alerts.yml"_s;
    QFile config(m_dir.filePath(u"prometheus.yml"_s));
    if (!config.open(QIODevice::WriteOnly))
        return false;
    QStringList quoted;
    for (const QString &t : candidateTargets)
        quoted << u"'%1'"_s.arg(t);
    config.write(u"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                 "rule_files:\n  - '%1'\n"
                 "scrape_configs:\n"
                 "  - job_name: conclave-monitor\n    static_configs:\n      - targets: ['127.0.0.1:%2']\n"
                 "  - job_name: conclave-candidates\n    static_configs:\n      - targets: [%3]\n"_s
                         .arg(rules).arg(m_monitorPort).arg(quoted.join(u", "_s))
                         .toUtf8());
    config.close();
    m_prometheusPort = freePort();
    m_prometheus.start(binary, {u"--config.file="_s + config.fileName(), u"--storage.tsdb.path="_s + m_dir.filePath(u"tsdb"_s),
                                u"--web.listen-address=127.0.0.1:%1"_s.arg(m_prometheusPort), u"--log.level=warn"_s});
    return m_prometheus.waitForStarted(TestWaitMs);
}

QJsonValue tst_Prometheus::api(const QString &path, const QUrlQuery &query)
{
    QUrl url(u"http://127.0.0.1:%1/api/v1/%2"_s.arg(m_prometheusPort).arg(path));
    // Every reserved character encoded: Prometheus reads a form, where a bare '+' is a space.
    QStringList encoded;
    for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded))
        encoded << QString::fromLatin1(QUrl::toPercentEncoding(key) + '=' + QUrl::toPercentEncoding(value));
    url.setQuery(encoded.join(u'&'), QUrl::StrictMode);
    std::unique_ptr<QNetworkReply> reply(m_nam.get(QNetworkRequest(url)));
    if (!QTest::qWaitFor([&] { return reply->isFinished(); }, TestWaitMs))
        return {};
    const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
    return answer.value(u"status"_s).toString() == u"success"_s ? answer.value(u"data"_s) : QJsonValue();
}

bool tst_Prometheus::alertIs(const QString &name, const QString &election, const QString &state)
{
    for (const QJsonValue &v : api(u"alerts"_s).toObject().value(u"alerts"_s).toArray()) {
        const QJsonObject a = v.toObject();
        const QJsonObject labels = a.value(u"labels"_s).toObject();
        if (labels.value(u"alertname"_s).toString() == name && labels.value(u"election"_s).toString() == election
            && a.value(u"state"_s).toString() == state)
            return true;
    }
    return false;
}

void tst_Prometheus::dashboardAndNoLeaderAlert()
{
    const QString billing = u"billing/scheduler"_s;
    const QString search = u"search/indexer"_s;
    QStringList targets;
    for (const auto &[election, id] : {std::pair{billing, u"billing-1"_s}, {billing, u"billing-2"_s}, {search, u"search-1"_s}}) {
        auto c = std::make_unique<CandidateProcess>();
        QVERIFY(c->start(m_etcd.endpoints(), election, id, 3, {u"--metrics-address"_s, u"127.0.0.1:0"_s}));
        QTRY_VERIFY_WITH_TIMEOUT(c->role() != u"not-a-member"_s, TestWaitMs);
        int port = 0;
        for (const QJsonObject &e : c->events())
            if (e.value(u"event"_s).toString() == u"metrics"_s)
                port = e.value(u"port"_s).toInt();
        QVERIFY(port > 0);
        targets << u"127.0.0.1:%1"_s.arg(port);
        m_candidates.push_back(std::move(c));
    }
    QCOMPARE(m_candidates[0]->role(), u"leader"_s);
    QVERIFY(startMonitor());
    QVERIFY2(startPrometheus(targets), "prometheus did not start (see the warning above)");

    // Every target scraped.
    auto targetsUp = [&] {
        const QJsonArray active = api(u"targets"_s).toObject().value(u"activeTargets"_s).toArray();
        return active.size() == 4
                && std::all_of(active.begin(), active.end(), [](const QJsonValue &t) { return t.toObject().value(u"health"_s).toString() == u"up"_s; });
    };
    QTRY_VERIFY_WITH_TIMEOUT(targetsUp(), PrometheusWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(instant(u"conclave_election_has_leader == 1"_s).size(), 2, PrometheusWaitMs);

    // A handover (billing-1 revokes its lease on SIGTERM), seen by the exporter and scraped.
    m_candidates[0]->terminate();
    QVERIFY(m_candidates[0]->waitForExit(TestWaitMs));
    QTRY_COMPARE_WITH_TIMEOUT(m_candidates[1]->role(), u"leader"_s, TestWaitMs);
    QTRY_VERIFY2_WITH_TIMEOUT(!instant(u"conclave_election_handovers_total{election=\"billing/scheduler\",cause=\"lease_revoked\"} == 1"_s).isEmpty(),
                              QJsonDocument(instant(u"conclave_election_handovers_total"_s)).toJson(QJsonDocument::Compact).constData(),
                              PrometheusWaitMs);

    // Every candidate of billing dies: after its lease the election has no leader, and the
    // critical alert goes pending (it fires after a minute, beyond this test).
    m_candidates[1]->kill();
    QVERIFY(m_candidates[1]->waitForExit(TestWaitMs));
    QTRY_VERIFY_WITH_TIMEOUT(alertIs(u"ConclaveElectionNoLeader"_s, billing, u"pending"_s), PrometheusWaitMs);
    QVERIFY(!alertIs(u"ConclaveElectionNoLeader"_s, search, u"pending"_s));

    // Every query of the dashboard returns data (search-1 still runs for the candidates' panels).
    QFile file(QStringLiteral(CONCLAVE_SOURCE_DIR) + u"/resources/monitoring/conclave-dashboard.json"_s);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonDocument dashboard = QJsonDocument::fromJson(file.readAll());
    QVERIFY(dashboard.isObject());
    const QStringList queries = dashboardQueries(dashboard.object().value(u"panels"_s));
    QVERIFY(queries.size() >= 15);
    for (const QString &query : queries) {
        const QJsonValue data = api(u"query"_s, QUrlQuery{{u"query"_s, query}});
        QVERIFY2(data.isObject(), qPrintable(u"Prometheus refused: "_s + query));
        QVERIFY2(!data.toObject().value(u"result"_s).toArray().isEmpty(), qPrintable(u"no data: "_s + query));
    }
    // The election variable's query lists both elections.
    const QJsonArray elections = api(u"label/election/values"_s, QUrlQuery{{u"match[]"_s, u"conclave_election_has_leader"_s}}).toArray();
    QCOMPARE(elections, (QJsonArray{billing, search}));
}

QTEST_GUILESS_MAIN(tst_Prometheus)
#include "tst_prometheus.moc"
