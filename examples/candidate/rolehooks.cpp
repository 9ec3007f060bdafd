#include "rolehooks.h"

#include <cstdio>

RoleHooks::RoleHooks(Conclave::Elector *elector, const QString &command, std::chrono::milliseconds timeout,
                     QObject *parent)
    : QObject(parent)
    , m_elector(elector)
    , m_command(command)
    , m_timeout(timeout)
{
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        std::fprintf(stderr, "conclave-candidate: the role hook ran longer than %lld ms; killing it\n",
                     static_cast<long long>(m_timeout.count()));
        m_killed = true;
        m_process.kill();
    });
    m_process.setProcessChannelMode(QProcess::ForwardedChannels);
    connect(&m_process, &QProcess::finished, this, &RoleHooks::onFinished);
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart)
            return;
        std::fprintf(stderr, "conclave-candidate: the role hook could not start: %s\n",
                     qPrintable(m_process.errorString()));
        finish(QStringLiteral("failed"), -1);
    });
    connect(elector, &Conclave::Elector::roleChanged, this, &RoleHooks::onChange);
    connect(elector, &Conclave::Elector::leaderChanged, this, &RoleHooks::onChange);
}

RoleHooks::~RoleHooks()
{
    m_process.disconnect(this);
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(1000);
    }
}

QString RoleHooks::roleName(Conclave::Elector::Role role)
{
    switch (role) {
    case Conclave::Elector::Role::Leader: return QStringLiteral("leader");
    case Conclave::Elector::Role::Follower: return QStringLiteral("follower");
    case Conclave::Elector::Role::NotAMember: break;
    }
    return QStringLiteral("none");
}

// What the hook is told: this candidate's role, and who leads with which fencing token. A
// change of either (not a proclaim of the same leader) queues one run.
void RoleHooks::onChange()
{
    const QString role = roleName(m_elector->role());
    const Conclave::LeaderInfo leader = m_elector->leader();
    const QString leaderId = leader.isValid() ? leader.id() : QString();
    if (role == m_role && leaderId == m_leader && leader.fencingToken() == m_token)
        return;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("CONCLAVE_ROLE"), role);
    env.insert(QStringLiteral("CONCLAVE_PREVIOUS_ROLE"), m_role);
    env.insert(QStringLiteral("CONCLAVE_ELECTION"), m_elector->electionName());
    env.insert(QStringLiteral("CONCLAVE_ID"), m_elector->candidateId());
    env.insert(QStringLiteral("CONCLAVE_LEADER_ID"), leaderId);
    env.insert(QStringLiteral("CONCLAVE_FENCING_TOKEN"), leader.isValid() ? QString::number(leader.fencingToken()) : QString());
    m_role = role;
    m_leader = leaderId;
    m_token = leader.fencingToken();
    m_pending.append(env);
    runNext();
}

void RoleHooks::runNext()
{
    if (m_pending.isEmpty() || !m_running.isEmpty() || m_process.state() != QProcess::NotRunning)
        return;
    m_running = m_pending.takeFirst();
    m_killed = false;
    m_process.setProcessEnvironment(m_running);
    m_process.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), m_command});
    m_deadline.start(m_timeout);
}

void RoleHooks::onFinished(int exitCode, QProcess::ExitStatus status)
{
    if (m_killed)
        finish(QStringLiteral("killed"), -1);
    else
        finish(status == QProcess::CrashExit ? QStringLiteral("crashed") : QStringLiteral("exited"), exitCode);
}

void RoleHooks::finish(const QString &outcome, int status)
{
    m_deadline.stop();
    if (outcome != QLatin1String("exited") || status != 0)
        std::fprintf(stderr, "conclave-candidate: the role hook for %s %s (status %d)\n",
                     qPrintable(m_running.value(QStringLiteral("CONCLAVE_ROLE"))), qPrintable(outcome), status);
    Q_EMIT event({{QStringLiteral("event"), QStringLiteral("hook")},
                  {QStringLiteral("role"), m_running.value(QStringLiteral("CONCLAVE_ROLE"))},
                  {QStringLiteral("leader"), m_running.value(QStringLiteral("CONCLAVE_LEADER_ID"))},
                  {QStringLiteral("outcome"), outcome},
                  {QStringLiteral("status"), status}});
    m_running = QProcessEnvironment();
    // On the next pass: finished() may come from inside start() (a hook that cannot start).
    QMetaObject::invokeMethod(this, &RoleHooks::runNext, Qt::QueuedConnection);
}
