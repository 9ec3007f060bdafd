// conclave-candidate: one candidate of one election as a separate process, for tests,
// benchmarks, the demo and production: `conclave-candidate [options] -- CMD ARGS…` runs CMD only
// while it leads (leaderchild.h); --health-cmd gates eligibility (healthcheck.h);
// --metrics-address serves /metrics, /healthz and /leader (metricsserver.h). One JSON object per
// line on stdout for every change; commands on stdin (resign, proclaim TEXT, leave, quit,
// eligible, ineligible); SIGINT/SIGTERM leave cleanly and exit 0 (with a child: its status).
#include <conclave/client.h>
#include <conclave/connectionsettings.h>
#include <conclave/elector.h>

#include "healthcheck.h"
#include "leaderchild.h"
#include "metricsserver.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QSocketNotifier>
#include <QtCore/QTimer>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <utility>
#include <unistd.h>

static int signalPipe[2];

static void emitLine(QJsonObject object)
{
    using namespace std::chrono;
    object.insert(QStringLiteral("mono_ns"),
                  qint64(duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count()));
    const QByteArray line = QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fflush(stdout);
}

static QString roleName(Conclave::Elector::Role role)
{
    switch (role) {
    case Conclave::Elector::Role::Leader: return QStringLiteral("leader");
    case Conclave::Elector::Role::Follower: return QStringLiteral("follower");
    case Conclave::Elector::Role::NotAMember: break;
    }
    return QStringLiteral("not-a-member");
}

static int usage(const QString &message)
{
    std::fprintf(stderr, "conclave-candidate: %s\n(see --help)\n", qPrintable(message));
    return 2;
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Joins one etcd election and reports every change as JSON lines."));
    p.addHelpOption();
    p.addOptions(Conclave::ConnectionSettings::commandLineOptions());
    p.addOptions({{QStringLiteral("election"), QStringLiteral("election name"), QStringLiteral("name")},
                  {QStringLiteral("id"), QStringLiteral("candidate id (default hostname:pid)"), QStringLiteral("id")},
                  {QStringLiteral("ttl"), QStringLiteral("lease TTL in seconds (default 10)"), QStringLiteral("seconds")},
                  {QStringLiteral("host"), QStringLiteral("advertised host"), QStringLiteral("host")},
                  {QStringLiteral("port"), QStringLiteral("advertised port"), QStringLiteral("port")},
                  {QStringLiteral("priority"), QStringLiteral("preference for leading (default 0): a higher one takes over from a lower one"), QStringLiteral("n")},
                  {QStringLiteral("kill-after"), QStringLiteral("with -- CMD: seconds from SIGTERM to SIGKILL once leadership is lost (default 2; never later than the lease could expire)"), QStringLiteral("seconds")},
                  {QStringLiteral("health-cmd"), QStringLiteral("shell command run every --health-interval; --health-failures failures in a row make this candidate ineligible, one success eligible again"), QStringLiteral("cmd")},
                  {QStringLiteral("health-interval"), QStringLiteral("seconds between health checks, and each one's time limit (default 5)"), QStringLiteral("seconds")},
                  {QStringLiteral("health-failures"), QStringLiteral("failed health checks in a row that make it ineligible (default 3)"), QStringLiteral("n")},
                  {QStringLiteral("metrics-address"), QStringLiteral("serve /metrics (Prometheus), /healthz and /leader on HOST:PORT"), QStringLiteral("host:port")}});
    if (!p.parse(app.arguments()))
        return usage(p.errorText());
    if (p.isSet(QStringLiteral("help")))
        p.showHelp(0);
    // Everything after "--" is the command to run while leading.
    const QStringList args = app.arguments();
    const qsizetype dashes = args.indexOf(QStringLiteral("--"));
    const QStringList command = dashes >= 0 ? args.mid(dashes + 1) : QStringList();
    if (p.positionalArguments().size() != command.size())
        return usage(QStringLiteral("unexpected argument ") + p.positionalArguments().first()
                     + QStringLiteral(" (a command to run while leading goes after --)"));
    if (dashes >= 0) {
        if (const QString problem = LeaderChild::commandProblem(command); !problem.isEmpty())
            return usage(problem);
    }

    if (!p.isSet(QStringLiteral("election")) || p.value(QStringLiteral("election")).isEmpty())
        return usage(QStringLiteral("--election is required"));
    bool ok = true;
    const int ttl = p.isSet(QStringLiteral("ttl")) ? p.value(QStringLiteral("ttl")).toInt(&ok) : 10;
    if (!ok || ttl < 2)
        return usage(QStringLiteral("--ttl must be a whole number of seconds, at least 2"));
    const int port = p.isSet(QStringLiteral("port")) ? p.value(QStringLiteral("port")).toInt(&ok) : 0;
    if (!ok || port < 0 || port > 65535)
        return usage(QStringLiteral("--port must be 0..65535"));
    const int priority = p.isSet(QStringLiteral("priority")) ? p.value(QStringLiteral("priority")).toInt(&ok) : 0;
    if (!ok)
        return usage(QStringLiteral("--priority must be a whole number"));
    const double killAfter = p.isSet(QStringLiteral("kill-after")) ? p.value(QStringLiteral("kill-after")).toDouble(&ok) : 2.0;
    if (!ok || killAfter < 0 || killAfter > 3600)
        return usage(QStringLiteral("--kill-after must be 0..3600 seconds"));
    if (p.isSet(QStringLiteral("kill-after")) && command.isEmpty())
        return usage(QStringLiteral("--kill-after goes with a command (-- CMD ARGS...)"));
    const double healthInterval = p.isSet(QStringLiteral("health-interval")) ? p.value(QStringLiteral("health-interval")).toDouble(&ok) : 5.0;
    if (!ok || healthInterval < 0.1 || healthInterval > 3600)
        return usage(QStringLiteral("--health-interval must be 0.1..3600 seconds"));
    const int healthFailures = p.isSet(QStringLiteral("health-failures")) ? p.value(QStringLiteral("health-failures")).toInt(&ok) : 3;
    if (!ok || healthFailures < 1)
        return usage(QStringLiteral("--health-failures must be a whole number, at least 1"));
    const QString healthCmd = p.value(QStringLiteral("health-cmd"));
    if (p.isSet(QStringLiteral("health-cmd")) && healthCmd.trimmed().isEmpty())
        return usage(QStringLiteral("--health-cmd is empty"));
    if ((p.isSet(QStringLiteral("health-interval")) || p.isSet(QStringLiteral("health-failures"))) && healthCmd.isEmpty())
        return usage(QStringLiteral("--health-interval and --health-failures go with --health-cmd"));

    Conclave::Client client;
    QString problem;
    if (!Conclave::ConnectionSettings::fromCommandLine(p).applyTo(&client, &problem))
        return usage(problem);

    Conclave::Elector elector(&client);
    elector.setElectionName(p.value(QStringLiteral("election")));
    if (p.isSet(QStringLiteral("id")))
        elector.setCandidateId(p.value(QStringLiteral("id")));
    elector.setTtl(std::chrono::seconds(ttl));
    elector.setAdvertisedAddress(p.value(QStringLiteral("host")), port);
    elector.setPriority(priority);

    QObject::connect(&elector, &Conclave::Elector::roleChanged, [&](Conclave::Elector::Role role) {
        const qint64 token = elector.fencingToken();
        emitLine({{QStringLiteral("event"), QStringLiteral("role")},
                  {QStringLiteral("role"), roleName(role)},
                  {QStringLiteral("fencing"), token ? QJsonValue(token) : QJsonValue()}});
    });
    QObject::connect(&elector, &Conclave::Elector::leaderChanged, [&](const Conclave::LeaderInfo &l) {
        QJsonObject o{{QStringLiteral("event"), QStringLiteral("leader")}};
        o.insert(QStringLiteral("id"), l.isValid() ? QJsonValue(l.id()) : QJsonValue());
        o.insert(QStringLiteral("host"), l.host());
        o.insert(QStringLiteral("port"), l.port());
        o.insert(QStringLiteral("fencing"), l.fencingToken());
        emitLine(o);
    });
    std::unique_ptr<HealthCheck> health;
    if (!healthCmd.isEmpty())
        health = std::make_unique<HealthCheck>(healthCmd, std::chrono::milliseconds(qint64(healthInterval * 1000)), healthFailures);
    QObject::connect(&elector, &Conclave::Elector::eligibleChanged, [&health](bool eligible) {
        QJsonObject o{{QStringLiteral("event"), QStringLiteral("eligible")}, {QStringLiteral("value"), eligible}};
        if (health && !health->lastProblem().isEmpty() && !eligible)
            o.insert(QStringLiteral("reason"), QStringLiteral("health check: ") + health->lastProblem());
        emitLine(o);
    });
    if (health)
        QObject::connect(health.get(), &HealthCheck::healthChanged, &elector, &Conclave::Elector::setEligible);

    std::unique_ptr<MetricsServer> metrics;
    if (p.isSet(QStringLiteral("metrics-address"))) {
        metrics = std::make_unique<MetricsServer>(&elector);
        QString problem;
        if (!metrics->listen(p.value(QStringLiteral("metrics-address")), &problem))
            return usage(problem);
        emitLine({{QStringLiteral("event"), QStringLiteral("metrics")}, {QStringLiteral("port"), metrics->port()}});
    }

    std::unique_ptr<LeaderChild> child;
    int exitStatus = 0;
    if (!command.isEmpty()) {
        child = std::make_unique<LeaderChild>(&elector, command, std::chrono::milliseconds(qint64(killAfter * 1000)));
        QObject::connect(child.get(), &LeaderChild::event, [](const QJsonObject &e) { emitLine(e); });
    }
    QObject::connect(&elector, &Conclave::Elector::errorOccurred, [](Conclave::Error e, const QString &m) {
        emitLine({{QStringLiteral("event"), QStringLiteral("error")},
                  {QStringLiteral("code"), Conclave::errorName(e)},
                  {QStringLiteral("message"), m}});
    });
    QObject::connect(&client, &Conclave::Client::errorOccurred, [](Conclave::Error e, const QString &m) {
        emitLine({{QStringLiteral("event"), QStringLiteral("error")},
                  {QStringLiteral("code"), Conclave::errorName(e)},
                  {QStringLiteral("message"), m}});
    });

    // Leave cleanly: NotAMember at once; with a child, the key goes once it has exited; then
    // wait (bounded) for the revoke to be answered.
    bool quitting = false;
    auto quitCleanly = [&] {
        if (std::exchange(quitting, true))
            return;
        elector.leave();
        auto finish = [&] {
            if (client.pendingRequests() == 0)
                QCoreApplication::exit(exitStatus);
            QObject::connect(&client, &Conclave::Client::idle, &app, [&] { QCoreApplication::exit(exitStatus); });
            QTimer::singleShot(3000, &app, [&] { QCoreApplication::exit(exitStatus); });
        };
        if (child && child->isRunning())
            QObject::connect(child.get(), &LeaderChild::gone, &app, finish);
        else
            finish();
    };
    if (child)
        QObject::connect(child.get(), &LeaderChild::exitedOnItsOwn, &app, [&](int status) {
            exitStatus = status; // it ended by itself: we leave, and exit with its status
            quitCleanly();
        });

    if (::pipe(signalPipe) != 0)
        return 1;
    auto onSignal = [](int) { const char c = 1; [[maybe_unused]] auto n = ::write(signalPipe[1], &c, 1); };
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    QSocketNotifier signalNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, [&] {
        // Drain the pipe: a level-triggered notifier left readable fires on every loop pass and
        // kept the leaving process spinning, competing with etcd and the next leader for a CPU.
        char drained[64];
        [[maybe_unused]] auto n = ::read(signalPipe[0], drained, sizeof drained);
        quitCleanly();
    });

    QSocketNotifier input(STDIN_FILENO, QSocketNotifier::Read);
    QObject::connect(&input, &QSocketNotifier::activated, [&] {
        char buffer[4096];
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n <= 0) { // stdin closed: keep running until a signal or a quit command
            input.setEnabled(false);
            return;
        }
        for (const QByteArray &raw : QByteArray(buffer, n).split('\n')) {
            const QByteArray line = raw.trimmed();
            if (line == "resign")
                elector.resign();
            else if (line == "leave")
                elector.leave();
            else if (line == "quit")
                quitCleanly();
            else if (line == "eligible")
                elector.setEligible(true);
            else if (line == "ineligible")
                elector.setEligible(false);
            else if (line.startsWith("proclaim "))
                elector.proclaim({{QStringLiteral("text"), QString::fromUtf8(line.mid(9))}});
            else if (!line.isEmpty())
                std::fprintf(stderr, "unknown command: %s\n", line.constData());
        }
    });

    elector.campaign();
    if (health)
        health->start();
    return app.exec();
}
