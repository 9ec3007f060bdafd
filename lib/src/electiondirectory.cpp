#include <conclave/client.h>
#include <conclave/electiondirectory.h>

#include "client_p.h"
#include "electionadmin.h"
#include "electionindex.h"
#include "gatewayreply.h"
#include "handovertracker.h"
#include "leasepoller.h"
#include "logging.h"
#include "transfer.h"
#include "prefixfeed.h"

#include <QtCore/QMetaEnum>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

namespace Conclave {

namespace {
constexpr int StatusIntervalMs = 2000;
} // namespace

// The directory is glue: a PrefixFeed lists and watches the prefix, an ElectionIndex reads
// elections out of it, a HandoverTracker explains leader changes, a LeasePoller keeps TTLs
// and ElectionAdmin carries out operator actions. What is left here is the status poll.
class ElectionDirectoryPrivate : public QObject
{
public:
    ElectionDirectoryPrivate(ElectionDirectory *q, Client *client)
        : q(q)
        , c(ClientPrivate::get(client))
        , feed(c)
        , leases(c)
        , tracker(c, &leases)
        , admin(c, &tracker, q, [this](const QString &election) {
            return ElectionAdmin::LeaderSeen{index.leader(election), revision};
        })
    {
        statusTimer.setInterval(StatusIntervalMs);
        connect(&statusTimer, &QTimer::timeout, this, &ElectionDirectoryPrivate::pollStatus);
        connect(&feed, &PrefixFeed::pageReceived, this, [this] {
            touch();
            setConnected(true);
        });
        connect(&feed, &PrefixFeed::listed, this, &ElectionDirectoryPrivate::onListed);
        connect(&feed, &PrefixFeed::eventsReceived, this, &ElectionDirectoryPrivate::onEvents);
        connect(&feed, &PrefixFeed::listingFailed, this, [this](Error e, const QString &message) {
            setError(e, message);
            if (e != Error::Compacted)
                setConnected(false);
        });
        connect(&feed, &PrefixFeed::watchFailed, this, &ElectionDirectoryPrivate::setError);
        connect(&feed, &PrefixFeed::syncedChanged, this, [this](bool synced) {
            Q_EMIT this->q->syncedChanged(synced);
            if (synced)
                Q_EMIT this->q->statusChanged();
        });
        connect(&leases, &LeasePoller::answered, this, &ElectionDirectoryPrivate::touch);
        connect(&leases, &LeasePoller::updated, q, &ElectionDirectory::leasesUpdated);
        connect(&tracker, &HandoverTracker::handoverRecorded, q, &ElectionDirectory::handoverRecorded);
    }

    void onListed(const QList<KeyValue> &kvs, qint64 revision);
    void onEvents(const QList<WatchEvent> &events);
    void noteTransferRequests(const QList<WatchEvent> &events, WatchEvent::Type type);
    void publish(const ElectionIndex::Changes &changes);
    void pollStatus();
    void readVersion();
    void setConnected(bool on, Error error = Error::NoError, const QString &message = {});
    void setError(Error error, const QString &message);
    void touch() { lastUpdate = QDateTime::currentDateTimeUtc(); }

    ElectionDirectory *const q;
    ClientPrivate *const c;
    PrefixFeed feed;
    ElectionIndex index;
    LeasePoller leases;
    HandoverTracker tracker;
    ElectionAdmin admin;
    QString prefix;
    bool connected = false;
    qint64 revision = 0;
    QString version;
    bool versionCurrent = false; // read since the last loss of contact (a member may be upgraded)
    QDateTime lastUpdate;
    Error error = Error::NoError;
    QString errorString;
    int generation = 0;
    QTimer statusTimer;
    QPointer<GatewayReply> statusReply;
    QPointer<GatewayReply> versionReply;
};

void ElectionDirectoryPrivate::onListed(const QList<KeyValue> &kvs, qint64 listRevision)
{
    setError(Error::NoError, {});
    publish(index.reset(kvs, listRevision, QDateTime::currentDateTimeUtc()));
}

void ElectionDirectoryPrivate::onEvents(const QList<WatchEvent> &events)
{
    touch();
    // A request seen before the change it causes; its removal after (they may share a batch).
    noteTransferRequests(events, WatchEvent::Type::Put);
    publish(index.apply(events, QDateTime::currentDateTimeUtc()));
    noteTransferRequests(events, WatchEvent::Type::Delete);
    Q_EMIT q->statusChanged();
}

// Transfer requests under the prefix (`<election>.conclave-transfer`, written by operators and by
// candidates of higher priority): the handover that follows one is recorded as Transferred.
void ElectionDirectoryPrivate::noteTransferRequests(const QList<WatchEvent> &events, WatchEvent::Type type)
{
    const QByteArray suffix(Transfer::RequestSuffix);
    for (const WatchEvent &e : events) {
        if (e.type != type || !e.kv.key.endsWith(suffix))
            continue;
        const QString election = QString::fromUtf8(e.kv.key.chopped(suffix.size()));
        const std::optional<Transfer::Request> request = type == WatchEvent::Type::Put ? Transfer::decode(e.kv.value)
                                                                                      : std::nullopt;
        if (request && request->refused.isEmpty())
            tracker.noteRequest(election, request->leaderKey, request->leaderRevision);
        else
            tracker.forgetRequest(election);
    }
}

void ElectionDirectoryPrivate::publish(const ElectionIndex::Changes &changes)
{
    revision = qMax(revision, index.revision());
    for (const QString &name : changes.added)
        Q_EMIT q->electionAdded(name);
    for (const QString &name : changes.changed) {
        admin.electionChanged(name);
        Q_EMIT q->electionChanged(name);
    }
    for (const ElectionIndex::LeaderChange &change : changes.leaders)
        tracker.record(change);
}

// Is etcd there, with a quorum? One linearizable read of one key under the prefix (keys only,
// limit 1): needs nothing the listing does not need, where maintenance/status is root-only on
// etcd 3.5.28-3.5.31, 3.6.9-3.6.11 and 3.4.42+. The version comes from GET /version, which
// needs no permission at all, once per connection.
void ElectionDirectoryPrivate::pollStatus()
{
    if (!feed.isRunning() || statusReply)
        return;
    RangeOptions probe = RangeOptions::ofKey(prefix.isEmpty() ? QByteArray(1, '\0') : prefix.toUtf8());
    probe.keysOnly = true;
    probe.limit = 1;
    statusReply = c->range(probe);
    const int gen = generation;
    onFinished(statusReply, this, [this, gen](GatewayReply *reply) {
        if (!feed.isRunning() || gen != generation)
            return;
        if (reply->error() != Error::NoError) {
            setConnected(false, reply->error(), reply->errorString());
            Q_EMIT q->statusChanged();
            return;
        }
        touch();
        revision = qMax(revision, reply->header().revision);
        setConnected(true);
        Q_EMIT q->statusChanged();
        if (!versionCurrent)
            readVersion();
    });
}

void ElectionDirectoryPrivate::readVersion()
{
    if (versionReply)
        return;
    versionReply = c->version();
    const int gen = generation;
    onFinished(versionReply, this, [this, gen](GatewayReply *reply) {
        if (gen != generation || reply->error() != Error::NoError)
            return; // asked again at the next poll
        version = reply->json().value(QLatin1String("etcdserver")).toString();
        versionCurrent = true;
        Q_EMIT q->statusChanged();
    });
}

void ElectionDirectoryPrivate::setConnected(bool on, Error e, const QString &message)
{
    if (connected == on)
        return;
    connected = on;
    if (!on)
        versionCurrent = false;
    if (!on && e != Error::NoError)
        setError(e, message);
    Q_EMIT q->connectedChanged(on);
}

void ElectionDirectoryPrivate::setError(Error e, const QString &message)
{
    const bool changed = e != error || message != errorString;
    error = e;
    errorString = message;
    if (e != Error::NoError) {
        qCWarning(lcDirectory).noquote() << message;
        Q_EMIT q->errorOccurred(e, message);
    }
    if (changed)
        Q_EMIT q->errorChanged();
}

ElectionDirectory::ElectionDirectory(Client *client, QObject *parent)
    : QObject(parent)
    , d_ptr(std::make_unique<ElectionDirectoryPrivate>(this, client))
{
    qRegisterMetaType<Conclave::Handover>();
}

ElectionDirectory::~ElectionDirectory() = default;

QString ElectionDirectory::prefix() const { return d_func()->prefix; }
bool ElectionDirectory::isRunning() const { return d_func()->feed.isRunning(); }
bool ElectionDirectory::isSynced() const { return d_func()->feed.isSynced(); }
bool ElectionDirectory::isConnected() const { return d_func()->connected; }
qint64 ElectionDirectory::revision() const { return d_func()->revision; }
QString ElectionDirectory::serverVersion() const { return d_func()->version; }
QDateTime ElectionDirectory::lastUpdate() const { return d_func()->lastUpdate; }
Error ElectionDirectory::error() const { return d_func()->error; }
QString ElectionDirectory::errorString() const { return d_func()->errorString; }
QStringList ElectionDirectory::elections() const { return d_func()->index.elections(); }
bool ElectionDirectory::contains(const QString &election) const { return d_func()->index.contains(election); }
QList<LeaderInfo> ElectionDirectory::candidates(const QString &election) const { return d_func()->index.candidates(election); }
LeaderInfo ElectionDirectory::leader(const QString &election) const { return d_func()->index.leader(election); }
QList<LeaderInfo> ElectionDirectory::strays(const QString &election) const { return d_func()->index.strays(election); }
QList<Handover> ElectionDirectory::history(const QString &election) const { return d_func()->tracker.history(election); }
void ElectionDirectory::setTrackedLeases(const QSet<qint64> &leases) { d_func()->leases.setTracked(leases); }
QSet<qint64> ElectionDirectory::trackedLeases() const { return d_func()->leases.tracked(); }
void ElectionDirectory::setLeasePollRate(int perSecond) { d_func()->leases.setRate(perSecond); }
int ElectionDirectory::leasePollRate() const { return d_func()->leases.rate(); }
LeaseStatus ElectionDirectory::leaseStatus(qint64 leaseId) const { return d_func()->leases.status(leaseId); }
Operation *ElectionDirectory::revokeLease(qint64 leaseId) { return d_func()->admin.revokeLease(leaseId); }
Operation *ElectionDirectory::leaseKeys(qint64 leaseId) { return d_func()->admin.leaseKeys(leaseId); }
Operation *ElectionDirectory::checkWriteAccess() { return d_func()->admin.checkWriteAccess(d_func()->prefix); }

void ElectionDirectory::setPrefix(const QString &prefix)
{
    Q_D(ElectionDirectory);
    if (d->feed.isRunning()) {
        qCWarning(lcDirectory) << "ignoring setPrefix while the directory runs";
        return;
    }
    d->prefix = prefix;
}

Operation *ElectionDirectory::resignLeader(const QString &election)
{
    Q_D(ElectionDirectory);
    const LeaderInfo leader = d->index.leader(election);
    if (!leader.isValid())
        return d->admin.failed(Error::InvalidArgument,
                               QStringLiteral("resign: election \"%1\" has no leader").arg(election));
    return d->admin.guardedDelete(leader, QStringLiteral("resign %1 in %2").arg(leader.id(), election));
}

Operation *ElectionDirectory::transferLeadership(const QString &election, const QString &candidateId)
{
    Q_D(ElectionDirectory);
    if (!d->index.contains(election))
        return d->admin.failed(Error::InvalidArgument,
                               QStringLiteral("transfer: no election \"%1\" is known").arg(election));
    return d->admin.transfer(election, d->index.candidates(election), candidateId);
}

QString ElectionDirectory::transferProblem(const QString &election, const QString &candidateId) const
{
    Q_D(const ElectionDirectory);
    if (!d->index.contains(election))
        return QStringLiteral("no election \"%1\" is known").arg(election);
    return ElectionAdmin::transferProblem(d->index.candidates(election), candidateId);
}

Operation *ElectionDirectory::evict(const LeaderInfo &candidate)
{
    return d_func()->admin.guardedDelete(candidate, QStringLiteral("evict %1").arg(candidate.id()));
}

void ElectionDirectory::start()
{
    Q_D(ElectionDirectory);
    if (d->feed.isRunning())
        return;
    d->index.forgetListing();
    const QByteArray key = d->prefix.toUtf8();
    d->feed.setRange(key.isEmpty() ? QByteArray(1, '\0') : key, Codec::prefixEnd(key));
    d->feed.start();
    Q_EMIT runningChanged(true);
    d->pollStatus();
    d->statusTimer.start();
    d->leases.start();
}

void ElectionDirectory::stop()
{
    Q_D(ElectionDirectory);
    if (!d->feed.isRunning())
        return;
    ++d->generation;
    d->feed.stop();
    d->statusTimer.stop();
    d->leases.stop();
    Q_EMIT runningChanged(false);
}

} // namespace Conclave
