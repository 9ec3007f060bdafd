#include <conclave/client.h>
#include <conclave/electiondirectory.h>

#include "backoff.h"
#include "client_p.h"
#include "gatewayreply.h"
#include "logging.h"
#include "operation_p.h"
#include "watchhub.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QMap>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <algorithm>

namespace Conclave {

namespace {

constexpr int PageSize = 1000;
constexpr int HistoryLimit = 200;
constexpr int MaxPollsInFlight = 16;
constexpr int PollTickMs = 100;
constexpr int StatusIntervalMs = 2000;

enum class KeyKind { Other, Candidate, Stray };

// `<name>/<hex>`: a candidate when the hex is the key's own lease (etcd's election recipe),
// a stray when it is not.
KeyKind classifyKey(const KeyValue &kv, QString *name)
{
    const qsizetype slash = kv.key.lastIndexOf('/');
    if (slash <= 0)
        return KeyKind::Other;
    const QByteArray suffix = kv.key.mid(slash + 1);
    if (suffix.isEmpty() || suffix.size() > 16)
        return KeyKind::Other;
    for (const char ch : suffix)
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return KeyKind::Other;
    *name = QString::fromUtf8(kv.key.left(slash));
    bool ok = false;
    const quint64 id = suffix.toULongLong(&ok, 16);
    return ok && kv.lease != 0 && qint64(id) == kv.lease ? KeyKind::Candidate : KeyKind::Stray;
}

QByteArray incarnation(const QByteArray &key, qint64 createRevision)
{
    return key + '@' + QByteArray::number(createRevision);
}

bool byCreateRevision(const KeyValue &a, const KeyValue &b)
{
    return a.createRevision < b.createRevision;
}

} // namespace

class ElectionDirectoryPrivate : public QObject
{
public:
    struct State
    {
        QList<KeyValue> queue; // oldest first
        QList<KeyValue> strays;
        QList<Handover> history;
    };
    struct Lease
    {
        qint64 ttl = 0;
        qint64 granted = 0;
        LeaseStatus::State state = LeaseStatus::State::Unknown;
        QDateTime checkedAt;
        QElapsedTimer sinceCheck;
        qint64 lastAsked = -1; // pollClock ms
        bool inflight = false;
        // etcd reports whole seconds rounded down (4 means 4.0 to 4.99 s): count down from the
        // middle of that second, never above the granted TTL.
        qint64 remainingMs() const
        {
            const qint64 estimate = qMin(ttl * 1000 + 500, granted * 1000);
            return qMax<qint64>(0, estimate - sinceCheck.elapsed());
        }
    };

    ElectionDirectoryPrivate(ElectionDirectory *q, Client *client)
        : q(q)
        , c(ClientPrivate::get(client))
    {
        retryTimer.setSingleShot(true);
        connect(&retryTimer, &QTimer::timeout, this, &ElectionDirectoryPrivate::list);
        statusTimer.setInterval(StatusIntervalMs);
        connect(&statusTimer, &QTimer::timeout, this, &ElectionDirectoryPrivate::pollStatus);
        pollTimer.setInterval(PollTickMs);
        connect(&pollTimer, &QTimer::timeout, this, &ElectionDirectoryPrivate::pollLeases);
        pollClock.start();
    }

    QByteArray rangeKey() const
    {
        return prefix.isEmpty() ? QByteArray(1, '\0') : prefix.toUtf8();
    }
    QByteArray rangeEnd() const { return Codec::prefixEnd(prefix.toUtf8()); }

    void list();
    void fetchPage(const QByteArray &from, int gen);
    void finishListing();
    void onEvents(const QList<WatchEvent> &events);
    void removeKey(const QByteArray &key, QSet<QString> *touched);
    void compareLeaders(const QMap<QString, LeaderInfo> &before, qint64 revision);
    void recordHandover(const QString &name, const LeaderInfo &previous, const LeaderInfo &next,
                        qint64 revision);
    void commit(const Handover &handover);
    void pollStatus();
    void pollLeases();
    void setSynced(bool on);
    void setConnected(bool on, Error error = Error::NoError, const QString &message = {});
    void touch();
    LeaderInfo info(const KeyValue &kv) const;
    LeaderInfo leaderOf(const QString &name) const;
    Operation *guardedDelete(const LeaderInfo &candidate, const QString &what);

    ElectionDirectory *const q;
    ClientPrivate *const c;
    QString prefix;
    bool running = false;
    bool synced = false;
    bool connected = false;
    bool listedOnce = false;
    qint64 revision = 0;
    QString version;
    QDateTime lastUpdate;
    QMap<QString, State> elections;
    QHash<QByteArray, QString> owner;       // candidate or stray key → election
    QHash<QByteArray, QDateTime> firstSeen; // incarnation → when first seen
    QSet<QByteArray> evicted;               // incarnations removed through this directory

    int generation = 0;
    qint64 listRevision = 0;
    QList<KeyValue> listing;
    QPointer<GatewayReply> inflight;
    std::unique_ptr<Watch> watch;
    QTimer retryTimer;
    int backoffMs = 0;

    QTimer statusTimer;
    QPointer<GatewayReply> statusReply;

    QSet<qint64> tracked;
    int rate = 50;
    QHash<qint64, Lease> leases;
    QTimer pollTimer;
    QElapsedTimer pollClock;
    int pollsInFlight = 0;
    bool leasesDirty = false;
};

LeaderInfo ElectionDirectoryPrivate::info(const KeyValue &kv) const
{
    return LeaderInfo::fromKeyValue(kv.key, kv.value, kv.lease, kv.createRevision,
                                    firstSeen.value(incarnation(kv.key, kv.createRevision)));
}

LeaderInfo ElectionDirectoryPrivate::leaderOf(const QString &name) const
{
    const auto it = elections.constFind(name);
    if (it == elections.constEnd() || it->queue.isEmpty())
        return {};
    return info(it->queue.first());
}

void ElectionDirectoryPrivate::touch()
{
    lastUpdate = QDateTime::currentDateTimeUtc();
}

void ElectionDirectoryPrivate::list()
{
    if (!running)
        return;
    ++generation;
    watch.reset();
    listing.clear();
    listRevision = 0;
    fetchPage(rangeKey(), generation);
}

void ElectionDirectoryPrivate::fetchPage(const QByteArray &from, int gen)
{
    RangeOptions o;
    o.key = from;
    o.rangeEnd = rangeEnd();
    o.limit = PageSize;
    o.revision = listRevision; // every page at the first page's revision
    GatewayReply *reply = c->range(o);
    inflight = reply;
    connect(reply, &GatewayReply::finished, this, [this, reply, gen] {
        reply->deleteLater();
        if (gen != generation || !running)
            return;
        bool ok = reply->error() == Error::NoError;
        const RangeResult r = ok ? Codec::parseRange(reply->json(), &ok) : RangeResult();
        if (!ok) {
            const Error e = reply->error() == Error::NoError ? Error::ProtocolError : reply->error();
            const QString message = reply->error() == Error::NoError
                    ? reply->call() + QStringLiteral(": malformed key or value in the reply")
                    : reply->errorString();
            Q_EMIT q->errorOccurred(e, message);
            setSynced(false);
            if (e != Error::Compacted)
                setConnected(false);
            retryTimer.start(e == Error::Compacted ? 0 : nextBackoffMs(backoffMs, 200, 10000));
            return;
        }
        touch();
        setConnected(true);
        if (listRevision == 0)
            listRevision = r.header.revision;
        listing += r.kvs;
        if (r.more && !r.kvs.isEmpty())
            fetchPage(r.kvs.last().key + '\0', gen);
        else
            finishListing();
    });
}

void ElectionDirectoryPrivate::finishListing()
{
    backoffMs = 0;
    QMap<QString, LeaderInfo> before;
    for (auto it = elections.cbegin(); it != elections.cend(); ++it)
        before.insert(it.key(), leaderOf(it.key()));

    QMap<QString, State> next;
    for (auto it = elections.cbegin(); it != elections.cend(); ++it)
        next[it.key()].history = it->history; // once seen, an election stays listed
    QList<QPair<QString, KeyValue>> strayKeys;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const KeyValue &kv : std::as_const(listing)) {
        QString name;
        switch (classifyKey(kv, &name)) {
        case KeyKind::Candidate:
            next[name].queue.append(kv);
            if (!firstSeen.contains(incarnation(kv.key, kv.createRevision)))
                firstSeen.insert(incarnation(kv.key, kv.createRevision), now);
            break;
        case KeyKind::Stray:
            strayKeys.append({name, kv});
            break;
        case KeyKind::Other:
            break;
        }
    }
    listing.clear();
    owner.clear();
    for (const auto &[name, kv] : std::as_const(strayKeys)) {
        if (next.contains(name)) {
            next[name].strays.append(kv);
            owner.insert(kv.key, name);
        }
    }
    QStringList added;
    for (auto it = next.begin(); it != next.end(); ++it) {
        std::stable_sort(it->queue.begin(), it->queue.end(), byCreateRevision);
        for (const KeyValue &kv : std::as_const(it->queue))
            owner.insert(kv.key, it.key());
        if (!elections.contains(it.key()))
            added.append(it.key());
    }
    // Forget first-seen times of incarnations that are gone.
    QSet<QByteArray> live;
    for (const State &s : std::as_const(next))
        for (const KeyValue &kv : s.queue)
            live.insert(incarnation(kv.key, kv.createRevision));
    for (auto it = firstSeen.begin(); it != firstSeen.end();)
        it = live.contains(it.key()) ? std::next(it) : firstSeen.erase(it);

    elections = std::move(next);
    revision = qMax(revision, listRevision);
    for (const QString &name : std::as_const(added))
        Q_EMIT q->electionAdded(name);
    for (auto it = elections.cbegin(); it != elections.cend(); ++it)
        if (!added.contains(it.key()))
            Q_EMIT q->electionChanged(it.key());
    if (listedOnce)
        compareLeaders(before, listRevision);
    listedOnce = true;

    const QByteArray key = rangeKey();
    watch.reset(c->watchHub()->watch(key, rangeEnd(), listRevision + 1, false, nullptr));
    connect(watch.get(), &Watch::eventsReceived, this, &ElectionDirectoryPrivate::onEvents);
    connect(watch.get(), &Watch::compacted, this, [this] {
        qCInfo(lcWatch) << "election directory: watch compacted, listing again";
        setSynced(false);
        retryTimer.start(0);
    });
    connect(watch.get(), &Watch::failed, this, [this](Error e, const QString &message) {
        Q_EMIT q->errorOccurred(e, message);
        setSynced(false);
        retryTimer.start(1000);
    });
    setSynced(true);
    Q_EMIT q->statusChanged();
}

void ElectionDirectoryPrivate::removeKey(const QByteArray &key, QSet<QString> *touched)
{
    const auto it = owner.constFind(key);
    if (it == owner.constEnd())
        return;
    const QString name = *it;
    owner.erase(it);
    State &s = elections[name];
    auto sameKey = [&](const KeyValue &kv) { return kv.key == key; };
    s.queue.erase(std::remove_if(s.queue.begin(), s.queue.end(), sameKey), s.queue.end());
    s.strays.erase(std::remove_if(s.strays.begin(), s.strays.end(), sameKey), s.strays.end());
    touched->insert(name);
}

void ElectionDirectoryPrivate::onEvents(const QList<WatchEvent> &events)
{
    touch();
    QMap<QString, LeaderInfo> before;
    QSet<QString> touched;
    QStringList added;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    qint64 last = revision;
    for (const WatchEvent &e : events) {
        last = qMax(last, e.kv.modRevision);
        QString name;
        const QString was = owner.value(e.kv.key);
        if (!was.isEmpty() && !before.contains(was))
            before.insert(was, leaderOf(was));
        if (e.type == WatchEvent::Type::Delete) {
            removeKey(e.kv.key, &touched);
            continue;
        }
        const KeyKind kind = classifyKey(e.kv, &name);
        if (kind == KeyKind::Other || (kind == KeyKind::Stray && !elections.contains(name))) {
            removeKey(e.kv.key, &touched);
            continue;
        }
        if (!before.contains(name))
            before.insert(name, leaderOf(name));
        removeKey(e.kv.key, &touched);
        if (!elections.contains(name))
            added.append(name);
        State &s = elections[name];
        if (kind == KeyKind::Candidate) {
            s.queue.insert(std::upper_bound(s.queue.begin(), s.queue.end(), e.kv, byCreateRevision),
                           e.kv);
            const QByteArray inc = incarnation(e.kv.key, e.kv.createRevision);
            if (!firstSeen.contains(inc))
                firstSeen.insert(inc, now);
        } else {
            s.strays.append(e.kv);
        }
        owner.insert(e.kv.key, name);
        touched.insert(name);
    }
    revision = qMax(revision, last);
    for (const QString &name : std::as_const(added))
        Q_EMIT q->electionAdded(name);
    for (const QString &name : std::as_const(touched))
        if (!added.contains(name))
            Q_EMIT q->electionChanged(name);
    compareLeaders(before, last);
    Q_EMIT q->statusChanged();
}

void ElectionDirectoryPrivate::compareLeaders(const QMap<QString, LeaderInfo> &before,
                                              qint64 rev)
{
    for (auto it = before.cbegin(); it != before.cend(); ++it) {
        const LeaderInfo now = leaderOf(it.key());
        const LeaderInfo &was = it.value();
        if (now.key() == was.key() && now.fencingToken() == was.fencingToken())
            continue;
        recordHandover(it.key(), was, now, rev);
    }
}

void ElectionDirectoryPrivate::recordHandover(const QString &name, const LeaderInfo &previous,
                                              const LeaderInfo &next, qint64 rev)
{
    Handover h;
    h.election = name;
    h.previous = previous;
    h.next = next;
    h.at = QDateTime::currentDateTimeUtc();
    h.revision = rev;
    if (!previous.isValid()) {
        h.cause = Handover::Cause::Elected;
        commit(h);
        return;
    }
    if (evicted.remove(incarnation(previous.key(), previous.fencingToken()))) {
        h.cause = Handover::Cause::Evicted;
        commit(h);
        return;
    }
    // The key went. Did its lease outlive it (a resign) or end with it (expiry, revocation)?
    // Read the lease now; the TTL last seen tells expiry from revocation.
    const qint64 lease = previous.leaseId();
    const auto known = leases.constFind(lease);
    const bool wasAlive = known != leases.constEnd() && known->state == LeaseStatus::State::Alive;
    const qint64 leftMs = wasAlive ? known->remainingMs() : 0;
    GatewayReply *reply = c->leaseTimeToLive(lease);
    connect(reply, &GatewayReply::finished, this, [this, reply, h, wasAlive, leftMs]() mutable {
        reply->deleteLater();
        if (reply->error() == Error::NoError)
            h.cause = Handover::Cause::Resigned;
        else if (reply->error() == Error::LeaseLost && wasAlive)
            h.cause = leftMs <= 1500 ? Handover::Cause::LeaseExpired : Handover::Cause::LeaseRevoked;
        else
            h.cause = Handover::Cause::Unknown;
        commit(h);
    });
}

void ElectionDirectoryPrivate::commit(const Handover &handover)
{
    QList<Handover> &history = elections[handover.election].history;
    const auto at = std::upper_bound(history.begin(), history.end(), handover,
                                     [](const Handover &a, const Handover &b) {
                                         return a.revision < b.revision;
                                     });
    history.insert(at, handover);
    while (history.size() > HistoryLimit)
        history.removeFirst();
    qCInfo(lcElector).noquote() << "election" << handover.election << "leader"
                                << (handover.previous.isValid() ? handover.previous.id() : QStringLiteral("-"))
                                << "->" << (handover.next.isValid() ? handover.next.id() : QStringLiteral("-"))
                                << causeName(handover.cause);
    Q_EMIT q->handoverRecorded(handover);
}

void ElectionDirectoryPrivate::pollStatus()
{
    if (!running || statusReply)
        return;
    GatewayReply *reply = c->status();
    statusReply = reply;
    const int gen = generation;
    connect(reply, &GatewayReply::finished, this, [this, reply, gen] {
        reply->deleteLater();
        if (!running || gen != generation)
            return;
        if (reply->error() != Error::NoError) {
            setConnected(false, reply->error(), reply->errorString());
            Q_EMIT q->statusChanged();
            return;
        }
        touch();
        version = reply->json().value(QLatin1String("version")).toString();
        revision = qMax(revision, reply->header().revision);
        setConnected(true);
        Q_EMIT q->statusChanged();
    });
}

void ElectionDirectoryPrivate::pollLeases()
{
    if (leasesDirty) {
        leasesDirty = false;
        Q_EMIT q->leasesUpdated();
    }
    if (!running || tracked.isEmpty())
        return;
    const qint64 now = pollClock.elapsed();
    const qint64 intervalMs = qMax<qint64>(1000, qint64(tracked.size()) * 1000 / qMax(1, rate));
    int budget = qMax(1, rate * PollTickMs / 1000);
    QList<QPair<qint64, qint64>> due; // (last asked, lease)
    for (const qint64 lease : std::as_const(tracked)) {
        const Lease &l = leases[lease];
        if (l.inflight || (l.state == LeaseStatus::State::Gone && l.lastAsked >= 0))
            continue;
        if (l.lastAsked < 0 || now - l.lastAsked >= intervalMs)
            due.append({l.lastAsked, lease});
    }
    std::sort(due.begin(), due.end());
    for (const auto &[asked, lease] : std::as_const(due)) {
        // Leases never read go first and only wait for a free slot: the first view of the
        // screen should not trickle in at the sustained rate.
        if (pollsInFlight >= MaxPollsInFlight || (asked >= 0 && budget <= 0))
            break;
        if (asked >= 0)
            --budget;
        Lease &l = leases[lease];
        l.inflight = true;
        l.lastAsked = now;
        ++pollsInFlight;
        GatewayReply *reply = c->leaseTimeToLive(lease);
        const int gen = generation;
        const qint64 id = lease;
        connect(reply, &GatewayReply::finished, this, [this, reply, id, gen] {
            reply->deleteLater();
            --pollsInFlight;
            Lease &l = leases[id];
            l.inflight = false;
            if (gen != generation)
                return;
            if (reply->error() == Error::LeaseLost) {
                l.state = LeaseStatus::State::Gone;
                l.ttl = -1;
            } else if (reply->error() == Error::NoError) {
                const QJsonObject json = reply->json();
                l.state = LeaseStatus::State::Alive;
                l.ttl = Codec::decodeInt(json.value(QLatin1String("TTL")));
                l.granted = Codec::decodeInt(json.value(QLatin1String("grantedTTL")));
            } else {
                return; // unreachable: the status poll reports that; try again next round
            }
            touch();
            l.checkedAt = QDateTime::currentDateTimeUtc();
            l.sinceCheck.start();
            leasesDirty = true;
        });
    }
}

void ElectionDirectoryPrivate::setSynced(bool on)
{
    if (synced == on)
        return;
    synced = on;
    Q_EMIT q->syncedChanged(on);
}

void ElectionDirectoryPrivate::setConnected(bool on, Error error, const QString &message)
{
    if (connected == on)
        return;
    connected = on;
    if (!on && error != Error::NoError)
        Q_EMIT q->errorOccurred(error, message);
    Q_EMIT q->connectedChanged(on);
}

Operation *ElectionDirectoryPrivate::guardedDelete(const LeaderInfo &candidate, const QString &what)
{
    Operation *op = OperationPrivate::create(q);
    if (!candidate.isValid() || candidate.key().isEmpty()) {
        OperationPrivate::finish(op, Error::InvalidArgument, what + QStringLiteral(": no such candidate"));
        return op;
    }
    Compare same;
    same.key = candidate.key();
    same.target = Compare::Target::Create;
    same.result = Compare::Result::Equal;
    same.number = candidate.fencingToken();
    const QByteArray inc = incarnation(candidate.key(), candidate.fencingToken());
    evicted.insert(inc);
    GatewayReply *reply = c->txn({same}, {Codec::opDelete(Codec::deleteRequest(candidate.key()))}, {});
    const QPointer<Operation> guard(op);
    const QString id = candidate.id();
    connect(reply, &GatewayReply::finished, this, [this, reply, guard, inc, what, id] {
        reply->deleteLater();
        if (!guard)
            return;
        if (reply->error() != Error::NoError) {
            evicted.remove(inc);
            OperationPrivate::finish(guard, reply->error(), what + QStringLiteral(": ") + reply->errorString());
            return;
        }
        const TxnResult t = Codec::parseTxn(reply->json());
        if (!t.succeeded) {
            evicted.remove(inc);
            OperationPrivate::finish(guard, Error::Conflict,
                                     what + QStringLiteral(": %1 already left (its key is gone or belongs to a newer incarnation); nothing was deleted").arg(id));
            return;
        }
        OperationPrivate::finish(guard, Error::NoError, {}, t.header.revision);
    });
    return op;
}

QString causeName(Handover::Cause cause)
{
    switch (cause) {
    case Handover::Cause::Elected: return QStringLiteral("elected");
    case Handover::Cause::Resigned: return QStringLiteral("resigned");
    case Handover::Cause::LeaseExpired: return QStringLiteral("lease expired");
    case Handover::Cause::LeaseRevoked: return QStringLiteral("lease revoked");
    case Handover::Cause::Evicted: return QStringLiteral("evicted by this monitor");
    case Handover::Cause::Unknown: break;
    }
    return QStringLiteral("unknown");
}

ElectionDirectory::ElectionDirectory(Client *client, QObject *parent)
    : QObject(parent)
    , d_ptr(std::make_unique<ElectionDirectoryPrivate>(this, client))
{
    qRegisterMetaType<Conclave::Handover>();
}

ElectionDirectory::~ElectionDirectory() = default;

QString ElectionDirectory::prefix() const { return d_func()->prefix; }
bool ElectionDirectory::isRunning() const { return d_func()->running; }
bool ElectionDirectory::isSynced() const { return d_func()->synced; }
bool ElectionDirectory::isConnected() const { return d_func()->connected; }
qint64 ElectionDirectory::revision() const { return d_func()->revision; }
QString ElectionDirectory::serverVersion() const { return d_func()->version; }
QDateTime ElectionDirectory::lastUpdate() const { return d_func()->lastUpdate; }
QStringList ElectionDirectory::elections() const { return d_func()->elections.keys(); }
bool ElectionDirectory::contains(const QString &election) const { return d_func()->elections.contains(election); }
LeaderInfo ElectionDirectory::leader(const QString &election) const { return d_func()->leaderOf(election); }
QSet<qint64> ElectionDirectory::trackedLeases() const { return d_func()->tracked; }
int ElectionDirectory::leasePollRate() const { return d_func()->rate; }

void ElectionDirectory::setPrefix(const QString &prefix)
{
    Q_D(ElectionDirectory);
    if (d->running) {
        qCWarning(lcElector) << "ignoring setPrefix while the directory runs";
        return;
    }
    d->prefix = prefix;
}

QList<LeaderInfo> ElectionDirectory::candidates(const QString &election) const
{
    Q_D(const ElectionDirectory);
    QList<LeaderInfo> result;
    const auto it = d->elections.constFind(election);
    if (it == d->elections.constEnd())
        return result;
    result.reserve(it->queue.size());
    for (const KeyValue &kv : it->queue)
        result.append(d->info(kv));
    return result;
}

QList<LeaderInfo> ElectionDirectory::strays(const QString &election) const
{
    Q_D(const ElectionDirectory);
    QList<LeaderInfo> result;
    const auto it = d->elections.constFind(election);
    if (it != d->elections.constEnd())
        for (const KeyValue &kv : it->strays)
            result.append(LeaderInfo::fromKeyValue(kv.key, kv.value, kv.lease, kv.createRevision, {}));
    return result;
}

QList<Handover> ElectionDirectory::history(const QString &election) const
{
    return d_func()->elections.value(election).history;
}

void ElectionDirectory::setTrackedLeases(const QSet<qint64> &leases)
{
    Q_D(ElectionDirectory);
    QSet<qint64> wanted = leases;
    wanted.remove(0);
    d->tracked = wanted;
    // Forget readings of leases nobody tracks any more, except recent ones (handover causes).
    for (auto it = d->leases.begin(); it != d->leases.end();) {
        const bool old = !it->sinceCheck.isValid() || it->sinceCheck.elapsed() > 600000;
        it = (!wanted.contains(it.key()) && old && !it->inflight) ? d->leases.erase(it) : std::next(it);
    }
    if (d->running && !wanted.isEmpty() && !d->pollTimer.isActive())
        d->pollTimer.start();
    QMetaObject::invokeMethod(d, &ElectionDirectoryPrivate::pollLeases, Qt::QueuedConnection);
}

void ElectionDirectory::setLeasePollRate(int perSecond)
{
    d_func()->rate = qBound(1, perSecond, 10000);
}

LeaseStatus ElectionDirectory::leaseStatus(qint64 leaseId) const
{
    Q_D(const ElectionDirectory);
    LeaseStatus s;
    const auto it = d->leases.constFind(leaseId);
    if (it == d->leases.constEnd() || !it->sinceCheck.isValid())
        return s;
    s.state = it->state;
    s.grantedTtl = it->granted;
    s.checkedAt = it->checkedAt;
    if (it->state == LeaseStatus::State::Alive)
        s.remaining = std::chrono::milliseconds(it->remainingMs());
    return s;
}

Operation *ElectionDirectory::resignLeader(const QString &election)
{
    Q_D(ElectionDirectory);
    const LeaderInfo leader = d->leaderOf(election);
    if (!leader.isValid()) {
        Operation *op = OperationPrivate::create(this);
        OperationPrivate::finish(op, Error::InvalidArgument,
                                 QStringLiteral("resign: election \"%1\" has no leader").arg(election));
        return op;
    }
    return d->guardedDelete(leader, QStringLiteral("resign %1 in %2").arg(leader.id(), election));
}

Operation *ElectionDirectory::evict(const LeaderInfo &candidate)
{
    return d_func()->guardedDelete(candidate, QStringLiteral("evict %1").arg(candidate.id()));
}

Operation *ElectionDirectory::revokeLease(qint64 leaseId)
{
    Q_D(ElectionDirectory);
    Operation *op = OperationPrivate::create(this);
    GatewayReply *reply = d->c->leaseRevoke(leaseId);
    const QPointer<Operation> guard(op);
    connect(reply, &GatewayReply::finished, op, [reply, guard] {
        reply->deleteLater();
        if (guard)
            OperationPrivate::finish(guard, reply->error(), reply->errorString(),
                                     reply->error() == Error::NoError ? reply->header().revision : 0);
    });
    return op;
}

Operation *ElectionDirectory::leaseKeys(qint64 leaseId)
{
    Q_D(ElectionDirectory);
    Operation *op = OperationPrivate::create(this);
    GatewayReply *reply = d->c->leaseTimeToLive(leaseId, true);
    const QPointer<Operation> guard(op);
    connect(reply, &GatewayReply::finished, op, [reply, guard] {
        reply->deleteLater();
        if (!guard)
            return;
        QByteArrayList keys;
        bool ok = true;
        const QJsonArray array = reply->json().value(QLatin1String("keys")).toArray();
        for (const QJsonValue &v : array) {
            bool one = true;
            keys.append(Codec::decodeBytes(v, &one));
            ok = ok && one;
        }
        if (reply->error() == Error::NoError && !ok)
            OperationPrivate::finish(guard, Error::ProtocolError,
                                     QStringLiteral("lease timetolive: malformed key in the reply"));
        else
            OperationPrivate::finish(guard, reply->error(), reply->errorString(), 0, keys);
    });
    return op;
}

Operation *ElectionDirectory::checkWriteAccess()
{
    Q_D(ElectionDirectory);
    Operation *op = OperationPrivate::create(this);
    // A delete in a branch that can never run (create_revision is never negative), of a probe
    // key under the prefix that nothing uses: harmless even if it ran. etcd checks the
    // permissions of both branches before it evaluates the compare.
    const QByteArray probe = d->prefix.toUtf8() + ".conclave-write-probe";
    Compare never;
    never.key = probe;
    never.target = Compare::Target::Create;
    never.result = Compare::Result::Less;
    never.number = 0;
    GatewayReply *reply = d->c->txn({never}, {Codec::opDelete(Codec::deleteRequest(probe))}, {});
    const QPointer<Operation> guard(op);
    connect(reply, &GatewayReply::finished, op, [reply, guard] {
        reply->deleteLater();
        if (!guard)
            return;
        if (reply->error() == Error::NoError && Codec::parseTxn(reply->json()).succeeded) {
            qCCritical(lcElector) << "write-access probe: a never-true compare held";
            OperationPrivate::finish(guard, Error::ProtocolError,
                                     QStringLiteral("write-access probe: etcd reported an impossible compare as true"));
            return;
        }
        OperationPrivate::finish(guard, reply->error(), reply->errorString());
    });
    return op;
}

void ElectionDirectory::start()
{
    Q_D(ElectionDirectory);
    if (d->running)
        return;
    d->running = true;
    d->listedOnce = false;
    Q_EMIT runningChanged(true);
    d->list();
    d->pollStatus();
    d->statusTimer.start();
    if (!d->tracked.isEmpty())
        d->pollTimer.start();
}

void ElectionDirectory::stop()
{
    Q_D(ElectionDirectory);
    if (!d->running)
        return;
    d->running = false;
    ++d->generation;
    d->watch.reset();
    d->retryTimer.stop();
    d->statusTimer.stop();
    d->pollTimer.stop();
    d->setSynced(false);
    Q_EMIT runningChanged(false);
}

} // namespace Conclave
