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
#include <conclave/client.h>
#include <conclave/connectionsettings.h>
#include <conclave/elector.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QPointer>
#include <QtCore/QSocketNotifier>
#include <QtCore/QTimer>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <utility>
#include <unistd.h>

namespace {

int signalPipe[2];

void emitLine(QJsonObject object)
{
    using namespace std::chrono;
    object.insert(QStringLiteral("mono_ns"),
                  qint64(duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count()));
    const QByteArray line = QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fflush(stdout);
}

class Worker : public QObject
{
public:
    Worker(Conclave::Elector *elector, const QString &host, quint16 port)
        : m_elector(elector)
        , m_host(host)
        , m_port(port)
    {
        m_job.setInterval(200);
        connect(&m_job, &QTimer::timeout, this, &Worker::doWork);
        connect(&m_server, &QTcpServer::newConnection, this, &Worker::acceptFollowers);
        connect(elector, &Conclave::Elector::roleChanged, this, &Worker::onRoleChanged);
        connect(elector, &Conclave::Elector::leaderChanged, this, &Worker::followLeader);
        connect(&m_upstream, &QTcpSocket::readyRead, this, [this] {
            while (m_upstream.canReadLine())
                emitLine({{QStringLiteral("event"), QStringLiteral("received")},
                          {QStringLiteral("line"), QString::fromUtf8(m_upstream.readLine().trimmed())}});
        });
        connect(&m_upstream, &QTcpSocket::connected, this, [this] {
            emitLine({{QStringLiteral("event"), QStringLiteral("connected")},
                      {QStringLiteral("leader"), m_following.id()},
                      {QStringLiteral("address"), QStringLiteral("%1:%2").arg(m_following.host()).arg(m_following.port())}});
        });
        connect(&m_upstream, &QTcpSocket::errorOccurred, this, [this] {
            // The leader may not be listening yet (it opens its server once it knows it leads).
            if (m_elector->role() == Conclave::Elector::Role::Follower && m_following.isValid())
                QTimer::singleShot(300, this, [this] { followLeader(m_elector->leader()); });
        });
    }

    void stopWork(const char *why)
    {
        if (!m_job.isActive())
            return;
        m_job.stop();
        m_server.close();
        for (QTcpSocket *s : std::as_const(m_followers))
            if (s)
                s->disconnectFromHost();
        m_followers.clear();
        emitLine({{QStringLiteral("event"), QStringLiteral("work-stopped")}, {QStringLiteral("why"), QLatin1String(why)},
                  {QStringLiteral("units"), m_units}});
    }

private:
    void onRoleChanged(Conclave::Elector::Role role)
    {
        emitLine({{QStringLiteral("event"), QStringLiteral("role")},
                  {QStringLiteral("role"), role == Conclave::Elector::Role::Leader ? QStringLiteral("leader")
                                           : role == Conclave::Elector::Role::Follower ? QStringLiteral("follower")
                                                                                        : QStringLiteral("not-a-member")}});
        if (role != Conclave::Elector::Role::Leader) {
            stopWork("lost leadership"); // runs before the Elector releases its key
            return;
        }
        m_upstream.abort();
        m_following = {};
        m_term = m_elector->fencingToken();
        if (!m_server.listen(QHostAddress(m_host), m_port))
            emitLine({{QStringLiteral("event"), QStringLiteral("error")}, {QStringLiteral("message"), m_server.errorString()}});
        m_job.start();
        emitLine({{QStringLiteral("event"), QStringLiteral("work-started")}, {QStringLiteral("term"), m_term}});
    }

    void doWork()
    {
        ++m_units;
        const QByteArray line = QStringLiteral("unit %1 term %2\n").arg(m_units).arg(m_term).toUtf8();
        for (QTcpSocket *s : std::as_const(m_followers))
            if (s)
                s->write(line);
    }

    void acceptFollowers()
    {
        while (QTcpSocket *s = m_server.nextPendingConnection()) {
            connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            s->write(QStringLiteral("hello from %1 term %2\n").arg(m_elector->candidateId()).arg(m_term).toUtf8());
            m_followers.append(s);
        }
    }

    void followLeader(const Conclave::LeaderInfo &leader)
    {
        if (m_elector->role() == Conclave::Elector::Role::Leader)
            return;
        if (leader.key() == m_following.key() && leader.fencingToken() == m_following.fencingToken()
            && m_upstream.state() != QAbstractSocket::UnconnectedState)
            return;
        m_upstream.abort();
        m_following = leader;
        if (leader.isValid() && !leader.host().isEmpty() && leader.port() > 0)
            m_upstream.connectToHost(leader.host(), quint16(leader.port()));
    }

    Conclave::Elector *m_elector;
    QString m_host;
    quint16 m_port;
    QTimer m_job;
    QTcpServer m_server;
    QList<QPointer<QTcpSocket>> m_followers;
    QTcpSocket m_upstream;
    Conclave::LeaderInfo m_following;
    qint64 m_term = 0;
    qint64 m_units = 0;
};

int usage(const QString &message)
{
    std::fprintf(stderr, "conclave-worker: %s\n(see --help)\n", qPrintable(message));
    return 2;
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
    Conclave::ConnectionSettings settings = Conclave::ConnectionSettings::fromCommandLine(p);
    Conclave::Client client;
    QString problem;
    if (!settings.applyTo(&client, &problem))
        return usage(problem);
    bool ok = true;
    const int ttl = p.value(QStringLiteral("ttl")).toInt(&ok);
    if (!ok || ttl < 2)
        return usage(QStringLiteral("--ttl must be a whole number of seconds, at least 2"));
    int port = p.value(QStringLiteral("port")).toInt(&ok);
    if (!ok || port < 0 || port > 65535)
        return usage(QStringLiteral("--port must be 0..65535"));
    const int priority = p.value(QStringLiteral("priority")).toInt(&ok);
    if (!ok)
        return usage(QStringLiteral("--priority must be a whole number"));
    const QString host = p.value(QStringLiteral("host"));
    if (port == 0) { // find a free port to advertise; the server listens on it while leading
        QTcpServer probe;
        if (!probe.listen(QHostAddress(host), 0))
            return usage(QStringLiteral("cannot listen on %1: %2").arg(host, probe.errorString()));
        port = probe.serverPort();
    }

    Conclave::Elector elector(&client);
    elector.setElectionName(p.value(QStringLiteral("election")));
    if (p.isSet(QStringLiteral("id")))
        elector.setCandidateId(p.value(QStringLiteral("id")));
    elector.setTtl(std::chrono::seconds(ttl));
    elector.setAdvertisedAddress(host, port);
    elector.setPriority(priority);
    Worker worker(&elector, host, quint16(port));
    QObject::connect(&elector, &Conclave::Elector::errorOccurred, [](Conclave::Error e, const QString &message) {
        emitLine({{QStringLiteral("event"), QStringLiteral("error")}, {QStringLiteral("error"), Conclave::errorName(e)},
                  {QStringLiteral("message"), message}});
    });

    // Quit cleanly: stop the work, leave the election, exit once the key deletion is answered.
    bool quitting = false;
    auto quit = [&] {
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
    QObject::connect(&input, &QSocketNotifier::activated, &app, [&] {
        char buffer[256];
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer - 1);
        if (n <= 0) {
            input.setEnabled(false); // stdin closed: keep running until a signal
            return;
        }
        for (const QByteArray &line : QByteArray(buffer, int(n)).split('\n')) { // one read may carry several
            const QByteArray command = line.trimmed();
            if (command == "resign")
                elector.resign();
            else if (command == "quit")
                quit();
            else if (command == "ineligible") // e.g. from a failing health check: hand over, keep following
                elector.setEligible(false);
            else if (command == "eligible")
                elector.setEligible(true);
        }
    });

    elector.campaign();
    return app.exec();
}
