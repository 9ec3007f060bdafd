#pragma once

// conclave-chaos's runner: starts etcd and E elections × C candidate processes (each behind
// its own TCP proxies), injects one fault at a time, heals it, waits for liveness, and at the
// end hands what the processes printed and what it did to the checker.

#include "checker.h"

#include <QtCore/QObject>
#include <QtCore/QStringList>

#include <functional>
#include <memory>
#include <random>
#include <vector>

class CandidateProcess;
class EtcdTestEnv;
class TcpProxy;

namespace Conclave {
class Client;
}

namespace Chaos {

struct Options
{
    quint32 seed = 1;
    int faults = 100;
    int elections = 3;
    int candidates = 3;
    int workerElections = 1;
    int supervisedElections = 1; // conclave-candidate --notify --watchdog with a child
    int ttl = 3;
    bool cluster = false;
    QStringList kinds;       // empty: every kind that applies
    QString reportFile;      // JSON report, optional
    bool verbose = false;
    int shards = 0;    // > 0: the run at scale (shardrunner.h), this many elections per process
    int processes = 3; // with shards: conclave-shards processes
};

//! Every fault kind, and those that need a cluster or elections with children.
QStringList allKinds(bool cluster, bool supervised = true);
//! The watchdog of the supervised elections' candidates, and how often their children ping.
inline constexpr int WatchdogMs = 1000;
inline constexpr int ChildPingMs = 200;
//! How long slow-ready's leader takes to send READY=1.
inline constexpr int SlowReadyMs = 1500;

class Runner : public QObject
{
    Q_OBJECT
public:
    explicit Runner(const Options &options);
    ~Runner() override;
    //! Runs the whole campaign; the process exit code (0: no violation; 130: interrupted).
    int run();
    //! Ctrl+C: finish the fault in progress, then judge what ran and stop. A second one stops
    //! at once (everything started is still stopped).
    void interrupt();

private:
    struct Proc;
    bool setUp();
    Proc *spawn(int election, int slot, int priority = 0);
    void tearDown();
    bool inject(Fault &fault);
    bool settle(Fault &fault);
    QString localProblem() const;
    QString etcdProblem();

    // faults
    bool killLeader(Fault &f);
    bool stopLeader(Fault &f);
    bool leaveLeader(Fault &f);
    bool ineligibleLeader(Fault &f);
    bool priorityJoin(Fault &f);
    bool transfer(Fault &f);
    bool stopEtcd(Fault &f);
    bool restartEtcd(Fault &f);
    bool partitionLeader(Fault &f);
    bool operatorDelete(Fault &f, bool revoke);
    bool compactChurn(Fault &f);
    bool halfDeadNext(Fault &f);
    bool operatorDeleteTwo(Fault &f);
    bool killMember(Fault &f);
    bool wedgeChild(Fault &f);  // chaossupervised.cpp
    bool slowReady(Fault &f);

    // helpers
    Proc *aimAtLeader(Fault &fault); //!< the election's leader, named as the fault's target
    QList<Proc *> followersOf(int election) const;
    int topPriority(int election) const; //!< the highest priority among the election's live processes
    void killAndReplace(Proc *p);
    int aimAtLeadersMember(Fault &fault); //!< the member the leader talks to, named as the target
    Proc *leaderOf(int election) const;
    QList<Proc *> live(int election) const;
    QList<struct KeyInfo> queueOf(int election, qint64 *revision = nullptr);
    Proc *byId(const QString &id) const;
    int memberOf(const Proc *p) const;
    void freeze(Proc *p);
    void thaw(Proc *p);
    QString etcdctl(const QStringList &args, const QByteArray &input = {});
    bool waitUntil(const std::function<bool()> &condition, int ms);
    void spin(int ms);
    QString electionName(int election) const;
    int electionCount() const
    {
        return m_options.elections + m_options.workerElections + m_options.supervisedElections;
    }
    bool isSupervised(int election) const
    {
        return election >= m_options.elections + m_options.workerElections;
    }
    QStringList supervisedArguments(int election) const;
    QString readyFile(int election) const;
    //! The pid of \a p's child while it runs (by its events), else 0.
    static qint64 childPidOf(const Proc *p);
    //! Leads, and said READY=1 in this term (always true outside supervised elections).
    bool isReadyLeader(const Proc *p) const;
    //! After \a p's SIGKILL: its child must die with it (PR_SET_PDEATHSIG).
    void checkChildDiedWith(const Proc *p, qint64 childPid);
    qint64 tokenOf(const Proc *p) const;
    QList<ProcessLog> logs() const;
    //! Reports every candidate that exited without being told to, once (see processDeath()).
    void noteDeaths(qsizetype fault);

    Options m_options;
    std::mt19937 m_rng;
    std::unique_ptr<EtcdTestEnv> m_etcd;
    std::unique_ptr<Conclave::Client> m_client;
    std::vector<std::unique_ptr<Proc>> m_procs;      // every incarnation
    std::vector<std::vector<Proc *>> m_slots;        // [election][slot] → current incarnation
    QList<Fault> m_faults;
    qint64 m_origin = 0;
    qint64 m_compacted = 0; // the revision etcd was last compacted to
    bool m_aborted = false;
    int m_interrupts = 0;
    QString m_scratch;       // the supervised elections' ready files
    QString m_brokenPromise; // seen by a helper during a fault; the fault takes it
    QStringList m_deaths;    // candidates that exited without being told to (a crash)
};

} // namespace Chaos
