#include <conclave/client.h>
#include <conclave/electionobserver.h>

#include "client_p.h"
#include "election.h"
#include "electionindex.h"
#include "gatewayreply.h"
#include "logging.h"
#include "prefixfeed.h"

#include <QtCore/QHash>

namespace Conclave {

// A PrefixFeed over `<name>/` and an ElectionIndex of that one election; the observer adds
// the granted TTL of each candidate's lease (read once per lease).
class ElectionObserverPrivate : public QObject
{
public:
    ElectionObserverPrivate(ElectionObserver *q, Client *client)
        : q(q)
        , c(ClientPrivate::get(client))
        , feed(c)
    {
        connect(&feed, &PrefixFeed::listed, this, [this](const QList<KeyValue> &kvs, qint64 revision) {
            setError(Error::NoError, {});
            publish(index.reset(kvs, revision, QDateTime::currentDateTimeUtc()));
        });
        connect(&feed, &PrefixFeed::eventsReceived, this, [this](const QList<WatchEvent> &events) {
            publish(index.apply(events, QDateTime::currentDateTimeUtc()));
        });
        connect(&feed, &PrefixFeed::listingFailed, this, &ElectionObserverPrivate::setError);
        connect(&feed, &PrefixFeed::watchFailed, this, &ElectionObserverPrivate::setError);
        connect(&feed, &PrefixFeed::syncedChanged, q, &ElectionObserver::syncedChanged);
    }

    void publish(const ElectionIndex::Changes &changes);
    void fetchGrantedTtls();
    void setError(Error error, const QString &message);

    ElectionObserver *const q;
    ClientPrivate *const c;
    PrefixFeed feed;
    ElectionIndex index;
    QString name;
    QList<LeaderInfo> members;        // oldest first
    QHash<qint64, qint64> grantedTtl; // lease → granted TTL (-1: being read)
    LeaderInfo leader;
    Error error = Error::NoError;
    QString errorString;
};

void ElectionObserverPrivate::publish(const ElectionIndex::Changes &changes)
{
    if (!changes.changed.contains(name) && !changes.added.contains(name))
        return;
    members = index.candidates(name);
    QSet<qint64> leases;
    for (const LeaderInfo &m : std::as_const(members))
        leases.insert(m.leaseId());
    for (auto it = grantedTtl.begin(); it != grantedTtl.end();)
        it = leases.contains(it.key()) || it.value() < 0 ? std::next(it) : grantedTtl.erase(it);
    fetchGrantedTtls();
    Q_EMIT q->candidatesChanged();
    const LeaderInfo now = members.isEmpty() ? LeaderInfo() : members.first();
    if (now != leader) {
        leader = now;
        Q_EMIT q->leaderChanged(leader);
    }
}

// etcd has no lease events; a lease's granted TTL never changes, so read it once per lease.
void ElectionObserverPrivate::fetchGrantedTtls()
{
    for (const LeaderInfo &m : std::as_const(members)) {
        const qint64 lease = m.leaseId();
        if (lease == 0 || grantedTtl.contains(lease))
            continue;
        grantedTtl.insert(lease, -1);
        onFinished(c->leaseTimeToLive(lease), this, [this, lease](GatewayReply *reply) {
            if (reply->error() != Error::NoError) {
                grantedTtl.remove(lease); // gone or unreachable: tried again on the next change
                return;
            }
            grantedTtl.insert(lease, Codec::decodeInt(reply->json().value(QLatin1String("grantedTTL"))));
            Q_EMIT q->candidatesChanged();
        });
    }
}

void ElectionObserverPrivate::setError(Error e, const QString &message)
{
    const bool changed = e != error || message != errorString;
    error = e;
    errorString = message;
    if (e != Error::NoError) {
        qCWarning(lcObserver).noquote() << name << message;
        Q_EMIT q->errorOccurred(e, message);
    }
    if (changed)
        Q_EMIT q->errorChanged();
}

ElectionObserver::ElectionObserver(Client *client, QObject *parent)
    : QObject(parent)
    , d_ptr(std::make_unique<ElectionObserverPrivate>(this, client))
{
}

ElectionObserver::~ElectionObserver() = default;

QString ElectionObserver::electionName() const { return d_func()->name; }
bool ElectionObserver::isRunning() const { return d_func()->feed.isRunning(); }
bool ElectionObserver::isSynced() const { return d_func()->feed.isSynced(); }
LeaderInfo ElectionObserver::leader() const { return d_func()->leader; }
QList<LeaderInfo> ElectionObserver::candidates() const { return d_func()->members; }
qint64 ElectionObserver::revision() const { return d_func()->index.revision(); }
Error ElectionObserver::error() const { return d_func()->error; }
QString ElectionObserver::errorString() const { return d_func()->errorString; }

std::chrono::seconds ElectionObserver::grantedTtl(qint64 leaseId) const
{
    return std::chrono::seconds(qMax<qint64>(0, d_func()->grantedTtl.value(leaseId)));
}

void ElectionObserver::setElectionName(const QString &name)
{
    Q_D(ElectionObserver);
    if (d->feed.isRunning()) {
        qCWarning(lcObserver) << "ignoring setElectionName while the observer runs";
        return;
    }
    if (d->name == name)
        return;
    d->name = name;
    Q_EMIT electionNameChanged(name);
}

void ElectionObserver::start()
{
    Q_D(ElectionObserver);
    if (d->feed.isRunning())
        return;
    const QString problem = Election::nameProblem(d->name);
    if (!problem.isEmpty()) {
        QMetaObject::invokeMethod(this, [d, problem] {
            d->setError(Error::InvalidArgument, problem);
        }, Qt::QueuedConnection);
        return;
    }
    d->index = ElectionIndex(d->name);
    const QByteArray prefix = Election::prefix(d->name);
    d->feed.setRange(prefix, Codec::prefixEnd(prefix));
    d->feed.start();
    Q_EMIT runningChanged(true);
}

void ElectionObserver::stop()
{
    Q_D(ElectionObserver);
    if (!d->feed.isRunning())
        return;
    d->feed.stop();
    Q_EMIT runningChanged(false);
}

} // namespace Conclave
