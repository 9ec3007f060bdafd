#include <conclave/client.h>
#include <conclave/electionobserver.h>

#include "client_p.h"
#include "election.h"
#include "gatewayreply.h"
#include "backoff.h"
#include "logging.h"
#include "watchhub.h"

#include <QtCore/QHash>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <algorithm>

namespace Conclave {

class ElectionObserverPrivate : public QObject
{
public:
    ElectionObserverPrivate(ElectionObserver *q, Client *client)
        : q(q)
        , c(ClientPrivate::get(client))
    {
        retryTimer.setSingleShot(true);
        connect(&retryTimer, &QTimer::timeout, this, &ElectionObserverPrivate::list);
    }

    void list();
    void onListed(GatewayReply *reply);
    void onEvents(const QList<WatchEvent> &events);
    void publish();
    void setSynced(bool on);
    void fetchGrantedTtls();
    LeaderInfo info(const KeyValue &kv) const;

    ElectionObserver *const q;
    ClientPrivate *const c;
    QString name;
    bool running = false;
    bool synced = false;
    qint64 revision = 0;
    QList<KeyValue> queue; // oldest first
    QHash<QByteArray, QDateTime> firstSeen; // key + create revision → when first seen
    QHash<qint64, qint64> grantedTtl;       // lease → granted TTL (-1: being read)
    LeaderInfo leader;
    std::unique_ptr<Watch> watch;
    QPointer<GatewayReply> inflight;
    QTimer retryTimer;
    int backoffMs = 0;
    int generation = 0;
};

static QByteArray incarnation(const KeyValue &kv)
{
    return kv.key + '@' + QByteArray::number(kv.createRevision);
}

LeaderInfo ElectionObserverPrivate::info(const KeyValue &kv) const
{
    return LeaderInfo::fromKeyValue(kv.key, kv.value, kv.lease, kv.createRevision,
                                    firstSeen.value(incarnation(kv)));
}

void ElectionObserverPrivate::list()
{
    if (!running)
        return;
    const int gen = generation;
    watch.reset();
    GatewayReply *reply = c->range(Election::queueRange(name));
    inflight = reply;
    connect(reply, &GatewayReply::finished, this, [this, reply, gen] {
        reply->deleteLater();
        if (gen == generation)
            onListed(reply);
    });
}

void ElectionObserverPrivate::onListed(GatewayReply *reply)
{
    bool ok = reply->error() == Error::NoError;
    const RangeResult r = ok ? Codec::parseRange(reply->json(), &ok) : RangeResult();
    if (!ok) {
        const Error e = reply->error() == Error::NoError ? Error::ProtocolError : reply->error();
        const QString message = reply->error() == Error::NoError
                ? reply->call() + QStringLiteral(": malformed key or value in the reply")
                : reply->errorString();
        Q_EMIT q->errorOccurred(e, message);
        setSynced(false);
        retryTimer.start(nextBackoffMs(backoffMs, 200, 10000));
        return;
    }
    backoffMs = 0;
    queue = Election::candidates(Election::prefix(name), r.kvs);
    revision = r.header.revision;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const KeyValue &kv : std::as_const(queue))
        if (!firstSeen.contains(incarnation(kv)))
            firstSeen.insert(incarnation(kv), now);
    const QByteArray prefix = Election::prefix(name);
    watch.reset(c->watchHub()->watch(prefix, Codec::prefixEnd(prefix), revision + 1, false, nullptr));
    connect(watch.get(), &Watch::eventsReceived, this, &ElectionObserverPrivate::onEvents);
    connect(watch.get(), &Watch::compacted, this, &ElectionObserverPrivate::list);
    connect(watch.get(), &Watch::failed, this, [this](Error e, const QString &message) {
        Q_EMIT q->errorOccurred(e, message);
        setSynced(false);
        retryTimer.start(1000);
    });
    setSynced(true);
    publish();
}

void ElectionObserverPrivate::onEvents(const QList<WatchEvent> &events)
{
    const QByteArray prefix = Election::prefix(name);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const WatchEvent &e : events) {
        revision = qMax(revision, e.kv.modRevision);
        if (!Election::isCandidateKey(prefix, e.kv.key))
            continue; // a sub-election's key, or not a candidate
        queue.erase(std::remove_if(queue.begin(), queue.end(),
                                   [&](const KeyValue &kv) { return kv.key == e.kv.key; }),
                    queue.end());
        if (e.type == WatchEvent::Type::Put) {
            const auto at = std::upper_bound(queue.begin(), queue.end(), e.kv,
                                             [](const KeyValue &a, const KeyValue &b) {
                                                 return a.createRevision < b.createRevision;
                                             });
            queue.insert(at, e.kv);
            if (!firstSeen.contains(incarnation(e.kv)))
                firstSeen.insert(incarnation(e.kv), now);
        }
    }
    publish();
}

void ElectionObserverPrivate::publish()
{
    // Forget first-seen times of keys that are gone.
    QSet<QByteArray> live;
    for (const KeyValue &kv : std::as_const(queue))
        live.insert(incarnation(kv));
    QSet<qint64> leases;
    for (const KeyValue &kv : std::as_const(queue))
        leases.insert(kv.lease);
    for (auto it = firstSeen.begin(); it != firstSeen.end();)
        it = live.contains(it.key()) ? std::next(it) : firstSeen.erase(it);
    for (auto it = grantedTtl.begin(); it != grantedTtl.end();)
        it = leases.contains(it.key()) || it.value() < 0 ? std::next(it) : grantedTtl.erase(it);
    fetchGrantedTtls();
    Q_EMIT q->candidatesChanged();
    const LeaderInfo now = queue.isEmpty() ? LeaderInfo() : info(queue.first());
    if (now != leader) {
        leader = now;
        Q_EMIT q->leaderChanged(leader);
    }
}

// etcd has no lease events; a lease's granted TTL never changes, so read it once per lease.
void ElectionObserverPrivate::fetchGrantedTtls()
{
    for (const KeyValue &kv : std::as_const(queue)) {
        if (kv.lease == 0 || grantedTtl.contains(kv.lease))
            continue;
        grantedTtl.insert(kv.lease, -1);
        const qint64 lease = kv.lease;
        GatewayReply *reply = c->leaseTimeToLive(lease);
        connect(reply, &GatewayReply::finished, this, [this, reply, lease] {
            reply->deleteLater();
            if (reply->error() != Error::NoError) {
                grantedTtl.remove(lease); // gone or unreachable: tried again on the next change
                return;
            }
            grantedTtl.insert(lease, Codec::decodeInt(reply->json().value(QLatin1String("grantedTTL"))));
            Q_EMIT q->candidatesChanged();
        });
    }
}

void ElectionObserverPrivate::setSynced(bool on)
{
    if (synced == on)
        return;
    synced = on;
    Q_EMIT q->syncedChanged(on);
}

ElectionObserver::ElectionObserver(Client *client, QObject *parent)
    : QObject(parent)
    , d_ptr(std::make_unique<ElectionObserverPrivate>(this, client))
{
}

ElectionObserver::~ElectionObserver() = default;

QString ElectionObserver::electionName() const { return d_func()->name; }
bool ElectionObserver::isRunning() const { return d_func()->running; }
bool ElectionObserver::isSynced() const { return d_func()->synced; }
LeaderInfo ElectionObserver::leader() const { return d_func()->leader; }
qint64 ElectionObserver::revision() const { return d_func()->revision; }

std::chrono::seconds ElectionObserver::grantedTtl(qint64 leaseId) const
{
    return std::chrono::seconds(qMax<qint64>(0, d_func()->grantedTtl.value(leaseId)));
}

QList<LeaderInfo> ElectionObserver::candidates() const
{
    Q_D(const ElectionObserver);
    QList<LeaderInfo> result;
    result.reserve(d->queue.size());
    for (const KeyValue &kv : d->queue)
        result.append(d->info(kv));
    return result;
}

void ElectionObserver::setElectionName(const QString &name)
{
    Q_D(ElectionObserver);
    if (d->running) {
        qCWarning(lcElector) << "ignoring setElectionName while the observer runs";
        return;
    }
    d->name = name;
}

void ElectionObserver::start()
{
    Q_D(ElectionObserver);
    if (d->running)
        return;
    const QString problem = Election::nameProblem(d->name);
    if (!problem.isEmpty()) {
        QMetaObject::invokeMethod(this, [this, problem] {
            Q_EMIT errorOccurred(Error::InvalidArgument, problem);
        }, Qt::QueuedConnection);
        return;
    }
    d->running = true;
    Q_EMIT runningChanged(true);
    d->list();
}

void ElectionObserver::stop()
{
    Q_D(ElectionObserver);
    if (!d->running)
        return;
    d->running = false;
    ++d->generation;
    d->watch.reset();
    d->retryTimer.stop();
    d->setSynced(false);
    Q_EMIT runningChanged(false);
}

} // namespace Conclave
