// conclave-worker: the mongo-leader pattern done the Qt way.
//  - The leader runs the job (a QTimer doing work) and serves followers on its advertised
//    host:port with a QTcpServer: every unit of work is sent to each connected follower,
//    stamped with the leader's fencing token.
//  - Followers stop the job and connect to the leader's address from leaderChanged,
//    reconnecting on every change.
//  - The work stops *before* leadership is released: roleChanged(Follower/NotAMember) is
//    delivered before resign()/leave() delete the key, and the job stops in that slot.
// One JSON object per line on stdout; "resign", "quit", "ineligible" or "eligible" on stdin;
// SIGINT/SIGTERM quit cleanly.
//   conclave-worker [--election NAME] [--id ID] [--host HOST] [--port PORT] [--ttl SECONDS]
//                   [--priority N] [etcdctl connection options]
#include "worker.h"

#include <conclave/client.h>
#include <conclave/connectionsettings.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <functional>
#include <optional>
#include <utility>
#include <unistd.h>

namespace {

int signalPipe[2];

int usage(const QString &message)
{
    std::fprintf(stderr, "conclave-worker: %s\n(see --help)\n", qPrintable(message));
    return 2;
}

struct Options
{
    int ttl = 5;
    int port = 0;
    int priority = 0;
    QString host;
};

// The options after the connection's, checked; a free port found when none is given (the
// server listens on it while leading).
std::optional<Options> readOptions(const QCommandLineParser &p, QString *problem)
{
    Options o;
    bool ok = true;
    o.ttl = p.value(QStringLiteral("ttl")).toInt(&ok);
    if (!ok || o.ttl < 2)
        return *problem = QStringLiteral("--ttl must be a whole number of seconds, at least 2"), std::nullopt;
    o.port = p.value(QStringLiteral("port")).toInt(&ok);
    if (!ok || o.port < 0 || o.port > 65535)
        return *problem = QStringLiteral("--port must be 0..65535"), std::nullopt;
    o.priority = p.value(QStringLiteral("priority")).toInt(&ok);
    if (!ok)
        return *problem = QStringLiteral("--priority must be a whole number"), std::nullopt;
    o.host = p.value(QStringLiteral("host"));
    if (o.port == 0) {
        QTcpServer probe;
        if (!probe.listen(QHostAddress(o.host), 0))
            return *problem = QStringLiteral("cannot listen on %1: %2").arg(o.host, probe.errorString()), std::nullopt;
        o.port = probe.serverPort();
    }
    return o;
}

// "resign", "quit", "ineligible" (e.g. from a failing health check: hand over, keep following)
// or "eligible" on stdin; one read may carry several.
void onInput(QSocketNotifier &input, Conclave::Elector &elector, const std::function<void()> &quit)
{
    char buffer[256];
    const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer - 1);
    if (n <= 0) {
        input.setEnabled(false); // stdin closed: keep running until a signal
        return;
    }
    for (const QByteArray &line : QByteArray(buffer, int(n)).split('\n')) {
        const QByteArray command = line.trimmed();
        if (command == "resign")
            elector.resign();
        else if (command == "quit")
            quit();
        else if (command == "ineligible" || command == "eligible")
            elector.setEligible(command == "eligible");
    }
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("A worker: the leader works and serves followers; followers follow."));
    p.addHelpOption();
    p.addOptions(Conclave::ConnectionSettings::commandLineOptions());
    p.addOptions({{QStringLiteral("election"), QStringLiteral("election name (default examples/worker)"), QStringLiteral("name"), QStringLiteral("examples/worker")},
                  {QStringLiteral("id"), QStringLiteral("candidate id (default hostname:pid)"), QStringLiteral("id")},
                  {QStringLiteral("host"), QStringLiteral("address to serve followers on (default 127.0.0.1)"), QStringLiteral("host"), QStringLiteral("127.0.0.1")},
                  {QStringLiteral("port"), QStringLiteral("port to serve followers on (default: a free one)"), QStringLiteral("port"), QStringLiteral("0")},
                  {QStringLiteral("ttl"), QStringLiteral("lease TTL in seconds (default 5)"), QStringLiteral("seconds"), QStringLiteral("5")},
                  {QStringLiteral("priority"), QStringLiteral("preference for leading (default 0): a worker of higher priority takes the job over"), QStringLiteral("n"), QStringLiteral("0")}});
    p.process(app);
    Conclave::Client client;
    QString problem;
    if (!Conclave::ConnectionSettings::fromCommandLine(p).applyTo(&client, &problem))
        return usage(problem);
    const std::optional<Options> o = readOptions(p, &problem);
    if (!o)
        return usage(problem);

    Conclave::Elector elector(&client);
    elector.setElectionName(p.value(QStringLiteral("election")));
    if (p.isSet(QStringLiteral("id")))
        elector.setCandidateId(p.value(QStringLiteral("id")));
    elector.setTtl(std::chrono::seconds(o->ttl));
    elector.setAdvertisedAddress(o->host, o->port);
    elector.setPriority(o->priority);
    Worker worker(&elector, o->host, quint16(o->port));
    QObject::connect(&elector, &Conclave::Elector::errorOccurred, [](Conclave::Error e, const QString &message) {
        emitLine({{QStringLiteral("event"), QStringLiteral("error")}, {QStringLiteral("error"), Conclave::errorName(e)},
                  {QStringLiteral("message"), message}});
    });

    // Quit cleanly: stop the work, leave the election, exit once the key deletion is answered.
    bool quitting = false;
    const std::function<void()> quit = [&] {
        if (std::exchange(quitting, true))
            return;
        worker.stopWork("shutting down");
        elector.leave();
        if (client.pendingRequests() == 0)
            QCoreApplication::quit();
        QObject::connect(&client, &Conclave::Client::idle, &app, &QCoreApplication::quit);
        QTimer::singleShot(5000, &app, &QCoreApplication::quit); // etcd unreachable: do not hang
    };
    if (::pipe(signalPipe) != 0)
        return 1;
    std::signal(SIGINT, [](int) { [[maybe_unused]] auto n = ::write(signalPipe[1], "x", 1); });
    std::signal(SIGTERM, [](int) { [[maybe_unused]] auto n = ::write(signalPipe[1], "x", 1); });
    QSocketNotifier signalNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &app, [&] {
        char drained[64]; // else the notifier fires on every pass of the loop until we exit
        [[maybe_unused]] auto n = ::read(signalPipe[0], drained, sizeof drained);
        quit();
    });
    QSocketNotifier input(STDIN_FILENO, QSocketNotifier::Read);
    QObject::connect(&input, &QSocketNotifier::activated, &app, [&] { onInput(input, elector, quit); });

    elector.campaign();
    return app.exec();
}
