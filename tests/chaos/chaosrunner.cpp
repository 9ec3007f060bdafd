#include "chaosrunner.h"
#include "chaosrunner_p.h"

#include "candidateprocess.h"
#include "client_p.h"
#include "election.h"
#include "etcdtestenv.h"
#include "gatewayreply.h"
#include "tcpproxy.h"

#include <conclave/client.h>
#include <conclave/electiondirectory.h>
#include <conclave/leaderinfo.h>
#include <conclave/operation.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QDir>
#include <QtCore/QEventLoop>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QProcess>
#include <QtCore/QTimer>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <limits>
#include <sys/types.h>

namespace Chaos {

QStringList allKinds(bool cluster, bool supervised)
{
    QStringList kinds{QStringLiteral("kill-leader"),     QStringLiteral("stop-leader"),
                      QStringLiteral("stop-etcd"),       QStringLiteral("restart-etcd"),
                      QStringLiteral("partition-leader"), QStringLiteral("operator-delete"),
                      QStringLiteral("operator-revoke"), QStringLiteral("compact-churn"),
                      QStringLiteral("half-dead-next"), QStringLiteral("operator-delete-two"),
                      QStringLiteral("leave-leader"), QStringLiteral("ineligible-leader"),
                      QStringLiteral("priority-join"), QStringLiteral("transfer")};
    if (cluster)
        kinds << QStringLiteral("kill-member");
    if (supervised)
        kinds << QStringLiteral("wedge-child") << QStringLiteral("slow-ready");
    return kinds;
}

Runner::Runner(const Options &options)
    : m_options(options)
    , m_rng(options.seed)
{
}

Runner::~Runner()
{
    tearDown();
}

void Runner::interrupt()
{
    if (++m_interrupts == 1) {
        say(QStringLiteral("interrupted: finishing the fault in progress, then stopping (again to stop now)"));
        return;
    }
    tearDown();
    m_etcd.reset();
    std::exit(130);
}

QString Runner::electionName(int e) const
{
    return QStringLiteral("chaos/e%1").arg(e);
}

void Runner::spin(int ms)
{
    Chaos::spin(ms);
}

bool Runner::waitUntil(const std::function<bool()> &condition, int ms)
{
    return Chaos::waitUntil(condition, ms);
}

// etcdctl as an operator runs it, without blocking the event loop: the proxies live in it.
QString Runner::etcdctl(const QStringList &args, const QByteArray &input)
{
    QStringList urls;
    for (int i = 0; i < m_etcd->size(); ++i)
        if (m_etcd->isRunning(i))
            urls << m_etcd->endpoint(i).toString();
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("ETCDCTL_API"), QStringLiteral("3"));
    env.remove(QStringLiteral("ETCDCTL_ENDPOINTS"));
    p.setProcessEnvironment(env);
    p.start(m_etcd->etcdctlPath(), QStringList{QStringLiteral("--endpoints"), urls.join(QLatin1Char(',')),
                                               QStringLiteral("--dial-timeout"), QStringLiteral("3s"),
                                               QStringLiteral("--command-timeout"), QStringLiteral("5s")}
                    + args);
    if (!p.waitForStarted(5000))
        return {};
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    waitUntil([&] { return p.state() == QProcess::NotRunning; }, 15000);
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished(2000);
        return {};
    }
    if (p.exitCode() != 0) {
        if (m_options.verbose)
            say(QStringLiteral("   etcdctl %1: %2").arg(args.join(QLatin1Char(' ')),
                                                      QString::fromUtf8(p.readAllStandardError()).trimmed()));
        return {};
    }
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    return out.isNull() ? QStringLiteral("") : out;
}

QList<KeyInfo> Runner::queueOf(int election, qint64 *revision)
{
    auto *c = Conclave::ClientPrivate::get(m_client.get());
    QPointer<Conclave::GatewayReply> reply = c->range(Conclave::Election::queueRange(electionName(election)));
    reply->setTimeout(std::chrono::milliseconds(2000));
    waitUntil([&] { return !reply || reply->isFinished(); }, 5000);
    QList<KeyInfo> queue;
    if (!reply || !reply->isFinished() || reply->error() != Conclave::Error::NoError) {
        if (reply)
            reply->deleteLater();
        if (revision)
            *revision = -1;
        return queue;
    }
    reply->deleteLater();
    const Conclave::RangeResult r = Conclave::Codec::parseRange(reply->json());
    if (revision)
        *revision = r.header.revision;
    const auto kvs = Conclave::Election::candidates(Conclave::Election::prefix(electionName(election)), r.kvs);
    for (const Conclave::KeyValue &kv : kvs) {
        const auto info = Conclave::LeaderInfo::fromKeyValue(kv.key, kv.value, kv.lease,
                                                             kv.createRevision, {});
        queue.append({kv.key, info.id(), kv.createRevision, kv.lease});
    }
    return queue;
}

Runner::Proc *Runner::byId(const QString &id) const
{
    for (const auto &p : m_procs)
        if (p->id == id)
            return p.get();
    return nullptr;
}

QList<Runner::Proc *> Runner::live(int election) const
{
    QList<Proc *> result;
    for (Proc *p : m_slots[size_t(election)])
        if (p && p->running())
            result.append(p);
    return result;
}

Runner::Proc *Runner::leaderOf(int election) const
{
    for (Proc *p : live(election))
        if (p->role() == QLatin1String("leader"))
            return p;
    return nullptr;
}

qint64 Runner::tokenOf(const Proc *p) const
{
    const QList<QJsonObject> events = p->process->events();
    for (auto it = events.crbegin(); it != events.crend(); ++it) {
        const QString kind = it->value(QLatin1String("event")).toString();
        if (kind == QLatin1String("work-started"))
            return qint64(it->value(QLatin1String("term")).toDouble());
        if (kind == QLatin1String("role") && it->value(QLatin1String("role")) == QLatin1String("leader")
            && it->contains(QLatin1String("fencing")))
            return qint64(it->value(QLatin1String("fencing")).toDouble());
    }
    return 0;
}

int busiestMember(const std::vector<std::unique_ptr<TcpProxy>> &proxies, int slot, int members)
{
    size_t best = 0;
    for (size_t i = 1; i < proxies.size(); ++i)
        if (proxies[i]->connectionCount() > proxies[best]->connectionCount())
            best = i;
    return (slot + int(best)) % members;
}

int Runner::memberOf(const Proc *p) const
{
    return busiestMember(p->proxies, p->slot, m_etcd->size());
}

void Runner::freeze(Proc *p)
{
    ::kill(pid_t(p->process->pid()), SIGSTOP);
    p->freezes.append({now(), 0, false});
    p->frozen = true;
}

void Runner::thaw(Proc *p)
{
    if (!p->frozen)
        return;
    p->freezes.last().continuedAt = now();
    ::kill(pid_t(p->process->pid()), SIGCONT);
    p->frozen = false;
}

Runner::Proc *Runner::spawn(int election, int slot, int priority)
{
    const bool supervised = isSupervised(election);
    const bool worker = !supervised && election >= m_options.elections;
    int incarnation = 1;
    for (const auto &p : m_procs)
        incarnation += p->election == election && p->slot == slot;
    auto proc = std::make_unique<Proc>();
    proc->election = election;
    proc->slot = slot;
    proc->worker = worker;
    proc->supervised = supervised;
    proc->priority = priority;
    proc->name = QStringLiteral("e%1/%2%3.%4").arg(election).arg(worker ? QLatin1Char('w') : supervised ? QLatin1Char('s') : QLatin1Char('c')).arg(slot).arg(incarnation);
    proc->id = QString(proc->name).replace(QLatin1Char('/'), QLatin1Char('-'));
    QList<QUrl> endpoints;
    for (int i = 0; i < m_etcd->size(); ++i) {
        auto proxy = std::make_unique<TcpProxy>();
        if (!proxy->listen(m_etcd->endpoint((slot + i) % m_etcd->size())))
            return nullptr;
        endpoints << proxy->url();
        proc->proxies.push_back(std::move(proxy));
    }
    proc->process = std::make_unique<CandidateProcess>();
    QStringList extra;
    if (worker) {
        proc->process->setProgram(QStringLiteral(CONCLAVE_WORKER_BIN));
        extra << QStringLiteral("--port") << QStringLiteral("0");
    }
    if (priority != 0)
        extra << QStringLiteral("--priority") << QString::number(priority);
    if (supervised)
        extra << supervisedArguments(election); // the command goes last
    if (!proc->process->start(endpoints, electionName(election), proc->id, m_options.ttl, extra))
        return nullptr;
    m_slots[size_t(election)][size_t(slot)] = proc.get();
    m_procs.push_back(std::move(proc));
    return m_procs.back().get();
}

bool startEtcd(bool cluster, std::unique_ptr<EtcdTestEnv> *etcd, std::unique_ptr<Conclave::Client> *client)
{
    EtcdTestEnv::Options o;
    o.members = cluster ? 3 : 1;
    *etcd = std::make_unique<EtcdTestEnv>(o);
    if (!(*etcd)->start()) {
        say(QStringLiteral("error: %1").arg((*etcd)->errorString()));
        return false;
    }
    *client = std::make_unique<Conclave::Client>();
    (*client)->setEndpoints((*etcd)->endpoints());
    return true;
}

bool Runner::setUp()
{
    if (!startEtcd(m_options.cluster, &m_etcd, &m_client))
        return false;
    m_scratch = QDir::temp().filePath(QStringLiteral("conclave-chaos-%1").arg(QCoreApplication::applicationPid()));
    if (m_options.supervisedElections > 0 && !QDir().mkpath(m_scratch)) {
        say(QStringLiteral("error: cannot create %1").arg(m_scratch));
        return false;
    }
    m_slots.assign(size_t(electionCount()), std::vector<Proc *>(size_t(m_options.candidates), nullptr));
    for (int e = 0; e < electionCount(); ++e) {
        for (int s = 0; s < m_options.candidates; ++s) {
            Proc *p = spawn(e, s);
            // One at a time, so that queue order is slot order.
            if (!p || !waitUntil([p] { return p->role() == QLatin1String("leader")
                                              || p->role() == QLatin1String("follower"); }, 15000)) {
                say(QStringLiteral("error: candidate e%1/%2 did not join; its stderr:\n%3")
                            .arg(e).arg(s).arg(p ? QString::fromUtf8(p->process->stderrText()) : QString()));
                return false;
            }
        }
    }
    return true;
}

void Runner::tearDown()
{
    const qint64 end = now();
    for (const auto &p : m_procs) {
        if (p->frozen)
            thaw(p.get());
        if (p->process && p->process->isRunning() && !p->endedAt && !p->killedAt) {
            p->endedAt = end;
            p->process->terminate();
        }
    }
    for (const auto &p : m_procs)
        if (p->process && p->process->isRunning() && !p->process->waitForExit(5000))
            p->process->kill();
    if (!m_scratch.isEmpty())
        QDir(m_scratch).removeRecursively();
    // CONCLAVE_CHAOS_LOGS=<dir>: keep every candidate's log (its stderr), to read a violation's
    // story (set QT_LOGGING_RULES and QT_MESSAGE_PATTERN="%{time boot} ..." to match the times).
    const QString logs = qEnvironmentVariable("CONCLAVE_CHAOS_LOGS");
    if (!logs.isEmpty() && QDir().mkpath(logs)) {
        for (const auto &p : m_procs) {
            QFile f(QDir(logs).filePath(p->id + QStringLiteral(".log")));
            if (p->process && f.open(QIODevice::WriteOnly))
                f.write(p->process->stderrText());
        }
    }
}

// ---- liveness --------------------------------------------------------------------------------

// What the processes say: one leader per election, every live candidate leader or follower.
QString Runner::localProblem() const
{
    for (int e = 0; e < electionCount(); ++e) {
        int leaders = 0;
        for (Proc *p : live(e)) {
            if (p->frozen)
                return QStringLiteral("%1 is frozen").arg(p->name);
            if (p->role() == QLatin1String("leader") && !isReadyLeader(p))
                return QStringLiteral("%1 leads, not ready").arg(p->name);
            if (p->role() == QLatin1String("leader"))
                ++leaders;
            else if (p->role() != QLatin1String("follower"))
                return QStringLiteral("%1 is %2").arg(p->name, p->role());
        }
        if (leaders != 1)
            return QStringLiteral("election %1 has %2 leaders").arg(e).arg(leaders);
    }
    return {};
}

// What etcd says: each live candidate has exactly one key, its lease alive; the head key is the
// leader's and its create revision is the leader's fencing token.
QString Runner::etcdProblem()
{
    for (int e = 0; e < electionCount(); ++e) {
        qint64 revision = 0;
        const QList<KeyInfo> queue = queueOf(e, &revision);
        if (revision < 0)
            return QStringLiteral("cannot read election %1").arg(e);
        for (Proc *p : live(e)) {
            const auto n = std::count_if(queue.cbegin(), queue.cend(),
                                         [p](const KeyInfo &k) { return k.id == p->id; });
            if (n != 1)
                return QStringLiteral("%1 has %2 keys in etcd").arg(p->name).arg(n);
        }
        Proc *leader = leaderOf(e);
        if (!leader || queue.isEmpty())
            return QStringLiteral("election %1: no leader or empty queue").arg(e);
        if (queue.first().id != leader->id)
            return QStringLiteral("election %1: head key is %2's, %3 says it leads")
                    .arg(e).arg(queue.first().id, leader->name);
        if (queue.first().createRevision != tokenOf(leader))
            return QStringLiteral("election %1: head create revision %2, leader's token %3")
                    .arg(e).arg(queue.first().createRevision).arg(tokenOf(leader));
        for (const KeyInfo &k : queue) {
            if (!byId(k.id) || !byId(k.id)->running())
                continue;
            auto *c = Conclave::ClientPrivate::get(m_client.get());
            QPointer<Conclave::GatewayReply> ttl = c->leaseTimeToLive(k.lease);
            waitUntil([&] { return !ttl || ttl->isFinished(); }, 5000);
            const bool alive = ttl && ttl->isFinished() && ttl->error() == Conclave::Error::NoError;
            if (ttl)
                ttl->deleteLater();
            if (!alive)
                return QStringLiteral("%1's lease %2 is not alive").arg(k.id).arg(k.lease, 0, 16);
        }
    }
    return {};
}

bool Runner::settle(Fault &f)
{
    QString problem;
    f.settledAt = awaitLiveness((m_options.ttl + 2) * 1000, [this] { return localProblem(); },
                                [this] { return etcdProblem(); }, &problem);
    if (f.settledAt)
        return true;
    f.missed = true;
    f.note = problem;
    say(QStringLiteral("   MISS: not live %1 s after the heal: %2").arg(m_options.ttl + 2).arg(problem));
    const qint64 t = now();
    say(timeline(logs(), m_faults + QList<Fault>{f}, f.election >= 0 ? f.election : 0,
                 f.injectedAt - 2'000'000'000, t, m_origin));
    // Let it recover, if it does, so that the campaign can go on.
    const bool recovered = waitUntil([&] { return localProblem().isEmpty() && etcdProblem().isEmpty(); }, 30000);
    say(recovered ? QStringLiteral("   recovered after %1 ms").arg((now() - t) / 1'000'000)
                  : QStringLiteral("   still not live 30 s later: %1").arg(localProblem() + etcdProblem()));
    if (!recovered)
        m_aborted = true;
    return false;
}

// ---- faults ------------------------------------------------------------------------------------

Runner::Proc *Runner::aimAtLeader(Fault &f)
{
    Proc *leader = leaderOf(f.election);
    if (leader)
        f.target = leader->name;
    return leader;
}

void Runner::killAndReplace(Proc *p)
{
    const qint64 child = childPidOf(p);
    p->killedAt = now();
    p->process->kill();
    checkChildDiedWith(p, child);
    spawn(p->election, p->slot); // a new process, a new key at the back
}

bool Runner::killLeader(Fault &f)
{
    Proc *leader = aimAtLeader(f);
    if (!leader)
        return false;
    f.injectedAt = now();
    killAndReplace(leader);
    f.healedAt = now();
    return true;
}

bool Runner::stopLeader(Fault &f)
{
    Proc *leader = aimAtLeader(f);
    if (!leader)
        return false;
    f.injectedAt = now();
    freeze(leader);
    spin((m_options.ttl + 1) * 1000);
    // Its lease is gone if its key is.
    const QList<KeyInfo> queue = queueOf(f.election);
    leader->freezes.last().leaseGone = std::none_of(queue.cbegin(), queue.cend(),
                                                    [leader](const KeyInfo &k) { return k.id == leader->id; });
    thaw(leader);
    f.healedAt = now();
    return true;
}

// The common handover, under whatever the earlier faults left behind: the leader is told to
// stop (SIGTERM), leaves (its lease revoked) and exits 0 by itself; a new process joins at the
// back of its slot.
bool Runner::leaveLeader(Fault &f)
{
    Proc *leader = aimAtLeader(f);
    if (!leader)
        return false;
    f.injectedAt = now();
    leader->process->terminate();
    // conclave-candidate waits at most 3 s (conclave-worker 5 s) for the revoke's answer.
    const bool exited = waitUntil([leader] { return !leader->process->isRunning(); }, 10000);
    leader->endedAt = now();
    if (!exited) {
        f.broken = QStringLiteral("%1 still running 10 s after SIGTERM").arg(leader->name);
        leader->killedAt = leader->endedAt;
        leader->process->kill();
    } else if (!leader->process->exitedCleanly()) {
        f.broken = QStringLiteral("%1 did not exit cleanly after SIGTERM (status %2)").arg(leader->name).arg(leader->process->exitCode());
    }
    spawn(leader->election, leader->slot);
    f.healedAt = now();
    return true;
}

QList<Runner::Proc *> Runner::followersOf(int election) const
{
    QList<Proc *> result;
    for (Proc *p : m_slots[size_t(election)])
        if (p && p->running() && p->role() == QLatin1String("follower"))
            result.append(p);
    return result;
}

int Runner::topPriority(int election) const
{
    int top = std::numeric_limits<int>::min();
    for (Proc *p : m_slots[size_t(election)])
        if (p && p->running())
            top = qMax(top, p->priority);
    return top == std::numeric_limits<int>::min() ? 0 : top;
}

// The leader is told it may not lead (stdin "ineligible", as a failing health check would): it
// stops, leaves the queue and keeps following; another leads. Half a TTL later it is eligible
// again and joins at the back.
bool Runner::ineligibleLeader(Fault &f)
{
    Proc *leader = aimAtLeader(f);
    if (!leader)
        return false;
    f.injectedAt = now();
    leader->process->send("ineligible");
    if (!waitUntil([leader] { return leader->role() == QLatin1String("not-a-member"); }, 5000))
        f.broken = QStringLiteral("%1 still said %2 5 s after \"ineligible\"").arg(leader->name, leader->role());
    spin(m_options.ttl * 500);
    leader->process->send("eligible");
    f.healedAt = now();
    return true;
}

// A follower is replaced (SIGTERM, it leaves) by a process of a priority above everyone's in
// its election: the Conclave leader must hand over to it within one handover (2 s).
bool Runner::priorityJoin(Fault &f)
{
    const QList<Proc *> followers = followersOf(f.election);
    if (followers.isEmpty())
        return false;
    Proc *old = followers.at(int(m_rng() % unsigned(followers.size())));
    const int priority = topPriority(f.election) + 1;
    f.injectedAt = now();
    old->process->terminate();
    waitUntil([old] { return !old->process->isRunning(); }, 10000);
    old->endedAt = now();
    Proc *p = spawn(old->election, old->slot, priority);
    if (!p)
        return false;
    f.target = QStringLiteral("%1 (priority %2)").arg(p->name).arg(priority);
    if (!waitUntil([p] { return p->role() == QLatin1String("leader"); }, 10000))
        f.broken = QStringLiteral("%1 of the highest priority %2 did not lead within 10 s of starting (said %3)")
                           .arg(p->name).arg(priority).arg(p->role());
    f.healedAt = now();
    return true;
}

// An operator transfers leadership to a follower (ElectionDirectory::transferLeadership): one
// of the highest priority must lead afterwards; to one of a lower priority than another's it
// must be refused with that reason, and nothing changes.
bool Runner::transfer(Fault &f)
{
    const QList<Proc *> followers = followersOf(f.election);
    Proc *leader = leaderOf(f.election);
    if (followers.isEmpty() || !leader)
        return false;
    Proc *target = followers.at(int(m_rng() % unsigned(followers.size())));
    const bool refusable = target->priority < topPriority(f.election);
    f.target = target->name;
    const QString name = electionName(f.election);
    Conclave::ElectionDirectory dir(m_client.get());
    dir.setPrefix(name);
    dir.start();
    const int live = int(followers.size()) + 1;
    if (!waitUntil([&] { return dir.isSynced() && dir.candidates(name).size() == live; }, 5000))
        return false;
    f.injectedAt = now();
    std::unique_ptr<Conclave::Operation> op(dir.transferLeadership(name, target->id));
    if (!waitUntil([&] { return op->isFinished(); }, 10000)) {
        f.broken = QStringLiteral("transfer to %1: no outcome within 10 s").arg(target->name);
    } else if (refusable) {
        if (op->error() != Conclave::Error::InvalidArgument || !op->errorString().contains(QLatin1String("straight back")))
            f.broken = QStringLiteral("transfer to %1 (priority %2, below another's): expected a refusal, got %3 %4")
                               .arg(target->name).arg(target->priority).arg(Conclave::errorName(op->error()), op->errorString());
    } else if (op->error() != Conclave::Error::NoError) {
        f.broken = QStringLiteral("transfer to %1 failed: %2 %3").arg(target->name, Conclave::errorName(op->error()), op->errorString());
    } else if (!waitUntil([target] { return target->role() == QLatin1String("leader"); }, 5000)) {
        f.broken = QStringLiteral("transfer to %1 finished, but it did not say leader within 5 s").arg(target->name);
    }
    f.healedAt = now();
    return true;
}

int Runner::aimAtLeadersMember(Fault &f)
{
    Proc *leader = leaderOf(f.election);
    const int member = leader ? memberOf(leader) : 0;
    f.target = QStringLiteral("member %1").arg(member);
    return member;
}

bool Runner::stopEtcd(Fault &f)
{
    const int member = aimAtLeadersMember(f);
    f.injectedAt = now();
    if (!m_etcd->pause(member))
        return false;
    spin((m_options.ttl + 1) * 1000);
    m_etcd->resume(member);
    f.healedAt = now();
    return true;
}

bool Runner::restartEtcd(Fault &f)
{
    f.target = m_etcd->size() > 1 ? QStringLiteral("all members") : QStringLiteral("member 0");
    f.injectedAt = now();
    for (int i = 0; i < m_etcd->size(); ++i)
        m_etcd->kill(i);
    const bool ok = m_etcd->restartAll(); // same data dirs and ports
    f.healedAt = now();
    return ok;
}

bool Runner::killMember(Fault &f)
{
    const int member = aimAtLeadersMember(f);
    f.injectedAt = now();
    if (!m_etcd->kill(member))
        return false;
    spin(2000);
    const bool ok = m_etcd->restart(member);
    f.healedAt = now();
    return ok;
}

bool Runner::partitionLeader(Fault &f)
{
    Proc *leader = aimAtLeader(f);
    if (!leader)
        return false;
    f.injectedAt = now();
    for (const auto &proxy : leader->proxies)
        proxy->setMode(TcpProxy::Mode::Blackhole);
    spin((m_options.ttl + 1) * 1000);
    for (const auto &proxy : leader->proxies) { // drop, then reset
        proxy->resetAll();
        proxy->setMode(TcpProxy::Mode::Pass);
    }
    f.healedAt = now();
    return true;
}

bool Runner::operatorDelete(Fault &f, bool revoke)
{
    const QList<KeyInfo> queue = queueOf(f.election);
    if (queue.isEmpty())
        return false;
    const KeyInfo head = queue.first();
    f.target = head.id;
    f.operatorAction = true;
    f.injectedAt = now();
    const QString out = revoke ? etcdctl({QStringLiteral("lease"), QStringLiteral("revoke"),
                                          QString::number(head.lease, 16)})
                               : etcdctl({QStringLiteral("del"), QString::fromUtf8(head.key)});
    f.healedAt = now();
    return !out.isNull();
}

// One txn deletes the leader's key and the next one's: the next in line sees its predecessor go
// and its own key go at the same revision, and must not take over (the third does).
bool Runner::operatorDeleteTwo(Fault &f)
{
    const QList<KeyInfo> queue = queueOf(f.election);
    if (queue.size() < 2)
        return false;
    f.target = queue[0].id + QLatin1Char('+') + queue[1].id;
    f.operatorAction = true;
    f.injectedAt = now();
    const QByteArray ops = "\ndel " + queue[0].key + "\ndel " + queue[1].key + "\n\n\n"; // no compare, two deletes, no failure ops
    const QString out = etcdctl({QStringLiteral("txn")}, ops);
    f.healedAt = now();
    return !out.isNull() && out.startsWith(QLatin1String("SUCCESS"));
}

bool Runner::compactChurn(Fault &f)
{
    f.target = QStringLiteral("all");
    f.injectedAt = now();
    bool ok = true;
    for (int round = 0; round < 3; ++round) {
        if (Proc *leader = leaderOf(f.election))
            leader->process->send("resign");
        qint64 revision = 0;
        queueOf(f.election, &revision);
        if (revision > m_compacted) { // compacting to where it already is would be refused
            ok = !etcdctl({QStringLiteral("compact"), QString::number(revision)}).isNull() && ok;
            m_compacted = revision;
        }
        for (int k = 0; k < 2; ++k) {
            const int e = int(m_rng() % unsigned(electionCount()));
            const QList<Proc *> procs = live(e);
            if (!procs.isEmpty())
                for (const auto &proxy : procs[int(m_rng() % unsigned(procs.size()))]->proxies)
                    proxy->resetAll();
        }
        spin(300);
    }
    f.healedAt = now();
    return ok;
}

bool Runner::halfDeadNext(Fault &f)
{
    const QList<KeyInfo> queue = queueOf(f.election);
    Proc *leader = leaderOf(f.election);
    Proc *next = queue.size() > 1 ? byId(queue[1].id) : nullptr;
    if (!leader || !next || !next->running())
        return false;
    f.target = next->name;
    f.injectedAt = now();
    for (const auto &proxy : next->proxies)
        proxy->freezeExisting(); // its connections drop every byte from now on, never reset
    killAndReplace(leader);
    f.healedAt = now();
    return true;
}

bool Runner::inject(Fault &f)
{
    const QString &k = f.kind;
    if (k == QLatin1String("kill-leader"))
        return killLeader(f);
    if (k == QLatin1String("stop-leader"))
        return stopLeader(f);
    if (k == QLatin1String("leave-leader"))
        return leaveLeader(f);
    if (k == QLatin1String("ineligible-leader"))
        return ineligibleLeader(f);
    if (k == QLatin1String("priority-join"))
        return priorityJoin(f);
    if (k == QLatin1String("transfer"))
        return transfer(f);
    if (k == QLatin1String("stop-etcd"))
        return stopEtcd(f);
    if (k == QLatin1String("restart-etcd"))
        return restartEtcd(f);
    if (k == QLatin1String("partition-leader"))
        return partitionLeader(f);
    if (k == QLatin1String("operator-delete"))
        return operatorDelete(f, false);
    if (k == QLatin1String("operator-revoke"))
        return operatorDelete(f, true);
    if (k == QLatin1String("compact-churn"))
        return compactChurn(f);
    if (k == QLatin1String("half-dead-next"))
        return halfDeadNext(f);
    if (k == QLatin1String("operator-delete-two"))
        return operatorDeleteTwo(f);
    if (k == QLatin1String("kill-member"))
        return killMember(f);
    if (k == QLatin1String("wedge-child"))
        return wedgeChild(f);
    if (k == QLatin1String("slow-ready"))
        return slowReady(f);
    return false;
}

QList<ProcessLog> Runner::logs() const
{
    QList<ProcessLog> result;
    for (const auto &p : m_procs)
        result.append({p->name, p->election, p->process->events(), p->killedAt, p->endedAt, p->freezes});
    return result;
}

int Runner::run()
{
    const QStringList kinds = m_options.kinds.isEmpty()
            ? allKinds(m_options.cluster, m_options.supervisedElections > 0) : m_options.kinds;
    say(QStringLiteral("conclave-chaos: seed %1, %2 faults of %3, %4 elections × %5 candidates "
                       "(+%6 of workers, +%7 with a watched child), TTL %8 s, %9")
                .arg(m_options.seed).arg(m_options.faults).arg(kinds.join(QLatin1Char(',')))
                .arg(m_options.elections).arg(m_options.candidates).arg(m_options.workerElections)
                .arg(m_options.supervisedElections).arg(m_options.ttl)
                .arg(m_options.cluster ? QStringLiteral("3-member cluster") : QStringLiteral("one etcd member")));
    m_origin = now();
    if (!setUp())
        return 2;
    Fault start;
    start.kind = QStringLiteral("(start)");
    if (!settle(start)) {
        say(QStringLiteral("error: the elections never settled after start"));
        return 1;
    }
    QStringList order;
    for (int i = 0; i < m_options.faults && !m_aborted && !m_interrupts; ++i) {
        if (order.isEmpty()) { // every kind once per round, in a seeded order
            order = kinds;
            std::shuffle(order.begin(), order.end(), m_rng);
        }
        Fault f;
        f.index = i + 1;
        f.kind = order.takeFirst();
        f.election = int(m_rng() % unsigned(electionCount()));
        if (f.kind == QLatin1String("wedge-child") || f.kind == QLatin1String("slow-ready")) {
            const int first = m_options.elections + m_options.workerElections;
            f.election = first + int(m_rng() % unsigned(qMax(1, m_options.supervisedElections)));
        }
        m_brokenPromise.clear();
        if (!inject(f)) {
            f.error = true;
            if (!f.injectedAt)
                f.injectedAt = f.healedAt = now();
            if (!f.healedAt)
                f.healedAt = now();
            say(QStringLiteral("#%1 %2 e%3: could not be injected as planned").arg(f.index).arg(f.kind).arg(f.election));
        }
        if (f.broken.isEmpty())
            f.broken = m_brokenPromise;
        settle(f);
        noteDeaths(f.index);
        // A wedged child costs one handover within the watchdog (from its last ping) + 1 s.
        if (f.kind == QLatin1String("wedge-child") && f.settledAt && !f.error
            && f.settledAt - f.injectedAt > qint64(WatchdogMs + 1000) * 1'000'000 && f.broken.isEmpty())
            f.broken = QStringLiteral("recovered %1 ms after the child wedged (watchdog %2 ms + 1 s)")
                               .arg((f.settledAt - f.injectedAt) / 1'000'000).arg(WatchdogMs);
        if (!f.missed)
            say(QStringLiteral("#%1 %2 e%3 %4: live again %5 ms after the heal")
                        .arg(f.index).arg(f.kind).arg(f.election).arg(f.target)
                        .arg((f.settledAt - f.healedAt) / 1'000'000));
        if (qEnvironmentVariableIsSet("CONCLAVE_CHAOS_LOGS")) // the candidates' logs' clock
            say(QStringLiteral("   injected at %1 s, healed at %2 s")
                        .arg(double(f.injectedAt) / 1e9, 0, 'f', 6).arg(double(f.healedAt) / 1e9, 0, 'f', 6));
        m_faults.append(f);
    }
    const qint64 end = now();
    noteDeaths(m_faults.size());
    tearDown();
    return judgeAndReport(logs(), m_faults, m_origin, end, m_options, m_aborted, m_interrupts > 0, m_deaths);
}

// A candidate runs until the runner stops it: the liveness check leaves one that does not run
// out, so without this a crash would pass unseen.
void Runner::noteDeaths(qsizetype fault)
{
    for (const auto &p : m_procs) {
        if (!p->process || p->process->isRunning() || p->killedAt || p->endedAt || p->deathNoted)
            continue;
        p->deathNoted = true;
        m_deaths << processDeath(p->name, p->process->exitCode(), p->process->exitStatus(), fault,
                                 p->process->stderrText());
    }
}

QString processDeath(const QString &name, int exitCode, QProcess::ExitStatus status, qsizetype fault,
                     const QByteArray &stderrText)
{
    const QString how = status == QProcess::CrashExit ? QStringLiteral("killed by a signal (a crash)")
                                                      : QStringLiteral("exit code %1").arg(exitCode);
    return QStringLiteral("process %1 exited by itself during or after fault #%2: %3; the end of its stderr:\n%4")
            .arg(name).arg(fault).arg(how, QString::fromUtf8(stderrText.right(1500)));
}

int judgeAndReport(const QList<ProcessLog> &logs, const QList<Fault> &faults, qint64 origin, qint64 end,
                   const Options &options, bool aborted, bool interrupted, const QStringList &deaths,
                   int mostTimelines)
{
    const Verdict verdict = judge(logs, faults, end);
    say(QString());
    say(table(verdict));
    say(QStringLiteral("leadership starts: %1; run time %2 s")
                .arg(verdict.leadershipStarts).arg((end - origin) / 1'000'000'000));
    for (const QString &v : verdict.violations + deaths)
        say(QStringLiteral("VIOLATION: ") + v);
    for (const QString &n : verdict.notes)
        say(QStringLiteral("  ") + n);
    int shown = 0;
    for (const Overlap &o : verdict.overlaps) {
        if (o.operatorWindow || shown++ >= mostTimelines)
            continue;
        say(QStringLiteral("---- timeline of election %1 around an overlap ----").arg(o.first.election));
        say(timeline(logs, faults, o.first.election, o.second.start - 3'000'000'000,
                     o.second.start + 3'000'000'000, origin));
    }
    if (!options.reportFile.isEmpty()) {
        QFile file(options.reportFile);
        if (file.open(QIODevice::WriteOnly))
            file.write(table(verdict).toUtf8());
    }
    const bool ok = verdict.ok() && !aborted && deaths.isEmpty();
    say(ok ? QStringLiteral("chaos: %1 faults, no violation").arg(faults.size())
           : QStringLiteral("chaos: %1 violation(s)")
                     .arg(verdict.violations.size() + deaths.size() + (aborted ? 1 : 0)));
    if (interrupted)
        say(QStringLiteral("chaos: interrupted after %1 of %2 faults").arg(faults.size()).arg(options.faults));
    return !ok ? 1 : interrupted ? 130 : 0;
}

} // namespace Chaos
