// ElectorPrivate, part two: a leader acting on requests to hand leadership to a chosen candidate,
// and a follower of higher priority asking for it ("Handing over to a chosen candidate" in
// docs/election-protocol.md; the request format and the plans are transfer.cpp's).
#include "elector_p.h"

#include "client_p.h"
#include "election.h"
#include "gatewayreply.h"
#include "leasesession.h"
#include "logging.h"
#include "transfer.h"
#include "watchhub.h"

#include <QtCore/QTimer>

namespace Conclave {

// ---- transfers ----------------------------------------------------------------------------------

// First in the queue: requests to hand leadership over are written to one key beside the
// election. Only the leader acts on them; one seen before we lead waits until we do.
void ElectorPrivate::watchRequests(qint64 fromRevision)
{
    pendingRequest = KeyValue();
    requestWatch.reset(c->watchHub()->watch(Transfer::requestKey(name), {}, fromRevision, false, nullptr));
    connect(requestWatch.get(), &Watch::eventsReceived, this, &ElectorPrivate::onRequestEvents);
    // A watch can end at any time (compacted when it is resumed after a reconnect from a
    // revision compacted since, cancelled): read the key, then watch again from there.
    connect(requestWatch.get(), &Watch::compacted, this, &ElectorPrivate::rereadRequests);
    connect(requestWatch.get(), &Watch::failed, this, [this](Error e, const QString &message) {
        if (e == Error::PermissionDenied) {
            // A role granted only `<election>/`: we lead as before, without transfers.
            requestsDenied = true;
            qCWarning(lcElector).noquote() << "transfer requests to" << name << "cannot be read ("
                                           << message << "); this leader will not act on transfers or "
                                              "priorities. Grant the role" << Transfer::requestKey(name) << "too.";
        } else if (isPermanent(e)) {
            fail(e, message);
        } else {
            rereadRequests();
        }
    });
}

void ElectorPrivate::againWhenEnded(Watch *watch, void (ElectorPrivate::*again)())
{
    connect(watch, &Watch::compacted, this, again);
    connect(watch, &Watch::failed, this, [this, again](Error e, const QString &message) {
        if (isPermanent(e))
            fail(e, message);
        else
            (this->*again)();
    });
}

void ElectorPrivate::rereadRequests()
{
    if (!requestWatch) // not first any more
        return;
    const int gen = generation;
    onFinished(c->range(RangeOptions::ofKey(Transfer::requestKey(name))), this, [this, gen](GatewayReply *reply) {
        if (gen != generation || !requestWatch || reply->error() == Error::Cancelled)
            return;
        if (reply->error() == Error::PermissionDenied) {
            requestsDenied = true;
            qCWarning(lcElector).noquote() << "transfer requests to" << name << "cannot be read:" << reply->errorString();
            return;
        }
        bool ok = false;
        const RangeResult r = reply->error() == Error::NoError ? Codec::parseRange(reply->json(), &ok) : RangeResult();
        if (!ok) { // etcd unreachable or a bad answer: again a little later
            QTimer::singleShot(500, this, [this, gen] {
                if (gen == generation)
                    rereadRequests();
            });
            return;
        }
        watchRequests(r.header.revision + 1);
        if (!r.kvs.isEmpty()) {
            pendingRequest = r.kvs.first();
            if (role == Elector::Role::Leader)
                actOnRequest();
        }
    });
}

void ElectorPrivate::onRequestEvents(const QList<WatchEvent> &events)
{
    const WatchEvent &last = events.last();
    qCDebug(lcElector) << "transfer request event in" << name << "at revision" << last.kv.modRevision;
    if (last.type != WatchEvent::Type::Put)
        return;
    pendingRequest = last.kv;
    if (role == Elector::Role::Leader)
        actOnRequest();
}

void ElectorPrivate::actOnRequest()
{
    const KeyValue kv = std::exchange(pendingRequest, KeyValue());
    if (kv.key.isEmpty() || role != Elector::Role::Leader || handingOver)
        return;
    const std::optional<Transfer::Request> request = Transfer::decode(kv.value);
    if (!request || !request->refused.isEmpty() || request->leaderKey != myKey
        || request->leaderRevision != myRevision)
        return; // not for this incarnation of ours, or already answered
    // The whole queue with values, once per request: who is between us and the target, and
    // whether each may be moved.
    const int gen = generation;
    const Transfer::Request r = *request;
    onFinished(c->range(Election::queueRange(name)), this, [this, gen, r, kv](GatewayReply *reply) {
        if (gen == generation)
            onTransferQueueRead(reply, r, kv);
    });
}

void ElectorPrivate::onTransferQueueRead(GatewayReply *reply, const Transfer::Request &request,
                                         const KeyValue &requestKv)
{
    if (reply->error() != Error::NoError || role != Elector::Role::Leader || handingOver) {
        if (reply->error() != Error::NoError && reply->error() != Error::Cancelled)
            qCWarning(lcElector).noquote() << "a transfer request in" << name << "was not acted on: reading the queue failed:"
                                           << reply->errorString();
        return;
    }
    bool ok = false;
    const RangeResult r = Codec::parseRange(reply->json(), &ok);
    if (!ok)
        return;
    const QList<KeyValue> queue = Election::candidates(Election::prefix(name), r.kvs);
    const Transfer::Plan plan = request.reason == Transfer::Request::Reason::Priority
            ? Transfer::toHighestPriority(queue)
            : Transfer::toTarget(queue, request.targetKey, request.targetRevision);
    if (queue.isEmpty() || queue.first().key != myKey || queue.first().createRevision != myRevision)
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
void ElectorPrivate::handOver(const Transfer::Plan &plan, const Transfer::Request &request, const KeyValue &requestKv)
{
    if (role != Elector::Role::Leader)
        return;
    qCInfo(lcElector).noquote() << "handing" << name << "over to" << LeaderInfo::fromKeyValue(plan.target.key, plan.target.value, 0, 0, {}).id()
                                << "(" << plan.movedBack.size() << "moved back)";
    setRole(Elector::Role::Follower);
    releaseWhenAllowed([this, plan, request, requestKv] { sendHandover(plan, request, requestKv); }, true);
}

void ElectorPrivate::sendHandover(const Transfer::Plan &plan, const Transfer::Request &request, const KeyValue &requestKv)
{
    GatewayReply *reply = c->txn(Transfer::compares(plan), Transfer::deletes(plan), {});
    handingOver = reply;
    const int gen = generation;
    onFinished(reply, this, [this, gen, request, requestKv](GatewayReply *reply) {
        if (handingOver == reply)
            handingOver = nullptr;
        if (gen != generation || reply->error() == Error::Cancelled)
            return;
        if (reply->error() != Error::NoError) {
            // Applied or not, we cannot tell (a held txn can land seconds later): give this
            // incarnation up as resign() does, so that we never lead on a key it may delete.
            report(reply->error(), reply->errorString());
            deleteOwnKey(true);
            return;
        }
        if (!Codec::parseTxn(reply->json()).succeeded) {
            // The queue changed under the request (the target left, say): nothing happened, we
            // may lead on; the one who asked hears why.
            refuse(request, requestKv, QStringLiteral("the queue changed before the handover (the target or a candidate before it left)"));
            readQueue();
            return;
        }
        // Done. The request is answered by the handover itself; remove it unless rewritten.
        Compare same;
        same.key = requestKv.key;
        same.target = Compare::Target::Mod;
        same.number = requestKv.modRevision;
        onFinished(c->txn({same}, {Codec::opDelete(Codec::deleteRequest(requestKv.key))}, {}), this,
                   [](GatewayReply *) {});
        forgetOwnKey();
        createKey(); // at the back
    });
}

// A request we will not carry out: the reason, written into the request for the one who
// asked (only if nobody rewrote it meanwhile); it stays on the asker's lease, if any.
void ElectorPrivate::refuse(Transfer::Request request, const KeyValue &requestKv, const QString &why)
{
    qCInfo(lcElector).noquote() << "refusing a transfer request in" << name << "-" << why;
    request.refused = why;
    Compare same;
    same.key = requestKv.key;
    same.target = Compare::Target::Mod;
    same.number = requestKv.modRevision;
    onFinished(c->txn({same}, {Codec::opPut(Codec::putRequest(requestKv.key, Transfer::encode(request), requestKv.lease))}, {}),
               this, [](GatewayReply *) {});
}

// A follower of higher priority than the Conclave leader asks it, once per leader and per
// pair of priorities, to hand over; the leader picks the best candidate itself.
void ElectorPrivate::requestPriorityHandover()
{
    if (!campaigning || !eligible || myRevision == 0 || role != Elector::Role::Follower || !leader.isValid()
        || !session || !Transfer::takesTransfers(leader.value()))
        return;
    const int leaderPriority = Transfer::priorityOf(leader.value());
    if (priority <= leaderPriority)
        return;
    const QByteArray asked = QByteArray::number(leader.fencingToken()) + ':' + QByteArray::number(leaderPriority)
            + ':' + QByteArray::number(priority);
    if (asked == priorityAsked)
        return;
    priorityAsked = asked;
    Transfer::Request r;
    r.leaderKey = leader.key();
    r.leaderRevision = leader.fencingToken();
    r.targetKey = myKey;
    r.targetRevision = myRevision;
    r.reason = Transfer::Request::Reason::Priority;
    r.by = candidateId;
    qCInfo(lcElector).noquote() << "asking" << leader.id() << "to hand" << name << "over: priority" << priority
                                << "against its" << leaderPriority;
    // On our lease: it goes with us.
    onFinished(c->put(Transfer::requestKey(name), Transfer::encode(r), myLease), this,
               [this](GatewayReply *reply) {
                   if (reply->error() != Error::NoError && reply->error() != Error::Cancelled) {
                       priorityAsked.clear(); // asked again on the next change we see
                       report(reply->error(), reply->errorString());
                   }
               });
}

} // namespace Conclave
