#include "candidateoptions.h"

#include "leaderchild.h"

#include <conclave/connectionsettings.h>

#include <QtCore/QCommandLineParser>

void CandidateOptions::addTo(QCommandLineParser &p)
{
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
                  {QStringLiteral("metrics-address"), QStringLiteral("serve /metrics (Prometheus), /healthz and /leader on HOST:PORT"), QStringLiteral("host:port")},
                  {QStringLiteral("notify"), QStringLiteral("with -- CMD: the child speaks systemd's notify protocol (NOTIFY_SOCKET); the leader is not ready until it sends READY=1, STATUS= becomes the status text")},
                  {QStringLiteral("notify-socket"), QStringLiteral("with --notify: the socket's address, @NAME (abstract) or a path (default: an abstract name of our own)"), QStringLiteral("address")},
                  {QStringLiteral("watchdog"), QStringLiteral("with --notify: the child must send WATCHDOG=1 at least every SECONDS while leading (it gets WATCHDOG_USEC and WATCHDOG_PID); else it is stopped and the candidate resigns"), QStringLiteral("seconds")},
                  {QStringLiteral("on-role-change"), QStringLiteral("run /bin/sh -c CMD on every change of role or leader (CONCLAVE_ROLE, CONCLAVE_PREVIOUS_ROLE, CONCLAVE_ELECTION, CONCLAVE_ID, CONCLAVE_LEADER_ID, CONCLAVE_FENCING_TOKEN)"), QStringLiteral("cmd")},
                  {QStringLiteral("hook-timeout"), QStringLiteral("seconds a role hook may run before it is killed (default 30)"), QStringLiteral("seconds")}});
}

namespace {

// A number option: its value (or \a fallback when not given), false when it is not one.
template <typename T>
bool number(const QCommandLineParser &p, const char *name, T fallback, T *value)
{
    const QString key = QString::fromLatin1(name);
    bool ok = true;
    if (!p.isSet(key))
        *value = fallback;
    else if constexpr (std::is_same_v<T, double>)
        *value = p.value(key).toDouble(&ok);
    else
        *value = p.value(key).toInt(&ok);
    return ok;
}

std::chrono::milliseconds ms(double seconds) { return std::chrono::milliseconds(qint64(seconds * 1000)); }

// The command after "--", if any, and whether anything else stands where it does not belong.
QString readCommand(const QCommandLineParser &p, const QStringList &args, QStringList *command)
{
    const qsizetype dashes = args.indexOf(QStringLiteral("--"));
    *command = dashes >= 0 ? args.mid(dashes + 1) : QStringList();
    if (p.positionalArguments().size() != command->size())
        return QStringLiteral("unexpected argument ") + p.positionalArguments().first()
                + QStringLiteral(" (a command to run while leading goes after --)");
    return dashes >= 0 ? LeaderChild::commandProblem(*command) : QString();
}

QString readHealth(const QCommandLineParser &p, CandidateOptions *o)
{
    double interval = 0;
    if (!number(p, "health-interval", 5.0, &interval) || interval < 0.1 || interval > 3600)
        return QStringLiteral("--health-interval must be 0.1..3600 seconds");
    o->healthInterval = ms(interval);
    if (!number(p, "health-failures", 3, &o->healthFailures) || o->healthFailures < 1)
        return QStringLiteral("--health-failures must be a whole number, at least 1");
    o->healthCmd = p.value(QStringLiteral("health-cmd"));
    if (p.isSet(QStringLiteral("health-cmd")) && o->healthCmd.trimmed().isEmpty())
        return QStringLiteral("--health-cmd is empty");
    if ((p.isSet(QStringLiteral("health-interval")) || p.isSet(QStringLiteral("health-failures"))) && o->healthCmd.isEmpty())
        return QStringLiteral("--health-interval and --health-failures go with --health-cmd");
    return {};
}

QString readNotify(const QCommandLineParser &p, CandidateOptions *o)
{
    o->notify = p.isSet(QStringLiteral("notify"));
    o->notifySocket = p.value(QStringLiteral("notify-socket"));
    if (o->notify && o->command.isEmpty())
        return QStringLiteral("--notify goes with a command (-- CMD ARGS...): the child speaks the protocol");
    if (p.isSet(QStringLiteral("notify-socket")) && !o->notify)
        return QStringLiteral("--notify-socket goes with --notify");
    double watchdog = 0;
    if (!number(p, "watchdog", 0.0, &watchdog) || (p.isSet(QStringLiteral("watchdog")) && (watchdog < 0.1 || watchdog > 3600)))
        return QStringLiteral("--watchdog must be 0.1..3600 seconds");
    if (p.isSet(QStringLiteral("watchdog")) && !o->notify)
        return QStringLiteral("--watchdog goes with --notify (the child's WATCHDOG=1 pings come through it)");
    o->watchdog = ms(watchdog);
    o->onRoleChange = p.value(QStringLiteral("on-role-change"));
    if (p.isSet(QStringLiteral("on-role-change")) && o->onRoleChange.trimmed().isEmpty())
        return QStringLiteral("--on-role-change is empty");
    double hookTimeout = 0;
    if (!number(p, "hook-timeout", 30.0, &hookTimeout) || hookTimeout < 0.1 || hookTimeout > 3600)
        return QStringLiteral("--hook-timeout must be 0.1..3600 seconds");
    if (p.isSet(QStringLiteral("hook-timeout")) && o->onRoleChange.isEmpty())
        return QStringLiteral("--hook-timeout goes with --on-role-change");
    o->hookTimeout = ms(hookTimeout);
    return {};
}

QString readOptions(const QCommandLineParser &p, CandidateOptions *o)
{
    o->election = p.value(QStringLiteral("election"));
    if (o->election.isEmpty())
        return QStringLiteral("--election is required");
    o->id = p.value(QStringLiteral("id"));
    o->host = p.value(QStringLiteral("host"));
    o->metricsAddress = p.value(QStringLiteral("metrics-address"));
    if (!number(p, "ttl", 10, &o->ttl) || o->ttl < 2)
        return QStringLiteral("--ttl must be a whole number of seconds, at least 2");
    if (!number(p, "port", 0, &o->port) || o->port < 0 || o->port > 65535)
        return QStringLiteral("--port must be 0..65535");
    if (!number(p, "priority", 0, &o->priority))
        return QStringLiteral("--priority must be a whole number");
    double killAfter = 0;
    if (!number(p, "kill-after", 2.0, &killAfter) || killAfter < 0 || killAfter > 3600)
        return QStringLiteral("--kill-after must be 0..3600 seconds");
    o->killAfter = ms(killAfter);
    if (p.isSet(QStringLiteral("kill-after")) && o->command.isEmpty())
        return QStringLiteral("--kill-after goes with a command (-- CMD ARGS...)");
    const QString problem = readHealth(p, o);
    return problem.isEmpty() ? readNotify(p, o) : problem;
}

} // namespace

std::optional<CandidateOptions> CandidateOptions::read(const QCommandLineParser &p, const QStringList &arguments,
                                                       QString *problem)
{
    CandidateOptions o;
    *problem = readCommand(p, arguments, &o.command);
    if (problem->isEmpty())
        *problem = readOptions(p, &o);
    return problem->isEmpty() ? std::optional<CandidateOptions>(o) : std::nullopt;
}
