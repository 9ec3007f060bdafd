// The elections whose candidates run a child that speaks systemd's notify protocol
// (conclave-candidate --notify --watchdog 1 -- conclave-notify-child), and their faults:
// wedge-child (the leader's child stops pinging but stays alive) and slow-ready (a new leader's
// child takes SlowReadyMs to send READY=1). See docs/chaos.md.
#include "chaosrunner.h"
#include "chaosrunner_p.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QJsonObject>

#include <csignal>
#include <sys/types.h>

namespace Chaos {

namespace {

bool writeNumber(const QString &path, int value)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(QByteArray::number(value)) > 0;
}

} // namespace

QString Runner::readyFile(int election) const
{
    return QDir(m_scratch).filePath(QStringLiteral("e%1.ready-ms").arg(election));
}

QStringList Runner::supervisedArguments(int election) const
{
    return {QStringLiteral("--notify"), QStringLiteral("--watchdog"), QString::number(WatchdogMs / 1000.0),
            QStringLiteral("--kill-after"), QStringLiteral("1"), QStringLiteral("--"),
            QStringLiteral(CONCLAVE_NOTIFY_CHILD_BIN), QStringLiteral("--ready-after-file"), readyFile(election),
            QStringLiteral("--ping"), QString::number(ChildPingMs)};
}

qint64 Runner::childPidOf(const Proc *p)
{
    const QList<QJsonObject> events = p->process->events();
    for (auto it = events.crbegin(); it != events.crend(); ++it) {
        if (it->value(QLatin1String("event")).toString() != QLatin1String("child"))
            continue;
        const QString action = it->value(QLatin1String("action")).toString();
        if (action == QLatin1String("exited"))
            return 0;
        if (action == QLatin1String("started"))
            return qint64(it->value(QLatin1String("pid")).toDouble());
    }
    return 0;
}

bool Runner::isReadyLeader(const Proc *p) const
{
    if (!p->supervised)
        return p->role() == QLatin1String("leader");
    const QList<QJsonObject> events = p->process->events();
    for (auto it = events.crbegin(); it != events.crend(); ++it) {
        const QString kind = it->value(QLatin1String("event")).toString();
        if (kind == QLatin1String("notify") && it->value(QLatin1String("ready")).toBool())
            return p->role() == QLatin1String("leader");
        if (kind == QLatin1String("role")) // a term begins (or ends) not ready
            return false;
    }
    return false;
}

void Runner::checkChildDiedWith(const Proc *p, qint64 childPid)
{
    if (!childPid)
        return;
    if (!waitUntil([childPid] { return !processRuns(childPid); }, 2000) && m_brokenPromise.isEmpty()) {
        m_brokenPromise = QStringLiteral("%1's child (pid %2) still ran 2 s after %1 was killed")
                                  .arg(p->name).arg(childPid);
        ::kill(pid_t(childPid), SIGKILL);
    }
}

// The leader's child stops pinging and stays alive: within the watchdog the candidate stops it
// (SIGTERM), resigns once it has exited, and the next in line leads; the candidate joins at the
// back and starts a fresh child if it leads again. Nothing heals it: recovery counts from the
// wedge (the run checks ≤ watchdog + 1 s), and the checker that the child was gone before the
// next leader led.
bool Runner::wedgeChild(Fault &f)
{
    Proc *leader = aimAtLeader(f);
    const qint64 child = leader ? childPidOf(leader) : 0;
    if (!leader || !child)
        return false;
    f.injectedAt = f.healedAt = now();
    ::kill(pid_t(child), SIGUSR1);
    const bool handedOver = waitUntil([&] {
        Proc *now = leaderOf(f.election);
        return now && now != leader;
    }, WatchdogMs + 3000);
    if (!handedOver)
        m_brokenPromise = QStringLiteral("%1 still led %2 ms after its child wedged")
                                  .arg(leader->name).arg(WatchdogMs + 3000);
    else if (processRuns(child))
        m_brokenPromise = QStringLiteral("%1's wedged child (pid %2) still ran when the next leader led")
                                  .arg(leader->name).arg(child);
    return true;
}

// The leader resigns and the next one's child takes SlowReadyMs to send READY=1: it leads at
// once but is not ready until then (liveness waits for ready), and must not be ready sooner.
bool Runner::slowReady(Fault &f)
{
    Proc *leader = aimAtLeader(f);
    if (!leader || !writeNumber(readyFile(f.election), SlowReadyMs))
        return false;
    f.injectedAt = now();
    leader->process->send("resign");
    Proc *next = nullptr;
    const bool started = waitUntil([&] {
        next = leaderOf(f.election);
        return next && next != leader && childPidOf(next);
    }, (m_options.ttl + 2) * 1000);
    f.healedAt = now();
    if (started) // the file goes back to 0 once the child has read it: after its READY=1
        waitUntil([&] { return isReadyLeader(next) || !next->running() || next->role() != QLatin1String("leader"); },
                  SlowReadyMs + 3000);
    writeNumber(readyFile(f.election), 0); // later terms are ready at once
    if (!started)
        return true; // settle() tells what is wrong
    qint64 startedAt = 0, readyAt = 0; // by the candidate's own clock readings (mono_ns)
    for (const QJsonObject &e : next->process->events()) {
        const QString kind = e.value(QLatin1String("event")).toString();
        const qint64 t = qint64(e.value(QLatin1String("mono_ns")).toDouble());
        if (kind == QLatin1String("child") && e.value(QLatin1String("action")).toString() == QLatin1String("started"))
            startedAt = t, readyAt = 0;
        else if (kind == QLatin1String("notify") && e.value(QLatin1String("ready")).toBool() && startedAt && !readyAt)
            readyAt = t;
    }
    const qint64 readyMs = (readyAt - startedAt) / 1'000'000;
    if (readyAt && readyMs < SlowReadyMs)
        m_brokenPromise = QStringLiteral("%1 was ready %2 ms after its child started, before its READY=1 (%3 ms)")
                                  .arg(next->name).arg(readyMs).arg(SlowReadyMs);
    return true;
}

} // namespace Chaos
