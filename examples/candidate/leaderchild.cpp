#include "leaderchild.h"

#include <QtCore/QFileInfo>
#include <QtCore/QProcessEnvironment>
#include <QtCore/QStandardPaths>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <sys/prctl.h>
#include <unistd.h>

using namespace std::chrono;

LeaderChild::LeaderChild(Conclave::Elector *elector, const QStringList &command, milliseconds killAfter,
                         QObject *parent)
    : QObject(parent)
    , m_elector(elector)
    , m_command(command)
    , m_killAfter(killAfter)
{
    m_killTimer.setSingleShot(true);
    connect(&m_killTimer, &QTimer::timeout, this, &LeaderChild::kill);
    // stdout is the candidate's JSON event stream: the child's output goes to stderr.
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    connect(&m_process, &QProcess::readyReadStandardOutput, this, [this] {
        const QByteArray out = m_process.readAllStandardOutput();
        std::fwrite(out.constData(), 1, size_t(out.size()), stderr);
    });
    connect(&m_process, &QProcess::finished, this, &LeaderChild::onFinished);
    // A candidate killed outright (SIGKILL, OOM) cannot stop its child, and the next leader may
    // lead once the lease runs out: the kernel kills the child the moment the candidate dies.
    const pid_t candidate = ::getpid();
    m_process.setChildProcessModifier([candidate] {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != candidate) // it died before the line above
            ::_exit(127);
    });
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            onFinished(127, QProcess::NormalExit);
    });
    connect(elector, &Conclave::Elector::roleChanged, this, &LeaderChild::onRoleChanged);
    connect(elector, &Conclave::Elector::lastRenewalChanged, this, &LeaderChild::noteLeaseExpiry);
}

LeaderChild::~LeaderChild()
{
    if (isRunning()) { // the candidate is going away: the child must not outlive its leadership
        m_process.kill();
        m_process.waitForFinished(1000);
    }
}

QString LeaderChild::commandProblem(const QStringList &command)
{
    if (command.isEmpty() || command.first().isEmpty())
        return QStringLiteral("no command after --");
    const QString program = command.first();
    if (program.contains(QLatin1Char('/'))) {
        const QFileInfo info(program);
        if (!info.exists())
            return QStringLiteral("%1: no such file").arg(program);
        if (!info.isFile() || !info.isExecutable())
            return QStringLiteral("%1: not an executable file").arg(program);
        return {};
    }
    if (QStandardPaths::findExecutable(program).isEmpty())
        return QStringLiteral("%1: command not found in PATH").arg(program);
    return {};
}

void LeaderChild::noteLeaseExpiry()
{
    const QDeadlineTimer proven = m_elector->leadershipDeadline();
    if (proven.hasExpired())
        return;
    // Leadership is proven until TTL - margin after the last acknowledged renewal was sent; the
    // lease itself cannot expire before the margin after that.
    const qint64 ttlMs = qint64(m_elector->ttl().count()) * 1000;
    const qint64 marginMs = std::max<qint64>(1000, ttlMs / 5);
    m_leaseExpiry = QDeadlineTimer(proven.remainingTime() + marginMs, Qt::PreciseTimer);
}

void LeaderChild::onRoleChanged(Conclave::Elector::Role role)
{
    if (role == Conclave::Elector::Role::Leader) {
        noteLeaseExpiry();
        if (!isRunning())
            start();
    } else if (isRunning()) {
        stop();
    }
}

void LeaderChild::setNotify(const QString &socket, std::chrono::milliseconds watchdog)
{
    m_notifySocket = socket;
    m_watchdog = watchdog;
}

void LeaderChild::start()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("CONCLAVE_ELECTION"), m_elector->electionName());
    env.insert(QStringLiteral("CONCLAVE_FENCING_TOKEN"), QString::number(m_elector->fencingToken()));
    env.insert(QStringLiteral("CONCLAVE_LEASE_ID"), QString::number(m_elector->leaseId(), 16));
    env.insert(QStringLiteral("CONCLAVE_CANDIDATE_ID"), m_elector->candidateId());
    QString program = m_command.first();
    QStringList arguments = m_command.mid(1);
    if (!m_notifySocket.isEmpty())
        env.insert(QStringLiteral("NOTIFY_SOCKET"), m_notifySocket);
    if (m_watchdog.count() > 0) {
        env.insert(QStringLiteral("WATCHDOG_USEC"), QString::number(qint64(m_watchdog.count()) * 1000));
        arguments = QStringList{QStringLiteral("-c"), QStringLiteral("WATCHDOG_PID=$$; export WATCHDOG_PID; exec \"$@\""),
                                QStringLiteral("sh")} + m_command;
        program = QStringLiteral("/bin/sh");
    }
    m_process.setProcessEnvironment(env);
    m_stopping = false;
    m_elector->setReleaseHeld(true); // a voluntary handover waits until the child has exited
    m_process.start(program, arguments);
    if (!m_process.waitForStarted(5000)) {
        if (m_process.state() == QProcess::NotRunning && m_elector->isReleaseHeld())
            onFinished(127, QProcess::NormalExit);
        return;
    }
    m_pid = m_process.processId();
    emitEvent(QStringLiteral("started"));
}

void LeaderChild::stop()
{
    if (m_stopping || !isRunning())
        return;
    m_stopping = true;
    ::kill(pid_t(m_process.processId()), SIGTERM);
    emitEvent(QStringLiteral("terminated"));
    // SIGKILL after the kill delay, and in any case 100 ms before the lease could expire.
    qint64 ms = m_killAfter.count();
    if (!m_leaseExpiry.isForever() && m_leaseExpiry.deadline() != 0)
        ms = std::min<qint64>(ms, m_leaseExpiry.remainingTime() - 100);
    m_killTimer.start(int(std::max<qint64>(0, ms)));
}

void LeaderChild::kill()
{
    if (!isRunning())
        return;
    ::kill(pid_t(m_process.processId()), SIGKILL);
    emitEvent(QStringLiteral("killed"));
}

void LeaderChild::onFinished(int exitCode, QProcess::ExitStatus status)
{
    m_killTimer.stop();
    const bool byItself = !m_stopping;
    m_stopping = false;
    const bool signalled = status == QProcess::CrashExit;
    emitEvent(QStringLiteral("exited"), signalled ? QJsonValue() : QJsonValue(exitCode));
    m_elector->setReleaseHeld(false); // now the key may go
    if (byItself && m_elector->role() == Conclave::Elector::Role::Leader)
        Q_EMIT exitedOnItsOwn(signalled ? 128 + exitCode : exitCode); // QProcess: the signal's number
    Q_EMIT gone();
}

void LeaderChild::emitEvent(const QString &action, const QJsonValue &status)
{
    QJsonObject o{{QStringLiteral("event"), QStringLiteral("child")},
                  {QStringLiteral("action"), action},
                  {QStringLiteral("pid"), m_pid},
                  {QStringLiteral("status"), status}}; // null but for "exited" by an exit code
    Q_EMIT event(o);
}
