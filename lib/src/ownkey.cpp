// The Elector's key: its incarnation, the guarded writes to it and the watch on it.
#include "ownkey.h"

#include "client_p.h"
#include "election.h"
#include "elector_p.h"
#include "eligibility.h"
#include "gatewayreply.h"
#include "logging.h"
#include "readiness.h"
#include "transfer.h"
#include "watchhub.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

namespace Conclave {

OwnKey::OwnKey(ElectorPrivate &d)
    : d(d)
{
}

OwnKey::~OwnKey() = default;

// Our value: the candidate's id, address and attributes, and what Conclave's Electors tell each
// other through it (we announce once we lead, act on transfer requests, our priority).
QByteArray OwnKey::value() const
{
    QJsonObject o = QJsonDocument::fromJson(LeaderInfo::encodeValue(d.candidateId, d.host, d.port, d.attributes)).object();
    o.insert(QLatin1String(Election::AnnounceField), true); // we put our key once we lead
    o.insert(QLatin1String(Transfer::TakesTransfersField), true); // and act on transfer requests
    if (d.priority != 0)
        o.insert(QLatin1String(Election::PriorityField), d.priority);
    if (d.readiness->isUnready())
        o.insert(QLatin1String(Election::ReadyField), false); // absent: ready
    if (!d.readiness->statusText().isEmpty())
        o.insert(QLatin1String(Election::StatusField), d.readiness->statusText());
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

LeaderInfo OwnKey::info() const
{
    return LeaderInfo::fromKeyValue(key, value(), leaseId, revision, QDateTime::currentDateTimeUtc());
}

void OwnKey::renameFor(qint64 lease)
{
    key = Election::candidateKey(d.name, lease);
    revision = 0;
}

void OwnKey::create()
{
    GatewayReply *reply = d.c->txn({Compare::incarnation(key, 0)},
                                   {Codec::opPut(Codec::putRequest(key, value(), leaseId))},
                                   {Codec::opRange(Codec::rangeRequest(RangeOptions::ofKey(key)))});
    m_creating = reply;
    onFinished(reply, this, [this, gen = d.stamp()](GatewayReply *reply) {
        if (m_creating == reply)
            m_creating = nullptr;
        if (d.isCurrent(gen)) {
            onCreated(reply);
            return;
        }
        // Started over meanwhile. Made ineligible: whatever this created goes. Or the lease was
        // lost and a new one granted while this create (on the old lease) was in flight: join()
        // waited for it ("a create in flight calls this again"), so it is called here, or the
        // Elector stays in Joining with no key for good (chaos --shards 1000, seed 2808: 502 of
        // 1,000 elections, their creates refused in a batch as "requested lease not found" and
        // sent again one by one while the new lease was granted). join() checks the rest.
        removeAny();
        d.join();
    });
}

void OwnKey::onCreated(GatewayReply *reply)
{
    if (d.handleFailure(reply, [this] { d.join(); }))
        return;
    const TxnResult t = Codec::parseTxn(reply->json());
    if (!t.succeeded) {
        // Our key exists already: an earlier attempt whose answer we lost did apply.
        const QJsonObject range = t.responses.at(0).toObject().value(QLatin1String("response_range")).toObject();
        const QList<KeyValue> kvs = Codec::parseRange(range).kvs;
        if (kvs.isEmpty()) {
            d.retryLater([this] { d.join(); });
            return;
        }
        if (kvs.first().lease != leaseId) {
            d.fail(Error::GatewayError, QStringLiteral("key %1 is held by another lease").arg(QString::fromUtf8(key)));
            return;
        }
        if (kvs.first().createRevision == abandonedRevision) {
            // An incarnation we gave up (resigned) whose delete did not get through: a delete
            // that timed out may still be applied, so never lead on it again. Delete it, then join.
            qCInfo(lcElector).noquote() << "our key in" << d.name << "is still the incarnation we resigned ("
                                        << abandonedRevision << "); deleting it before joining again";
            revision = abandonedRevision;
            deleteIncarnation(true);
            return;
        }
        revision = kvs.first().createRevision;
    } else {
        revision = t.header.revision;
    }
    d.onKeyCreated(revision, t.header.revision);
}

GatewayReply *OwnKey::put()
{
    return d.c->txn({Compare::incarnation(key, revision)},
                    {Codec::opPut(Codec::putRequest(key, value(), leaseId))}, {});
}

// Our value again on our key (attributes, priority, readiness, status, the announcement), if we
// are in the queue; otherwise it is used when the key is next created. One put at a time: two
// in flight on two connections can be applied in either order, and the older value would win.
// A change while one is in flight puts the latest value once it has answered.
void OwnKey::putValue(ValueWrite why)
{
    if (!d.isCampaigning() || !inQueue())
        return;
    if (m_valuePut) {
        m_valueStale = true;
        return;
    }
    m_valuePut = put();
    d.whenCurrent(m_valuePut, this, [this, why](GatewayReply *reply) {
        m_valuePut = nullptr;
        if (reply->error() == Error::NoError && d.isLeader())
            d.setLeader(info());
        else if (reply->error() != Error::NoError && why == ValueWrite::Announce)
            qCInfo(lcElector).noquote() << "announcing our leadership in" << d.name << "failed:"
                                        << reply->errorString() << "(followers learn it on their next read)";
        else if (reply->error() != Error::NoError && reply->error() != Error::Cancelled)
            d.report(reply->error(), reply->errorString());
        if (std::exchange(m_valueStale, false))
            putValue(why);
    });
}

void OwnKey::startOver()
{
    m_valuePut = nullptr; // guarded by the incarnation it was for; a new one may go at once
    m_valueStale = false;
    m_watch.reset();
    confirmWhenLive = false;
}

qint64 OwnKey::forget()
{
    const qint64 was = revision;
    d.startOver();
    revision = 0;
    if (was != 0)
        abandonedRevision = was; // never adopted again (onCreated)
    return was;
}

void OwnKey::deleteIncarnation(bool thenJoin)
{
    const qint64 was = forget();
    if (was == 0)
        return;
    GatewayReply *reply = d.c->txn({Compare::incarnation(key, was)}, {Codec::opDelete(Codec::deleteRequest(key))}, {});
    m_deleting = reply;
    // The reply completes even if this Elector is destroyed meanwhile (it is the Client's).
    // Until it has, join() waits: the key's name is the same for every incarnation on one
    // lease, and the create txn would find this incarnation still there.
    onFinished(reply, this, [this, gen = d.stamp(), thenJoin](GatewayReply *reply) {
        if (m_deleting == reply)
            m_deleting = nullptr;
        if (reply->error() != Error::NoError) {
            if (thenJoin && d.isCurrent(gen))
                d.report(reply->error(), reply->errorString());
            d.retryLater([this] { d.join(); }); // finds the key still there: deletes it again
            return;
        }
        d.join(); // resigned: back of the queue; left: not campaigning, nothing to do
    });
}

// Not while a create is in flight (it could land after the delete); its answer calls this again.
void OwnKey::removeAny()
{
    if (!abandonedKeyLeft || m_deleting || m_creating)
        return;
    GatewayReply *reply = d.c->txn({}, {Codec::opDelete(Codec::deleteRequest(key))}, {});
    m_deleting = reply;
    onFinished(reply, this, [this](GatewayReply *reply) {
        if (m_deleting == reply)
            m_deleting = nullptr;
        if (reply->error() == Error::Cancelled)
            return;
        if (reply->error() != Error::NoError) {
            d.report(reply->error(), reply->errorString());
            if (d.isCampaigning() && !d.retryTimer.isActive()) // both steps retry removeAny()
                d.retryLater([this] { d.eligible ? d.join() : d.eligibility->observe(); });
            return;
        }
        abandonedKeyLeft = false;
        d.join(); // eligible again meanwhile: join now
    });
}

void OwnKey::watchFrom(qint64 fromRevision)
{
    m_watch.reset(d.c->watchHub()->watchAnchored(key, fromRevision, nullptr));
    connect(m_watch.get(), &Watch::eventsReceived, this, &OwnKey::onEvents);
    connect(m_watch.get(), &Watch::liveChanged, &d, &ElectorPrivate::onOwnWatchLive);
    connect(m_watch.get(), &Watch::compacted, &d, [d = &d](qint64 compactRevision) {
        d->onOwnWatchEnded(Error::NoError, QStringLiteral("compacted at %1").arg(compactRevision));
    });
    connect(m_watch.get(), &Watch::failed, &d, &ElectorPrivate::onOwnWatchEnded);
}

bool OwnKey::isWatched() const { return m_watch && m_watch->isLive(); }
bool OwnKey::isWatchActive() const { return m_watch && m_watch->isActive(); }
void OwnKey::dropWatch() { m_watch.reset(); }

void OwnKey::onEvents(const QList<WatchEvent> &events)
{
    for (const WatchEvent &e : events) {
        if (e.type == WatchEvent::Type::Delete || e.kv.createRevision != revision) {
            d.onOwnKeyGone();
            return;
        }
    }
}

} // namespace Conclave
