// conclave-chaos --shards (shardrunner.h): set-up, liveness across every election of every
// process, the faults, and the logs cut per election for the checker.
#include "shardrunner.h"
#include "chaosrunner_p.h"

#include "client_p.h"
#include "codec.h"
#include "etcdtestenv.h"
#include "gatewayreply.h"
#include "tcpproxy.h"

#include <conclave/client.h>
#include <conclave/leaderinfo.h>

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QHash>
#include <QtCore/QJsonDocument>
#include <QtCore/QPointer>
#include <QtCore/QProcess>

#include <algorithm>
#include <csignal>
#include <map>

namespace Chaos {

QStringList shardKinds(bool cluster)
{
    QStringList kinds{QStringLiteral("kill-process"), QStringLiteral("stop-process"),
                      QStringLiteral("partition-process"), QStringLiteral("restart-etcd"),
                      QStringLiteral("operator-delete")};
    if (cluster)
        kinds << QStringLiteral("stop-etcd") << QStringLiteral("kill-member");
    return kinds;
}

namespace {

const QString Prefix = QStringLiteral("chaos/shard");

// One incarnation of a conclave-shards process.
struct Shard
{
    QString name; // p1.2: slot 1, second incarnation
    QString id;   // p1-2: its candidate id in every election
    int slot = 0;
    std::unique_ptr<QProcess> process;
    std::vector<std::unique_ptr<TcpProxy>> proxies; // one per member, home member first
    QByteArray buffer;
    QByteArray stderrText;
    QList<QJsonObject> events;
    std::vector<QString> roles;   // per election
    std::vector<qint64> fencing;  // per election: the token of its last leadership
    bool ready = false;
    qint64 killedAt = 0;
    qint64 endedAt = 0;
    QList<Freeze> freezes;
    bool frozen = false;

    bool running() const
    {
        return process && process->state() != QProcess::NotRunning && !killedAt && !endedAt;
    }
};

class ShardRunner
{
public:
    ShardRunner(const Options &o, const std::function<bool()> &interrupted)
        : m_options(o)
        , m_interrupted(interrupted)
        , m_rng(o.seed)
    {
    }
    ~ShardRunner() { tearDown(); }
    int run();

private:
    bool setUp();
    Shard *spawn(int slot);
    void read(Shard *s);
    void tearDown();
    QString localProblem() const;
    QString etcdProblem();
    bool settle(Fault &f);
    bool inject(Fault &f);
    Shard *mostLeading() const; //!< the live process that leads the most elections
    Shard *target(Fault &f);    //!< mostly the most leading process, sometimes another
    bool keysUnder(const QString &prefix, QList<Conclave::KeyValue> *kvs);
    static QString idOf(const Conclave::KeyValue &kv);
    QList<ProcessLog> logs() const;
    int budgetMs() const { return (m_options.ttl + 2) * 1000 + 2 * m_options.shards; }

    Options m_options;
    std::function<bool()> m_interrupted;
    std::mt19937 m_rng;
    std::unique_ptr<EtcdTestEnv> m_etcd;
    std::unique_ptr<Conclave::Client> m_client;
    std::vector<std::unique_ptr<Shard>> m_shards; // every incarnation
    std::vector<Shard *> m_slots;                 // slot → current incarnation
    QList<Fault> m_faults;
    QStringList m_deaths; // processes that exited without being told to (a crash)
    qint64 m_origin = 0;
    bool m_aborted = false;
};

// The keys under \a prefix, oldest first; false if etcd did not answer.
bool ShardRunner::keysUnder(const QString &prefix, QList<Conclave::KeyValue> *kvs)
{
    auto *c = Conclave::ClientPrivate::get(m_client.get());
    QPointer<Conclave::GatewayReply> reply = c->range(Conclave::RangeOptions::ofPrefix(prefix.toUtf8()));
    reply->setTimeout(std::chrono::milliseconds(5000));
    waitUntil([&] { return !reply || reply->isFinished(); }, 8000);
    const bool ok = reply && reply->isFinished() && reply->error() == Conclave::Error::NoError;
    if (ok) {
        *kvs = Conclave::Codec::parseRange(reply->json()).kvs;
        std::sort(kvs->begin(), kvs->end(), [](const auto &a, const auto &b) { return a.createRevision < b.createRevision; });
    }
    if (reply)
        reply->deleteLater();
    return ok;
}

QString ShardRunner::idOf(const Conclave::KeyValue &kv)
{
    return Conclave::LeaderInfo::fromKeyValue(kv.key, kv.value, kv.lease, kv.createRevision, {}).id();
}

void ShardRunner::read(Shard *s)
{
    s->buffer += s->process->readAllStandardOutput();
    qsizetype from = 0;
    for (qsizetype nl; (nl = s->buffer.indexOf('\n', from)) >= 0; from = nl + 1) {
        const QJsonObject event = QJsonDocument::fromJson(s->buffer.mid(from, nl - from)).object();
        s->events << event;
        const QString kind = event.value(QLatin1String("event")).toString();
        if (kind == QLatin1String("ready")) {
            s->ready = true;
        } else if (kind == QLatin1String("role")) {
            const int e = event.value(QLatin1String("election")).toInt(-1);
            if (e < 0 || e >= m_options.shards)
                continue;
            s->roles[size_t(e)] = event.value(QLatin1String("role")).toString();
            if (s->roles[size_t(e)] == QLatin1String("leader"))
                s->fencing[size_t(e)] = qint64(event.value(QLatin1String("fencing")).toDouble());
        }
    }
    s->buffer.remove(0, from);
}

Shard *ShardRunner::spawn(int slot)
{
    int incarnation = 1;
    for (const auto &s : m_shards)
        incarnation += s->slot == slot;
    auto s = std::make_unique<Shard>();
    s->slot = slot;
    s->name = QStringLiteral("p%1.%2").arg(slot).arg(incarnation);
    s->id = QStringLiteral("p%1-%2").arg(slot).arg(incarnation);
    s->roles.assign(size_t(m_options.shards), QStringLiteral("not-a-member"));
    s->fencing.assign(size_t(m_options.shards), 0);
    QStringList urls;
    for (int i = 0; i < m_etcd->size(); ++i) {
        auto proxy = std::make_unique<TcpProxy>();
        if (!proxy->listen(m_etcd->endpoint((slot + i) % m_etcd->size())))
            return nullptr;
        urls << proxy->url().toString();
        s->proxies.push_back(std::move(proxy));
    }
    s->process = std::make_unique<QProcess>();
    Shard *raw = s.get();
    QObject::connect(raw->process.get(), &QProcess::readyReadStandardOutput, raw->process.get(), [this, raw] { read(raw); });
    QObject::connect(raw->process.get(), &QProcess::readyReadStandardError, raw->process.get(),
                     [raw] { raw->stderrText += raw->process->readAllStandardError(); });
    // A process that exits by itself crashed (it runs until told to stop): the liveness check
    // leaves a process that is not running out, so without this a crash passes unseen.
    QObject::connect(raw->process.get(), &QProcess::finished, raw->process.get(),
                     [this, raw](int code, QProcess::ExitStatus status) {
                         if (raw->killedAt || raw->endedAt)
                             return;
                         raw->stderrText += raw->process->readAllStandardError();
                         m_deaths << processDeath(raw->name, code, status, m_faults.size() + 1,
                                                  raw->stderrText);
                     });
    raw->process->start(QStringLiteral(CONCLAVE_SHARDS_BIN),
                        {QStringLiteral("--endpoints"), urls.join(QLatin1Char(',')), QStringLiteral("--prefix"), Prefix,
                         QStringLiteral("--count"), QString::number(m_options.shards), QStringLiteral("--id"), s->id,
                         QStringLiteral("--ttl"), QString::number(m_options.ttl)});
    if (!raw->process->waitForStarted(5000))
        return nullptr;
    m_slots[size_t(slot)] = raw;
    m_shards.push_back(std::move(s));
    return raw;
}

bool ShardRunner::setUp()
{
    if (!startEtcd(m_options.cluster, &m_etcd, &m_client))
        return false;
    m_slots.assign(size_t(m_options.processes), nullptr);
    for (int slot = 0; slot < m_options.processes; ++slot) {
        // One at a time: the first leads everything, the others queue behind it in slot order.
        Shard *s = spawn(slot);
        if (!s || !waitUntil([s] { return s->ready; }, 60000)) {
            say(QStringLiteral("error: process %1 did not join its %2 elections; its stderr:\n%3")
                        .arg(slot).arg(m_options.shards)
                        .arg(s ? QString::fromUtf8(s->stderrText.right(4000)) : QString()));
            return false;
        }
    }
    return true;
}

void ShardRunner::tearDown()
{
    const qint64 end = now();
    for (const auto &s : m_shards) {
        if (s->frozen) {
            ::kill(pid_t(s->process->processId()), SIGCONT);
            s->freezes.last().continuedAt = end;
            s->frozen = false;
        }
        if (s->running()) {
            s->endedAt = end;
            s->process->terminate();
        }
    }
    for (const auto &s : m_shards)
        if (s->process && s->process->state() != QProcess::NotRunning && !s->process->waitForFinished(5000))
            s->process->kill();
    const QString dir = qEnvironmentVariable("CONCLAVE_CHAOS_LOGS");
    if (!dir.isEmpty() && QDir().mkpath(dir)) {
        for (const auto &s : m_shards) {
            QFile f(QDir(dir).filePath(s->id + QStringLiteral(".log")));
            if (f.open(QIODevice::WriteOnly))
                f.write(s->stderrText);
        }
    }
    m_shards.clear();
    m_slots.clear();
}

// What the processes say: one leader per election, every live process leader or follower in each.
QString ShardRunner::localProblem() const
{
    QList<const Shard *> live;
    for (const Shard *s : m_slots) {
        if (!s || !s->running())
            continue;
        if (s->frozen)
            return QStringLiteral("%1 is frozen").arg(s->name);
        live.append(s);
    }
    for (int e = 0; e < m_options.shards; ++e) {
        int leaders = 0;
        for (const Shard *s : std::as_const(live)) {
            const QString &role = s->roles[size_t(e)];
            if (role == QLatin1String("leader"))
                ++leaders;
            else if (role != QLatin1String("follower"))
                return QStringLiteral("%1 is %2 in election %3").arg(s->name, role).arg(e);
        }
        if (leaders != 1)
            return QStringLiteral("election %1 has %2 leaders").arg(e).arg(leaders);
    }
    return {};
}

// What etcd says, from one read of every election: each live process has one key in each, the
// head key is the leader's and its create revision the leader's token, every lease is alive.
QString ShardRunner::etcdProblem()
{
    QList<Conclave::KeyValue> kvs;
    if (!keysUnder(Prefix, &kvs))
        return QStringLiteral("cannot read the elections");
    auto *c = Conclave::ClientPrivate::get(m_client.get());
    struct Key { QString id; qint64 created; qint64 lease; };
    std::map<int, QList<Key>> queues; // election → keys, by create revision
    for (const Conclave::KeyValue &kv : std::as_const(kvs)) {
        // chaos/shard0042/<lease hex>
        const QByteArray rest = kv.key.mid(Prefix.size());
        queues[rest.left(rest.indexOf('/')).toInt()].append({idOf(kv), kv.createRevision, kv.lease});
    }
    QHash<qint64, QString> leases; // lease → the process it belongs to
    for (int e = 0; e < m_options.shards; ++e) {
        const QList<Key> &queue = queues[e]; // oldest first
        const Shard *leader = nullptr;
        for (const Shard *s : m_slots) {
            if (!s || !s->running())
                continue;
            const auto n = std::count_if(queue.cbegin(), queue.cend(), [s](const Key &k) { return k.id == s->id; });
            if (n != 1)
                return QStringLiteral("%1 has %2 keys in election %3").arg(s->name).arg(n).arg(e);
            if (s->roles[size_t(e)] == QLatin1String("leader"))
                leader = s;
        }
        if (!leader || queue.isEmpty())
            return QStringLiteral("election %1: no leader or empty queue").arg(e);
        if (queue.first().id != leader->id)
            return QStringLiteral("election %1: head key is %2's, %3 says it leads").arg(e).arg(queue.first().id, leader->name);
        if (queue.first().created != leader->fencing[size_t(e)])
            return QStringLiteral("election %1: head create revision %2, leader's token %3")
                    .arg(e).arg(queue.first().created).arg(leader->fencing[size_t(e)]);
        for (const Key &k : std::as_const(queue))
            leases.insert(k.lease, k.id);
    }
    for (auto it = leases.cbegin(); it != leases.cend(); ++it) {
        const auto live = std::any_of(m_slots.cbegin(), m_slots.cend(), [&it](const Shard *s) {
            return s && s->running() && s->id == it.value();
        });
        if (!live)
            continue;
        QPointer<Conclave::GatewayReply> ttl = c->leaseTimeToLive(it.key());
        waitUntil([&] { return !ttl || ttl->isFinished(); }, 5000);
        const bool alive = ttl && ttl->isFinished() && ttl->error() == Conclave::Error::NoError;
        if (ttl)
            ttl->deleteLater();
        if (!alive)
            return QStringLiteral("%1's lease %2 is not alive").arg(it.value()).arg(it.key(), 0, 16);
    }
    return {};
}

bool ShardRunner::settle(Fault &f)
{
    QString problem;
    f.settledAt = awaitLiveness(budgetMs(), [this] { return localProblem(); }, [this] { return etcdProblem(); }, &problem);
    if (f.settledAt)
        return true;
    f.missed = true;
    f.note = problem;
    say(QStringLiteral("#%1 %2 %3: MISS: not live %4 ms after the heal: %5")
                .arg(f.index).arg(f.kind, f.target).arg(budgetMs()).arg(problem));
    const qint64 t = now();
    const bool recovered = waitUntil([&] { return localProblem().isEmpty() && etcdProblem().isEmpty(); }, 60000);
    say(recovered ? QStringLiteral("   recovered after %1 ms").arg((now() - t) / 1'000'000)
                  : QStringLiteral("   still not live 60 s later: %1").arg(localProblem() + etcdProblem()));
    if (!recovered)
        m_aborted = true;
    return false;
}

Shard *ShardRunner::mostLeading() const
{
    Shard *best = nullptr;
    qsizetype most = -1;
    for (Shard *s : m_slots) {
        if (!s || !s->running())
            continue;
        const auto n = std::count(s->roles.cbegin(), s->roles.cend(), QStringLiteral("leader"));
        if (n > most) {
            most = n;
            best = s;
        }
    }
    return best;
}

Shard *ShardRunner::target(Fault &f)
{
    Shard *s = mostLeading();
    if (m_rng() % 3 == 0) { // now and then a follower: it loses its places, it leads nothing
        QList<Shard *> live;
        for (Shard *x : m_slots)
            if (x && x->running())
                live.append(x);
        if (!live.isEmpty())
            s = live.at(qsizetype(m_rng() % unsigned(live.size())));
    }
    if (s) {
        const auto leads = std::count(s->roles.cbegin(), s->roles.cend(), QStringLiteral("leader"));
        f.target = QStringLiteral("%1 (leads %2)").arg(s->name).arg(leads);
    }
    return s;
}

bool ShardRunner::inject(Fault &f)
{
    const int holdMs = (m_options.ttl + 1) * 1000;
    if (f.kind == QLatin1String("kill-process")) {
        Shard *s = target(f);
        if (!s)
            return false;
        f.injectedAt = now();
        s->killedAt = now();
        s->process->kill();
        s->process->waitForFinished(5000);
        const bool ok = spawn(s->slot) != nullptr; // a new process, new keys at the back
        f.healedAt = now();
        return ok;
    }
    if (f.kind == QLatin1String("stop-process")) {
        Shard *s = target(f);
        if (!s)
            return false;
        f.injectedAt = now();
        ::kill(pid_t(s->process->processId()), SIGSTOP);
        s->freezes.append({now(), 0, false});
        s->frozen = true;
        spin(holdMs);
        // Its lease is gone if its keys are (one read of one election says it for all).
        QList<Conclave::KeyValue> kvs;
        if (keysUnder(Prefix + QStringLiteral("0000/"), &kvs))
            s->freezes.last().leaseGone = std::none_of(kvs.cbegin(), kvs.cend(),
                                                       [s](const Conclave::KeyValue &kv) { return idOf(kv) == s->id; });
        s->freezes.last().continuedAt = now();
        ::kill(pid_t(s->process->processId()), SIGCONT);
        s->frozen = false;
        f.healedAt = now();
        return true;
    }
    if (f.kind == QLatin1String("partition-process")) {
        Shard *s = target(f);
        if (!s)
            return false;
        f.injectedAt = now();
        for (const auto &proxy : s->proxies)
            proxy->setMode(TcpProxy::Mode::Blackhole);
        spin(holdMs);
        for (const auto &proxy : s->proxies) {
            proxy->resetAll();
            proxy->setMode(TcpProxy::Mode::Pass);
        }
        f.healedAt = now();
        return true;
    }
    if (f.kind == QLatin1String("restart-etcd")) {
        f.target = m_etcd->size() > 1 ? QStringLiteral("all members") : QStringLiteral("member 0");
        f.injectedAt = now();
        for (int i = 0; i < m_etcd->size(); ++i)
            m_etcd->kill(i);
        const bool ok = m_etcd->restartAll();
        f.healedAt = now();
        return ok;
    }
    if (f.kind == QLatin1String("stop-etcd") || f.kind == QLatin1String("kill-member")) {
        Shard *s = mostLeading();
        const int member = s ? busiestMember(s->proxies, s->slot, m_etcd->size()) : 0;
        f.target = QStringLiteral("member %1").arg(member);
        f.injectedAt = now();
        const bool stop = f.kind == QLatin1String("stop-etcd");
        if (!(stop ? m_etcd->pause(member) : m_etcd->kill(member)))
            return false;
        spin(stop ? holdMs : 2000);
        const bool ok = stop ? m_etcd->resume(member) : m_etcd->restart(member);
        f.healedAt = now();
        return ok;
    }
    if (f.kind == QLatin1String("operator-delete")) {
        // The head key of one election, as an operator deletes it (the checker's operator window).
        Shard *s = mostLeading();
        if (!s)
            return false;
        QList<Conclave::KeyValue> kvs;
        if (!keysUnder(Prefix + QStringLiteral("%1/").arg(f.election, 4, 10, QLatin1Char('0')), &kvs) || kvs.isEmpty())
            return false;
        f.target = idOf(kvs.first());
        auto *c = Conclave::ClientPrivate::get(m_client.get());
        f.operatorAction = true;
        f.injectedAt = now();
        QPointer<Conclave::GatewayReply> del = c->deleteRange(kvs.first().key);
        waitUntil([&] { return !del || del->isFinished(); }, 5000);
        f.healedAt = now();
        const bool ok = del && del->isFinished() && del->error() == Conclave::Error::NoError;
        if (del)
            del->deleteLater();
        return ok;
    }
    return false;
}

QList<ProcessLog> ShardRunner::logs() const
{
    // A process's lines cut per election: the checker sees one candidate per (process, election).
    QList<ProcessLog> result;
    for (const auto &s : m_shards) {
        std::vector<QList<QJsonObject>> byElection(size_t(m_options.shards));
        for (const QJsonObject &e : s->events) {
            const int k = e.value(QLatin1String("election")).toInt(-1);
            if (k >= 0 && k < m_options.shards)
                byElection[size_t(k)].append(e);
        }
        for (int k = 0; k < m_options.shards; ++k)
            result.append({QStringLiteral("e%1/%2").arg(k).arg(s->name), k, byElection[size_t(k)], s->killedAt,
                           s->endedAt, s->freezes});
    }
    return result;
}

int ShardRunner::run()
{
    const QStringList kinds = m_options.kinds.isEmpty() ? shardKinds(m_options.cluster) : m_options.kinds;
    say(QStringLiteral("conclave-chaos --shards: seed %1, %2 faults of %3, %4 processes × %5 elections "
                       "(one Client each), TTL %6 s, %7; live again within %8 ms of a heal")
                .arg(m_options.seed).arg(m_options.faults).arg(kinds.join(QLatin1Char(',')))
                .arg(m_options.processes).arg(m_options.shards).arg(m_options.ttl)
                .arg(m_options.cluster ? QStringLiteral("3-member cluster") : QStringLiteral("one etcd member"))
                .arg(budgetMs()));
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
    for (int i = 0; i < m_options.faults && !m_aborted && !m_interrupted(); ++i) {
        if (order.isEmpty()) {
            order = kinds;
            std::shuffle(order.begin(), order.end(), m_rng);
        }
        Fault f;
        f.index = i + 1;
        f.kind = order.takeFirst();
        f.election = f.kind == QLatin1String("operator-delete") ? int(m_rng() % unsigned(m_options.shards)) : -1;
        if (!inject(f)) {
            f.error = true;
            if (!f.injectedAt)
                f.injectedAt = now();
            if (!f.healedAt)
                f.healedAt = now();
            say(QStringLiteral("#%1 %2: could not be injected as planned").arg(f.index).arg(f.kind));
        }
        settle(f);
        if (!f.missed)
            say(QStringLiteral("#%1 %2 %3: live again %4 ms after the heal")
                        .arg(f.index).arg(f.kind, f.target).arg((f.settledAt - f.healedAt) / 1'000'000));
        if (qEnvironmentVariableIsSet("CONCLAVE_CHAOS_LOGS"))
            say(QStringLiteral("   injected at %1 s, healed at %2 s")
                        .arg(double(f.injectedAt) / 1e9, 0, 'f', 6).arg(double(f.healedAt) / 1e9, 0, 'f', 6));
        m_faults.append(f);
    }
    const qint64 end = now();
    // The logs outlive the processes: cut them before the shards are let go.
    for (const auto &s : m_shards)
        if (s->running()) {
            s->endedAt = end;
            s->process->terminate();
        }
    for (const auto &s : m_shards)
        if (s->process->state() != QProcess::NotRunning && !s->process->waitForFinished(5000))
            s->process->kill();
    const QList<ProcessLog> perElection = logs();
    tearDown();
    return judgeAndReport(perElection, m_faults, m_origin, end, m_options, m_aborted, m_interrupted(),
                          m_deaths,
                          5); // of hundreds of elections overlapping at once, a few tell the story
}

} // namespace

int runShards(const Options &options, const std::function<bool()> &interrupted)
{
    ShardRunner runner(options, interrupted);
    return runner.run();
}

} // namespace Chaos
