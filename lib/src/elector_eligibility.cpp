// ElectorPrivate, part three: an ineligible candidate out of the queue, following its leader
// ("Eligibility" in docs/election-protocol.md).
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

// ---- eligibility --------------------------------------------------------------------------------

void ElectorPrivate::setEligible(bool on)
{
    if (eligible == on)
        return;
    eligible = on;
    qCInfo(lcElector).noquote() << name << (on ? "eligible: joining at the back"
                                              : "ineligible: leaving the queue, following its leader");
    Q_EMIT q_ptr->eligibleChanged(on);
    if (!campaigning)
        return;
    retryTimer.stop();
    backoffMs = 0;
    if (!on) {
        const bool wasLeader = role == Elector::Role::Leader;
        setRole(Elector::Role::NotAMember); // stop acting as leader before our key goes
        releaseWhenAllowed([this] {
            if (forgetOwnKey() != 0 || inflight)
                abandonedKeyLeft = true;
            observeLeader();
        }, wasLeader);
        return;
    }
    if (releasing()) { // eligible again before the key went: keep it, and lead on if first
        pendingRelease = nullptr;
        readQueue();
        return;
    }
    ++generation;
    dropWatches();
    if (abandonedKeyLeft)
        removeOwnKey(); // then joins
    else
        createKey();
}

// Out of the queue, any incarnation of our key goes: unguarded, since only this lease ever
// writes its name. Not while a create is in flight (it could land after the delete); its
// answer calls this again.
void ElectorPrivate::removeOwnKey()
{
    if (!abandonedKeyLeft || deleting || inflight)
        return;
    GatewayReply *reply = c->txn({}, {Codec::opDelete(Codec::deleteRequest(myKey))}, {});
    deleting = reply;
    onFinished(reply, this, [this](GatewayReply *reply) {
        if (deleting == reply)
            deleting = nullptr;
        if (reply->error() == Error::Cancelled)
            return;
        if (reply->error() != Error::NoError) {
            report(reply->error(), reply->errorString());
            if (campaigning && !retryTimer.isActive()) // both steps retry removeOwnKey()
                retryLater(eligible ? &ElectorPrivate::createKey : &ElectorPrivate::observeLeader);
            return;
        }
        abandonedKeyLeft = false;
        createKey(); // eligible again meanwhile: join now
    });
}

void ElectorPrivate::observeLeader()
{
    if (!campaigning || eligible)
        return;
    removeOwnKey();
    const int gen = generation;
    onFinished(c->range(Election::headRange(name)), this, [this, gen](GatewayReply *reply) {
        if (gen == generation)
            onObservedHead(reply, false);
    });
}

void ElectorPrivate::onObservedHead(GatewayReply *reply, bool wholeQueue)
{
    RangeResult r;
    if (!rangeAnswer(reply, &ElectorPrivate::observeLeader, &r))
        return;
    const QByteArray prefix = Election::prefix(name);
    if (!wholeQueue && !r.kvs.isEmpty() && !Election::isCandidateKey(prefix, r.kvs.first().key)) {
        const int gen = generation; // a sub-election's key is the oldest: the candidates among all
        onFinished(c->range(Election::queueRange(name)), this, [this, gen](GatewayReply *reply) {
            if (gen == generation)
                onObservedHead(reply, true);
        });
        return;
    }
    const KeyValue head = Election::candidates(prefix, r.kvs).value(0);
    setLeader(head.key.isEmpty() ? LeaderInfo()
                                 : LeaderInfo::fromKeyValue(head.key, head.value, head.lease, head.createRevision,
                                                            QDateTime::currentDateTimeUtc()));
    const qint64 from = r.header.revision + 1;
    headWatch.reset(head.key.isEmpty() ? c->watchHub()->watch(prefix, Codec::prefixEnd(prefix), from, false, nullptr)
                                       : c->watchHub()->watchAnchored(head.key, from, nullptr));
    connect(headWatch.get(), &Watch::eventsReceived, this, [this](const QList<WatchEvent> &events) {
        const WatchEvent &last = events.last();
        if (leader.isValid() && last.kv.key == leader.key() && last.type == WatchEvent::Type::Put
            && last.kv.createRevision == leader.fencingToken()) { // proclaimed or announced
            setLeader(LeaderInfo::fromKeyValue(last.kv.key, last.kv.value, last.kv.lease,
                                               last.kv.createRevision, leader.since()));
            return;
        }
        observeLeader();
    });
    againWhenEnded(headWatch.get(), &ElectorPrivate::observeLeader);
}

} // namespace Conclave
