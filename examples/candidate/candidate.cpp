#include "candidate.h"

#include "healthcheck.h"
#include "leaderchild.h"
#include "metricsserver.h"
#include "notifysocket.h"
#include "rolehooks.h"

#include <conclave/connectionsettings.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QJsonDocument>
#include <QtCore/QTimer>

#include <chrono>
#include <cstdio>
#include <utility>
#include <unistd.h>

namespace {

QString roleName(Conclave::Elector::Role role)
{
    switch (role) {
    case Conclave::Elector::Role::Leader: return QStringLiteral("leader");
    case Conclave::Elector::Role::Follower: return QStringLiteral("follower");
    case Conclave::Elector::Role::NotAMember: break;
    }
    return QStringLiteral("not-a-member");
}

void emitError(Conclave::Error e, const QString &message)
{
    Candidate::emitLine({{QStringLiteral("event"), QStringLiteral("error")},
                         {QStringLiteral("code"), Conclave::errorName(e)},
                         {QStringLiteral("message"), message}});
}

} // namespace

Candidate::Candidate(CandidateOptions options)
    : m_options(std::move(options))
{
}

Candidate::~Candidate() = default;

void Candidate::emitLine(QJsonObject object)
{
    using namespace std::chrono;
    object.insert(QStringLiteral("mono_ns"),
                  qint64(duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count()));
    const QByteArray line = QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fflush(stdout);
}

bool Candidate::setUp(const QCommandLineParser &connection, QString *problem)
{
    if (!Conclave::ConnectionSettings::fromCommandLine(connection).applyTo(&m_client, problem))
        return false;
    m_elector.setElectionName(m_options.election);
    if (!m_options.id.isEmpty())
        m_elector.setCandidateId(m_options.id);
    m_elector.setTtl(std::chrono::seconds(m_options.ttl));
    m_elector.setAdvertisedAddress(m_options.host, m_options.port);
    m_elector.setPriority(m_options.priority);
    if (!m_options.healthCmd.isEmpty()) {
        m_health = std::make_unique<HealthCheck>(m_options.healthCmd, m_options.healthInterval, m_options.healthFailures);
        connect(m_health.get(), &HealthCheck::healthChanged, &m_elector, &Conclave::Elector::setEligible);
    }
    reportChanges();
    if (!m_options.metricsAddress.isEmpty()) {
        m_metrics = std::make_unique<MetricsServer>(&m_elector);
        if (!m_metrics->listen(m_options.metricsAddress, problem))
            return false;
        emitLine({{QStringLiteral("event"), QStringLiteral("metrics")}, {QStringLiteral("port"), m_metrics->port()}});
    }
    if (!m_options.command.isEmpty()) {
        m_child = std::make_unique<LeaderChild>(&m_elector, m_options.command, m_options.killAfter);
        connect(m_child.get(), &LeaderChild::event, this, &Candidate::emitLine);
        connect(m_child.get(), &LeaderChild::exitedOnItsOwn, this, [this](int status) {
            m_exitStatus = status; // it ended by itself: we leave, and exit with its status
            quit();
        });
    }
    if (m_options.notify && !setUpNotify(problem))
        return false;
    if (!m_options.onRoleChange.isEmpty()) {
        m_hooks = std::make_unique<RoleHooks>(&m_elector, m_options.onRoleChange, m_options.hookTimeout);
        connect(m_hooks.get(), &RoleHooks::event, this, &Candidate::emitLine);
    }
    readCommands();
    return true;
}

// The child speaks systemd's notify protocol: every term starts not ready until its READY=1;
// its WATCHDOG=1 pings feed the Elector's watchdog (a missed one resigns, and the child is
// stopped before the key goes: the release is held while it runs); STATUS= is the status text.
bool Candidate::setUpNotify(QString *problem)
{
    m_notify = std::make_unique<NotifySocket>();
    if (!m_notify->listen(m_options.notifySocket, problem))
        return false;
    m_elector.setReadinessRequired(true);
    m_elector.setWatchdogTimeout(m_options.watchdog);
    m_child->setNotify(m_notify->address(), m_options.watchdog);
    connect(m_notify.get(), &NotifySocket::ready, this, [this] {
        m_elector.setReady(true);
        emitLine({{QStringLiteral("event"), QStringLiteral("notify")}, {QStringLiteral("ready"), m_elector.isReady()}});
    });
    connect(m_notify.get(), &NotifySocket::statusChanged, this, [this](const QString &text) {
        m_elector.setStatusText(text);
        emitLine({{QStringLiteral("event"), QStringLiteral("notify")}, {QStringLiteral("status"), text}});
    });
    connect(m_notify.get(), &NotifySocket::watchdogPing, &m_elector, &Conclave::Elector::pingWatchdog);
    connect(m_notify.get(), &NotifySocket::watchdogTrigger, this, [this] {
        emitError(Conclave::Error::WatchdogTimeout, QStringLiteral("the child sent WATCHDOG=trigger; resigning"));
        m_elector.resign();
    });
    emitLine({{QStringLiteral("event"), QStringLiteral("notify")}, {QStringLiteral("socket"), m_notify->address()}});
    return true;
}

void Candidate::reportChanges()
{
    connect(&m_elector, &Conclave::Elector::roleChanged, this, [this](Conclave::Elector::Role role) {
        const qint64 token = m_elector.fencingToken();
        emitLine({{QStringLiteral("event"), QStringLiteral("role")},
                  {QStringLiteral("role"), roleName(role)},
                  {QStringLiteral("fencing"), token ? QJsonValue(token) : QJsonValue()}});
    });
    connect(&m_elector, &Conclave::Elector::leaderChanged, this, [](const Conclave::LeaderInfo &l) {
        QJsonObject o{{QStringLiteral("event"), QStringLiteral("leader")}};
        o.insert(QStringLiteral("id"), l.isValid() ? QJsonValue(l.id()) : QJsonValue());
        o.insert(QStringLiteral("host"), l.host());
        o.insert(QStringLiteral("port"), l.port());
        o.insert(QStringLiteral("fencing"), l.fencingToken());
        emitLine(o);
    });
    connect(&m_elector, &Conclave::Elector::eligibleChanged, this, [this](bool eligible) {
        QJsonObject o{{QStringLiteral("event"), QStringLiteral("eligible")}, {QStringLiteral("value"), eligible}};
        if (m_health && !m_health->lastProblem().isEmpty() && !eligible)
            o.insert(QStringLiteral("reason"), QStringLiteral("health check: ") + m_health->lastProblem());
        emitLine(o);
    });
    connect(&m_elector, &Conclave::Elector::errorOccurred, this, &emitError);
    connect(&m_client, &Conclave::Client::errorOccurred, this, &emitError);
}

void Candidate::readCommands()
{
    m_input = std::make_unique<QSocketNotifier>(STDIN_FILENO, QSocketNotifier::Read);
    connect(m_input.get(), &QSocketNotifier::activated, this, [this] {
        char buffer[4096];
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n <= 0) { // stdin closed: keep running until a signal or a quit command
            m_input->setEnabled(false);
            return;
        }
        for (const QByteArray &raw : QByteArray(buffer, n).split('\n'))
            onCommand(raw.trimmed());
    });
}

void Candidate::onCommand(const QByteArray &line)
{
    if (line == "resign")
        m_elector.resign();
    else if (line == "leave")
        m_elector.leave();
    else if (line == "quit")
        quit();
    else if (line == "eligible")
        m_elector.setEligible(true);
    else if (line == "ineligible")
        m_elector.setEligible(false);
    else if (line.startsWith("proclaim "))
        m_elector.proclaim({{QStringLiteral("text"), QString::fromUtf8(line.mid(9))}});
    else if (!line.isEmpty())
        std::fprintf(stderr, "unknown command: %s\n", line.constData());
}

void Candidate::start()
{
    m_elector.campaign();
    if (m_health)
        m_health->start();
}

void Candidate::quit()
{
    if (std::exchange(m_quitting, true))
        return;
    m_elector.leave();
    if (m_child && m_child->isRunning())
        connect(m_child.get(), &LeaderChild::gone, this, &Candidate::exitWhenIdle);
    else
        exitWhenIdle();
}

void Candidate::exitWhenIdle()
{
    const int status = m_exitStatus;
    if (m_client.pendingRequests() == 0)
        QCoreApplication::exit(status);
    connect(&m_client, &Conclave::Client::idle, this, [status] { QCoreApplication::exit(status); });
    QTimer::singleShot(3000, this, [status] { QCoreApplication::exit(status); });
}
