// conclave-monitor: every election in an etcd cluster, live; resign, evict, revoke.
// Headless modes (--once, --resign, --transfer, --serve-metrics) need no display; --screenshot renders the window once
// its data has loaded (QT_QPA_PLATFORM=offscreen works).
#include "auditlog.h"
#include "cli.h"
#include "electionlistmodel.h"
#include "mainwindow.h"
#include "historystore.h"
#include "leadershipchart.h"
#include "metricsexporter.h"
#include "monitorsettings.h"

#include <conclave/client.h>
#include <conclave/clusterstatus.h>
#include <conclave/conclave_version.h>
#include <conclave/electiondirectory.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QSocketNotifier>
#include <QtWidgets/QApplication>
#include <QtWidgets/QInputDialog>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <termios.h>
#include <unistd.h>

namespace {

using Monitor::Cli::fail;

struct Options
{
    Conclave::ConnectionSettings connection;
    QString prefix;
    bool readOnly = false;
    bool once = false;
    bool json = false;
    QString resign;
    QString transferElection;
    QString transferTo;
    QString serveMetrics;
    Monitor::HealthRules rules;
    QString screenshot;
    double screenshotAfterS = 1.0;
    QSize windowSize{1440, 800};
    QString select;
    QString auditLog;
    std::chrono::seconds chartSpan{15 * 60};
    int timeoutS = 10;
    bool headless() const { return once || !resign.isEmpty() || !transferElection.isEmpty() || !serveMetrics.isEmpty(); }
};

QString readPasswordFromTerminal(const QString &user)
{
    std::fprintf(stderr, "Password for %s: ", qPrintable(user));
    termios old{};
    const bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        termios quiet = old;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
    return QString::fromStdString(line);
}

void addOptions(QCommandLineParser &p)
{
    p.setApplicationDescription(QStringLiteral(
            "Shows every etcd election (Conclave, Go clientv3/concurrency, etcdctl elect): leaders, queues, live lease TTLs, handovers."));
    p.addHelpOption();
    p.addVersionOption();
    p.addOptions(Conclave::ConnectionSettings::commandLineOptions());
    p.addOptions({
            {QStringLiteral("prefix"), QStringLiteral("only elections under this key prefix (default: the whole keyspace)"), QStringLiteral("prefix")},
            {QStringLiteral("read-only"), QStringLiteral("never write: resign, evict and revoke are disabled")},
            {QStringLiteral("once"), QStringLiteral("print one snapshot and exit (no window)")},
            {QStringLiteral("json"), QStringLiteral("with --once: print the snapshot as JSON")},
            {QStringLiteral("resign"), QStringLiteral("resign the leader of this election (guarded), report the next leader, exit"), QStringLiteral("election")},
            {QStringLiteral("transfer"), QStringLiteral("--transfer ELECTION CANDIDATE_ID: ask the Conclave leader to hand over to that candidate; exit 0 once it leads, 1 with the reason if not"), QStringLiteral("election")},
            {QStringLiteral("serve-metrics"), QStringLiteral("run headless and serve /metrics (Prometheus) and /healthz for every election on HOST:PORT until SIGINT/SIGTERM"), QStringLiteral("host:port")},
            {QStringLiteral("flap-threshold"), QStringLiteral("HANDOVERS/SECONDS that make an election flapping (default 3/60)"), QStringLiteral("n/seconds")},
            {QStringLiteral("not-ready-limit"), QStringLiteral("seconds a leader may lead without saying it is ready before its election is an anomaly (default 60)"), QStringLiteral("seconds")},
            {QStringLiteral("screenshot"), QStringLiteral("render the window to this PNG once data has loaded, then exit"), QStringLiteral("file")},
            {QStringLiteral("screenshot-after"), QStringLiteral("with --screenshot: seconds to stay live after the data has loaded, before rendering (default 1)"), QStringLiteral("seconds")},
            {QStringLiteral("select"), QStringLiteral("election to select at start"), QStringLiteral("election")},
            {QStringLiteral("window-size"), QStringLiteral("the window's size at start, WIDTHxHEIGHT (default 1440x800); with --screenshot, the picture's"), QStringLiteral("size")},
            {QStringLiteral("chart-span"), QStringLiteral("time the leadership chart shows at start: 90s, 5m, 2h (1 min to 24 h; default 15m)"), QStringLiteral("span")},
            {QStringLiteral("audit-log"), QStringLiteral("append every action (resign, make leader, evict, revoke; --resign, --transfer) to this JSON-lines file (default: audit.jsonl in the monitor's data directory)"), QStringLiteral("file")},
            {QStringLiteral("timeout"), QStringLiteral("seconds to wait for etcd in --once/--resign/--transfer/--screenshot (default 10)"), QStringLiteral("seconds")},
    });
}

// Command line, then ETCDCTL_* (both in fromCommandLine); with no endpoint named by either,
// what the monitor remembered fills every field left empty.
Conclave::ConnectionSettings resolveConnection(const QCommandLineParser &p)
{
    Conclave::ConnectionSettings c = Conclave::ConnectionSettings::fromCommandLine(p);
    if (p.isSet(QStringLiteral("endpoints")) || qEnvironmentVariableIsSet("ETCDCTL_ENDPOINTS"))
        return c;
    const Conclave::ConnectionSettings remembered = Monitor::rememberedConnection();
    c.setEndpoints(remembered.endpoints());
    if (c.caCertificateFile().isEmpty())
        c.setCaCertificateFile(remembered.caCertificateFile());
    if (c.certificateFile().isEmpty())
        c.setCertificateFile(remembered.certificateFile());
    if (c.keyFile().isEmpty())
        c.setKeyFile(remembered.keyFile());
    if (c.user().isEmpty())
        c.setUser(remembered.user());
    return c;
}

// The options, or the message for a usage error.
std::optional<Options> readOptions(const QCommandLineParser &p, QString *problem)
{
    auto bad = [problem](const QString &message) { *problem = message; return std::optional<Options>(); };
    const bool transfer = p.isSet(QStringLiteral("transfer"));
    if (transfer && p.positionalArguments().size() != 1)
        return bad(QStringLiteral("--transfer needs an election and a candidate id: --transfer ELECTION CANDIDATE_ID"));
    if (!transfer && !p.positionalArguments().isEmpty())
        return bad(QStringLiteral("unexpected argument %1 (see --help)").arg(p.positionalArguments().first()));
    if (transfer && p.value(QStringLiteral("transfer")).isEmpty())
        return bad(QStringLiteral("--transfer: the election name is empty"));
    if (transfer && (p.isSet(QStringLiteral("resign")) || p.isSet(QStringLiteral("once"))))
        return bad(QStringLiteral("--transfer cannot be combined with --resign or --once"));
    if (transfer && p.isSet(QStringLiteral("read-only")))
        return bad(QStringLiteral("--transfer writes; it cannot be combined with --read-only"));
    if (p.isSet(QStringLiteral("serve-metrics")) && (transfer || p.isSet(QStringLiteral("resign")) || p.isSet(QStringLiteral("once"))
                                                     || p.isSet(QStringLiteral("screenshot"))))
        return bad(QStringLiteral("--serve-metrics runs on its own: not with --once, --resign, --transfer or --screenshot"));
    if (p.isSet(QStringLiteral("json")) && !p.isSet(QStringLiteral("once")))
        return bad(QStringLiteral("--json goes with --once"));
    if (p.isSet(QStringLiteral("screenshot-after")) && !p.isSet(QStringLiteral("screenshot")))
        return bad(QStringLiteral("--screenshot-after goes with --screenshot"));
    if (p.isSet(QStringLiteral("resign")) && p.isSet(QStringLiteral("read-only")))
        return bad(QStringLiteral("--resign writes; it cannot be combined with --read-only"));
    Options o;
    bool ok = true;
    if (p.isSet(QStringLiteral("timeout")))
        o.timeoutS = p.value(QStringLiteral("timeout")).toInt(&ok);
    if (!ok || o.timeoutS < 1 || o.timeoutS > 3600)
        return bad(QStringLiteral("--timeout must be 1..3600 seconds"));
    if (p.isSet(QStringLiteral("screenshot-after")))
        o.screenshotAfterS = p.value(QStringLiteral("screenshot-after")).toDouble(&ok);
    if (!ok || o.screenshotAfterS < 0 || o.screenshotAfterS > 3600)
        return bad(QStringLiteral("--screenshot-after must be 0..3600 seconds"));
    if (p.isSet(QStringLiteral("window-size"))) {
        const QStringList wh = p.value(QStringLiteral("window-size")).split(QLatin1Char('x'));
        bool okW = false;
        bool okH = false;
        o.windowSize = wh.size() == 2 ? QSize(wh[0].toInt(&okW), wh[1].toInt(&okH)) : QSize();
        if (!okW || !okH || o.windowSize.width() < 640 || o.windowSize.height() < 400 || o.windowSize.width() > 8192
            || o.windowSize.height() > 8192)
            return bad(QStringLiteral("--window-size must be WIDTHxHEIGHT, from 640x400 to 8192x8192 (got \"%1\")")
                               .arg(p.value(QStringLiteral("window-size"))));
    }
    o.connection = resolveConnection(p);
    if (o.connection.endpointUrls(problem).isEmpty())
        return std::nullopt;
    o.prefix = p.value(QStringLiteral("prefix"));
    o.readOnly = p.isSet(QStringLiteral("read-only"));
    o.once = p.isSet(QStringLiteral("once"));
    o.json = p.isSet(QStringLiteral("json"));
    o.resign = p.value(QStringLiteral("resign"));
    o.serveMetrics = p.value(QStringLiteral("serve-metrics"));
    if (p.isSet(QStringLiteral("flap-threshold")) && !Monitor::FlapRule::parse(p.value(QStringLiteral("flap-threshold")), &o.rules.flap, problem))
        return std::nullopt;
    if (p.isSet(QStringLiteral("not-ready-limit"))) {
        bool ok = false;
        const int seconds = p.value(QStringLiteral("not-ready-limit")).toInt(&ok);
        if (!ok || seconds < 0 || seconds > 86400)
            return bad(QStringLiteral("--not-ready-limit must be 0..86400 seconds"));
        o.rules.notReadyLimit = std::chrono::seconds(seconds);
    }
    if (transfer) {
        o.transferElection = p.value(QStringLiteral("transfer"));
        o.transferTo = p.positionalArguments().first();
    }
    o.screenshot = p.value(QStringLiteral("screenshot"));
    o.select = p.value(QStringLiteral("select"));
    o.auditLog = p.value(QStringLiteral("audit-log"));
    if (p.isSet(QStringLiteral("chart-span")) && !Monitor::parseSpan(p.value(QStringLiteral("chart-span")), &o.chartSpan)) {
        *problem = QStringLiteral("--chart-span must be 1m..24h, like 90s, 5m or 2h (got \"%1\")").arg(p.value(QStringLiteral("chart-span")));
        return std::nullopt;
    }
    if (p.isSet(QStringLiteral("audit-log")) && o.auditLog.isEmpty()) {
        *problem = QStringLiteral("--audit-log needs a file name");
        return std::nullopt;
    }
    return o;
}

int signalPipe[2];

// The exporter: serves from the start (/healthz says 503 until the first listing), until a signal.
int serveMetrics(QCoreApplication &app, Conclave::Client &client, Conclave::ElectionDirectory &dir, const Options &o)
{
    Monitor::HistoryStore history(Monitor::HistoryStore::fileFor(o.connection.endpoints(), o.prefix));
    history.loadInBackground(); // serving does not wait for a long history
    history.record(&dir);
    Conclave::ClusterStatus cluster(&client);
    history.followCluster(&cluster);
    Monitor::MetricsExporter exporter(&dir, o.rules, &cluster);
    QString problem;
    if (!exporter.listen(o.serveMetrics, &problem))
        return fail(problem, 2);
    if (::pipe(signalPipe) != 0)
        return fail(QStringLiteral("cannot create a pipe"));
    auto onSignal = [](int) { const char c = 1; [[maybe_unused]] auto n = ::write(signalPipe[1], &c, 1); };
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    QSocketNotifier signalNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &app, [&] {
        signalNotifier.setEnabled(false); // once is enough: the pipe is not read
        app.quit();
    });
    dir.start();
    cluster.start();
    const QString host = o.serveMetrics.left(o.serveMetrics.lastIndexOf(QLatin1Char(':')));
    std::printf("serving metrics on http://%s:%u/metrics\n", qPrintable(host), unsigned(exporter.port()));
    std::fflush(stdout);
    return app.exec();
}

int runHeadless(int argc, char **argv, Options o)
{
    QCoreApplication app(argc, argv);
    if (!o.connection.user().isEmpty() && o.connection.password().isEmpty()) {
        if (!isatty(STDIN_FILENO))
            return fail(QStringLiteral("no password for %1: set ETCDCTL_PASSWORD or use --user USER:PASSWORD").arg(o.connection.user()), 2);
        o.connection.setPassword(readPasswordFromTerminal(o.connection.user()));
    }
    Conclave::Client client;
    QString problem;
    if (!o.connection.applyTo(&client, &problem))
        return fail(problem, 2);
    client.setRequestTimeout(std::chrono::seconds(qMin(o.timeoutS, 5)));
    Conclave::ElectionDirectory dir(&client);
    dir.setPrefix(o.prefix);
    if (!o.serveMetrics.isEmpty())
        return serveMetrics(app, client, dir, o);
    const QString error = Monitor::Cli::load(dir, o.timeoutS * 1000, o.once);
    if (!error.isEmpty())
        return fail(QStringLiteral("cannot read elections from %1: %2").arg(o.connection.endpoints(), error));
    if (o.once) {
        // The members are read at once too; what could not be read by the deadline is said in them.
        Conclave::ClusterStatus cluster(&client);
        Monitor::Cli::loadCluster(cluster, o.timeoutS * 1000);
        Monitor::HistoryStore history(Monitor::HistoryStore::fileFor(o.connection.endpoints(), o.prefix));
        history.load();
        history.followCluster(&cluster);
        return Monitor::Cli::runOnce(dir, o.json, history.handovers(), o.rules, &cluster);
    }
    Monitor::AuditLog audit(o.auditLog.isEmpty() ? Monitor::AuditLog::defaultFile() : o.auditLog);
    Monitor::AuditEntry entry;
    entry.endpoints = o.connection.endpoints();
    if (!o.transferElection.isEmpty())
        return Monitor::Cli::runTransfer(dir, o.transferElection, o.transferTo, o.timeoutS, &audit, entry);
    return Monitor::Cli::runResign(dir, o.resign, o.timeoutS, &audit, entry);
}

int runWindow(int argc, char **argv, Options o)
{
    QApplication app(argc, argv);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/conclave-monitor.svg")));
    if (!o.connection.user().isEmpty() && o.connection.password().isEmpty()) {
        bool given = false;
        const QString password = QInputDialog::getText(nullptr, QStringLiteral("conclave-monitor"),
                                                       QStringLiteral("Password for etcd user %1:").arg(o.connection.user()),
                                                       QLineEdit::Password, {}, &given);
        if (!given)
            return fail(QStringLiteral("no password given"), 2);
        o.connection.setPassword(password);
    }
    Monitor::MainWindow window({o.connection, o.prefix, o.readOnly, o.screenshot.isEmpty(), o.rules, o.auditLog, o.chartSpan});
    window.resize(o.windowSize);
    if (!o.select.isEmpty()) {
        QObject::connect(window.electionModel(), &QAbstractItemModel::rowsInserted, &window, [&window, o] {
            if (window.selectedElection() != o.select)
                window.selectElection(o.select);
        });
    }
    window.show();
    if (!o.screenshot.isEmpty())
        return Monitor::Cli::runScreenshot(window, o.screenshot, o.screenshotAfterS, o.timeoutS);
    return app.exec();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication::setOrganizationName(QStringLiteral("Conclave"));
    QCoreApplication::setApplicationName(QStringLiteral("conclave-monitor"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CONCLAVE_VERSION_STRING));
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    QCommandLineParser p;
    addOptions(p);
    if (!p.parse(arguments))
        return fail(p.errorText() + QStringLiteral("\n(see --help)"), 2);
    if (p.isSet(QStringLiteral("help")) || p.isSet(QStringLiteral("version"))) {
        QCoreApplication app(argc, argv);
        if (p.isSet(QStringLiteral("version")))
            p.showVersion();
        p.showHelp(0);
    }
    QString problem;
    const std::optional<Options> options = readOptions(p, &problem);
    if (!options)
        return fail(problem, 2);
    return options->headless() ? runHeadless(argc, argv, *options) : runWindow(argc, argv, *options);
}
