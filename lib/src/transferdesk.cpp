// A leader acting on requests to hand leadership to a chosen candidate, and a follower of higher
// priority asking for it.
#include "transferdesk.h"

#include "client_p.h"
#include "election.h"
#include "elector_p.h"
#include "gatewayreply.h"
#include "logging.h"
#include "ownkey.h"
#include "watchhub.h"

#include <QtCore/QTimer>

namespace Conclave {

TransferDesk::TransferDesk(ElectorPrivate &d)
    : d(d)
{
}

TransferDesk::~TransferDesk() = default;

void TransferDesk::watchRequestsFrom(qint64 fromRevision)
{
    if (!m_denied && !(m_requests && m_requests->isActive()))
        watchRequests(fromRevision);
}

void TransferDesk::clear()
{
    m_requests.reset();
    m_pending = KeyValue();
}

// Next in line or first in the queue: requests to hand leadership over are written to one key
// beside the election. Only the leader acts on them, and only on one addressed to its own
// incarnation; one seen before we lead waits until we do.
void TransferDesk::watchRequests(qint64 fromRevision)
{
    m_pending = KeyValue();
    m_requests.reset(d.c->watchHub()->watch(Transfer::requestKey(d.name), {}, fromRevision, false, nullptr));
    connect(m_requests.get(), &Watch::eventsReceived, this, &TransferDesk::onRequestEvents);
    // A watch can end at any time (compacted when it is resumed after a reconnect from a
    // revision compacted since, cancelled): read the key, then watch again from there.
    connect(m_requests.get(), &Watch::compacted, this, &TransferDesk::rereadRequests);
    connect(m_requests.get(), &Watch::failed, this, [this](Error e, const QString &message) {
        if (e == Error::PermissionDenied)
            denied(message);
        else if (isPermanent(e))
            d.fail(e, message);
        else
            rereadRequests();
    });
}

// A role granted only `<election>/`: we lead as before, without transfers.
void TransferDesk::denied(const QString &message)
{
    m_denied = true;
    qCWarning(lcElector).noquote() << "transfer requests to" << d.name << "cannot be read (" << message
                                   << "); this leader will not act on transfers or priorities. Grant the role"
                                   << Transfer::requestKey(d.name) << "too.";
}

void TransferDesk::rereadRequests()
{
    if (!m_requests) // not first any more
        return;
    const int gen = d.stamp();
    d.whenCurrent(d.c->range(RangeOptions::ofKey(Transfer::requestKey(d.name))), this, [this, gen](GatewayReply *reply) {
        if (!m_requests || reply->error() == Error::Cancelled)
            return;
        if (reply->error() == Error::PermissionDenied) {
            denied(reply->errorString());
            return;
        }
        bool ok = false;
        const RangeResult r = reply->error() == Error::NoError ? Codec::parseRange(reply->json(), &ok) : RangeResult();
        if (!ok) { // etcd unreachable or a bad answer: again a little later
            QTimer::singleShot(500, this, [this, gen] {
                if (d.isCurrent(gen))
                    rereadRequests();
            });
            return;
        }
        watchRequests(r.header.revision + 1);
        if (!r.kvs.isEmpty()) {
            m_pending = r.kvs.first();
            if (d.isLeader())
                actOnRequest();
        }
    });
}

void TransferDesk::onRequestEvents(const QList<WatchEvent> &events)
{
    const WatchEvent &last = events.last();
    qCDebug(lcElector) << "transfer request event in" << d.name << "at revision" << last.kv.modRevision;
    if (last.type != WatchEvent::Type::Put)
        return;
    m_pending = last.kv;
    if (d.isLeader())
        actOnRequest();
}

void TransferDesk::actOnRequest()
{
    const KeyValue kv = std::exchange(m_pending, KeyValue());
    if (kv.key.isEmpty() || !d.isLeader() || m_handingOver)
        return;
    const std::optional<Transfer::Request> request = Transfer::decode(kv.value);
    if (!request || !request->refused.isEmpty() || request->leaderKey != d.own->key
        || request->leaderRevision != d.own->revision)
        return; // not for this incarnation of ours, or already answered
    // The whole queue with values, once per request: who is between us and the target, and
    // whether each may be moved.
    d.whenCurrent(d.c->range(Election::queueRange(d.name)), this, [this, r = *request, kv](GatewayReply *reply) {
        onQueueRead(reply, r, kv);
    });
}

void TransferDesk::onQueueRead(GatewayReply *reply, const Transfer::Request &request, const KeyValue &requestKv)
{
    if (reply->error() != Error::NoError || !d.isLeader() || m_handingOver) {
        if (reply->error() != Error::NoError && reply->error() != Error::Cancelled)
            qCWarning(lcElector).noquote() << "a transfer request in" << d.name
                                           << "was not acted on: reading the queue failed:" << reply->errorString();
        return;
    }
    bool ok = false;
    const RangeResult r = Codec::parseRange(reply->json(), &ok);
    if (!ok)
        return;
    const QList<KeyValue> queue = Election::candidates(Election::prefix(d.name), r.kvs);
    const Transfer::Plan plan = request.reason == Transfer::Request::Reason::Priority
            ? Transfer::toHighestPriority(queue)
            : Transfer::toTarget(queue, request.targetKey, request.targetRevision);
    if (queue.isEmpty() || queue.first().key != d.own->key || queue.first().createRevision != d.own->revision)
        return; // not first any more: someone else answers
    if (!plan.ok()) {
        refuse(request, requestKv, plan.problem);
        return;
    }
    handOver(plan, request, requestKv);
}

// Stop acting as leader, then one txn: every key of the plan still that incarnation, our key
// and those between us and the target deleted. The target is first at that revision; those
// moved back re-join at the back as after any delete of their key. Never two leaders: we are
// Follower before the txn is sent and do not lead again while it is in flight.
void TransferDesk::handOver(const Transfer::Plan &plan, const Transfer::Request &request, const KeyValue &requestKv)
{
    if (!d.isLeader())
        return;
    qCInfo(lcElector).noquote() << "handing" << d.name << "over to"
                                << LeaderInfo::fromKeyValue(plan.target.key, plan.target.value, 0, 0, {}).id()
                                << "(" << plan.movedBack.size() << "moved back)";
    d.stepDown(ElectorState::Releasing, "handing over", [this, plan, request, requestKv] { send(plan, request, requestKv); });
}

void TransferDesk::send(const Transfer::Plan &plan, const Transfer::Request &request, const KeyValue &requestKv)
{
    d.transition(ElectorState::HandingOver, "the handover txn is sent");
    GatewayReply *reply = d.c->txn(Transfer::compares(plan), Transfer::deletes(plan), {});
    m_handingOver = reply;
    onFinished(reply, this, [this, gen = d.stamp(), request, requestKv](GatewayReply *reply) {
        if (m_handingOver == reply)
            m_handingOver = nullptr;
        if (d.isCurrent(gen) && reply->error() != Error::Cancelled)
            onSent(reply, request, requestKv);
    });
}

void TransferDesk::onSent(GatewayReply *reply, const Transfer::Request &request, const KeyValue &requestKv)
{
    if (reply->error() != Error::NoError) {
        // Applied or not, we cannot tell (a held txn can land seconds later): give this
        // incarnation up as resign() does, so that we never lead on a key it may delete.
        d.report(reply->error(), reply->errorString());
        d.transition(ElectorState::Requeuing, "the handover's outcome is unknown");
        d.own->deleteIncarnation(true);
        return;
    }
    if (!Codec::parseTxn(reply->json()).succeeded) {
        // The queue changed under the request (the target left, say): nothing happened, we
        // may lead on; the one who asked hears why.
        refuse(request, requestKv, QStringLiteral("the queue changed before the handover (the target or a candidate before it left)"));
        d.transition(ElectorState::Requeuing, "the handover did not apply");
        d.readQueue();
        return;
    }
    // Done. The request is answered by the handover itself; remove it unless rewritten.
    onFinished(d.c->txn({Compare::unchangedSince(requestKv.key, requestKv.modRevision)},
                        {Codec::opDelete(Codec::deleteRequest(requestKv.key))}, {}),
               this, [](GatewayReply *) {});
    d.own->forget();
    d.transition(ElectorState::Requeuing, "handed over");
    d.join(); // at the back
}

// A request we will not carry out: the reason, written into the request for the one who
// asked (only if nobody rewrote it meanwhile); it stays on the asker's lease, if any.
void TransferDesk::refuse(Transfer::Request request, const KeyValue &requestKv, const QString &why)
{
    qCInfo(lcElector).noquote() << "refusing a transfer request in" << d.name << "-" << why;
    request.refused = why;
    onFinished(d.c->txn({Compare::unchangedSince(requestKv.key, requestKv.modRevision)},
                        {Codec::opPut(Codec::putRequest(requestKv.key, Transfer::encode(request), requestKv.lease))}, {}),
               this, [](GatewayReply *) {});
}

// A follower of higher priority than the Conclave leader asks it, once per leader and per
// pair of priorities, to hand over; the leader picks the best candidate itself.
void TransferDesk::requestPriorityHandover()
{
    const LeaderInfo &leader = d.leader;
    if (!d.isCampaigning() || !d.eligible || !d.own->inQueue() || d.role != Elector::Role::Follower
        || !leader.isValid() || !Transfer::takesTransfers(leader.value()))
        return;
    const int leaderPriority = Transfer::priorityOf(leader.value());
    if (d.priority <= leaderPriority)
        return;
    const QByteArray asked = QByteArray::number(leader.fencingToken()) + ':' + QByteArray::number(leaderPriority)
            + ':' + QByteArray::number(d.priority);
    if (asked == m_priorityAsked)
        return;
    m_priorityAsked = asked;
    Transfer::Request r;
    r.leaderKey = leader.key();
    r.leaderRevision = leader.fencingToken();
    r.targetKey = d.own->key;
    r.targetRevision = d.own->revision;
    r.reason = Transfer::Request::Reason::Priority;
    r.by = d.candidateId;
    qCInfo(lcElector).noquote() << "asking" << leader.id() << "to hand" << d.name << "over: priority" << d.priority
                                << "against its" << leaderPriority;
    // On our lease: it goes with us.
    onFinished(d.c->put(Transfer::requestKey(d.name), Transfer::encode(r), d.own->leaseId), this,
               [this](GatewayReply *reply) {
                   if (reply->error() != Error::NoError && reply->error() != Error::Cancelled) {
                       m_priorityAsked.clear(); // asked again on the next change we see
                       d.report(reply->error(), reply->errorString());
                   }
               });
}

} // namespace Conclave
