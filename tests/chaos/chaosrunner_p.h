#pragma once

// The runner's insides, shared by chaosrunner.cpp (set-up, liveness, the faults of every
// election) and chaossupervised.cpp (the faults of elections whose leaders run a child).

#include "chaosrunner.h"

#include "candidateprocess.h"
#include "tcpproxy.h"

#include <QtCore/QProcess>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QTimer>

#include <chrono>
#include <functional>
#include <limits>
#include <cstdio>
#include <memory>
#include <vector>

namespace Chaos {

inline qint64 now()
{
    using namespace std::chrono;
    return qint64(duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count());
}

inline void say(const QString &line)
{
    std::fprintf(stdout, "%s\n", qPrintable(line));
    std::fflush(stdout);
}

//! Runs the event loop for \a ms (the proxies and the processes' pipes live in it).
inline void spin(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

//! Runs the event loop until \a condition holds (true) or \a ms have passed (false).
inline bool waitUntil(const std::function<bool()> &condition, int ms)
{
    QDeadlineTimer deadline(ms);
    while (!condition()) {
        if (deadline.hasExpired())
            return false;
        spin(int(qMin<qint64>(20, qMax<qint64>(1, deadline.remainingTime()))));
    }
    return true;
}

/*!
 * Waits up to \a budgetMs until what the processes say (\a local) and then what etcd says
 * (\a remote) find no problem. Returns when liveness was seen (now()), or 0 with \a problem.
 */
inline qint64 awaitLiveness(int budgetMs, const std::function<QString()> &local,
                            const std::function<QString()> &remote, QString *problem)
{
    QDeadlineTimer deadline(budgetMs);
    for (;;) {
        if (waitUntil([&] { return (*problem = local()).isEmpty(); }, int(qMax<qint64>(0, deadline.remainingTime())))) {
            const qint64 seen = now();
            *problem = remote();
            if (problem->isEmpty())
                return seen;
        }
        if (deadline.hasExpired())
            return 0;
        spin(50);
    }
}

//! The run's throwaway etcd (one member, or three with \a cluster) and the runner's own Client
//! on it; false, said why, when etcd does not start.
bool startEtcd(bool cluster, std::unique_ptr<EtcdTestEnv> *etcd, std::unique_ptr<Conclave::Client> *client);

//! The member a process talks to now: of its \a proxies (one per member, member \a slot's
//! first), the one carrying the most connections.
int busiestMember(const std::vector<std::unique_ptr<TcpProxy>> &proxies, int slot, int members);

/*!
 * Judges a run and says the verdict: the table, violations and their notes, the timeline around
 * each overlap (at most \a mostTimelines), the table to Options::reportFile. Returns the exit
 * code: 1 on a violation or an abort, 130 when interrupted, else 0.
 */
//! \a deaths: processes that exited without being told to, each a violation (processDeath()).
int judgeAndReport(const QList<ProcessLog> &logs, const QList<Fault> &faults, qint64 origin, qint64 end,
                   const Options &options, bool aborted, bool interrupted, const QStringList &deaths,
                   int mostTimelines = std::numeric_limits<int>::max());
//! What to report of process \a name, which exited by itself during or after fault \a fault.
QString processDeath(const QString &name, int exitCode, QProcess::ExitStatus status, qsizetype fault,
                     const QByteArray &stderrText);

struct KeyInfo
{
    QByteArray key;
    QString id;
    qint64 createRevision = 0;
    qint64 lease = 0;
};

struct Runner::Proc
{
    QString name;  // e1/c2.3 (w: conclave-worker, s: a candidate with a watched child)
    QString id;    // e1-c2.3 (the candidate id: unique per incarnation)
    int election = 0;
    int slot = 0;
    int priority = 0;
    bool worker = false;
    bool supervised = false;
    std::unique_ptr<CandidateProcess> process;
    std::vector<std::unique_ptr<TcpProxy>> proxies; // one per member, home member first
    qint64 killedAt = 0;
    qint64 endedAt = 0;
    QList<Freeze> freezes;
    bool frozen = false;
    bool deathNoted = false; // it exited without being told to, and that was reported

    bool running() const { return process && process->isRunning() && !killedAt && !endedAt; }
    QString role() const { return process ? process->role() : QString(); }
};

} // namespace Chaos
