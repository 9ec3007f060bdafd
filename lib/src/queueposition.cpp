// Where the Elector stands in the queue: the reads, and the Position they answer.
#include "queueposition.h"

#include "client_p.h"
#include "election.h"
#include "elector_p.h"
#include "gatewayreply.h"
#include "leaderview.h"
#include "ownkey.h"

#include <algorithm>

namespace Conclave {

QueuePosition::QueuePosition(ElectorPrivate &d)
    : d(d)
{
}

// Where we stand, in O(1) whatever the queue's length: one read-only txn with our own key
// (keys only), the key created just before ours (keys only) and the head (with its value), all
// at one revision. Only a sub-election's key in one of those places needs the whole queue.
//
// After a watch event at revision \a atLeast the read is serializable: the member answers from
// what it has applied, without waiting for writes in flight (the leaver's lease revoke, the
// resigner's new key). Any snapshot at or after the event's revision is as good as a
// linearizable read for the claim (our key first at revision R, our own-key watch covering
// everything after R); a member that has not applied the event yet is asked again
// linearizably.
void QueuePosition::read(qint64 atLeast)
{
    if (!d.isCampaigning() || !d.own->inQueue())
        return;
    if (d.own->revision <= 1) { // nothing can be older; keeps predecessorRange()'s bound meaningful
        readWholeQueue();
        return;
    }
    RangeOptions own = RangeOptions::ofKey(d.own->key);
    own.keysOnly = true;
    QList<RangeOptions> reads{own, Election::predecessorRange(d.name, d.own->revision),
                              Election::headAndSecondRange(d.name)};
    QJsonArray ranges;
    for (RangeOptions &o : reads) {
        o.serializable = atLeast > 0;
        ranges.append(Codec::opRange(Codec::rangeRequest(o)));
    }
    d.whenCurrent(d.c->readTxn(ranges), this, [this, atLeast](GatewayReply *reply) { onRead(reply, atLeast); });
}

void QueuePosition::onRead(GatewayReply *reply, qint64 atLeast)
{
    if (d.handleFailure(reply, [this] { read(); }))
        return;
    const TxnResult t = Codec::parseTxn(reply->json());
    if (t.header.revision < atLeast) {
        read(); // this member has not applied the event yet: ask for the latest
        return;
    }
    bool ok = t.responses.size() == 3;
    QList<RangeResult> parts;
    for (qsizetype i = 0; ok && i < t.responses.size(); ++i)
        parts.append(Codec::parseRange(t.responses.at(i).toObject().value(QLatin1String("response_range")).toObject(), &ok));
    if (!ok) {
        d.report(Error::ProtocolError, reply->call() + QStringLiteral(": malformed position reply"));
        d.retryLater([this] { read(); });
        return;
    }
    const QByteArray prefix = Election::prefix(d.name);
    auto foreign = [&](const RangeResult &r) {
        return !r.kvs.isEmpty() && !Election::isCandidateKey(prefix, r.kvs.first().key);
    };
    if (foreign(parts[1]) || foreign(parts[2])) {
        readWholeQueue(); // a sub-election's key sits ahead of us or at the head
        return;
    }
    Position p;
    p.revision = t.header.revision;
    p.mine = !parts[0].kvs.isEmpty() && parts[0].kvs.first().createRevision == d.own->revision;
    p.first = parts[1].kvs.isEmpty();
    p.predecessor = parts[1].kvs.value(0);
    p.head = parts[2].kvs.value(0);
    if (parts[2].kvs.size() > 1 && Election::isCandidateKey(prefix, parts[2].kvs.at(1).key))
        p.second = parts[2].kvs.at(1);
    d.applyPosition(p);
}

void QueuePosition::readWholeQueue()
{
    d.whenCurrent(d.c->range(Election::queueRange(d.name)), this, [this](GatewayReply *reply) { onWholeQueue(reply); });
}

void QueuePosition::onWholeQueue(GatewayReply *reply)
{
    RangeResult r;
    if (!d.rangeAnswer(reply, [this] { read(); }, &r))
        return;
    const QList<KeyValue> queue = Election::candidates(Election::prefix(d.name), r.kvs);
    qsizetype me = -1;
    for (qsizetype i = 0; i < queue.size() && me < 0; ++i)
        if (queue[i].key == d.own->key && queue[i].createRevision == d.own->revision)
            me = i;
    Position p;
    p.revision = r.header.revision;
    p.mine = me >= 0;
    p.first = me == 0;
    p.predecessor = me > 0 ? queue[me - 1] : KeyValue();
    p.head = queue.value(0);
    p.second = queue.value(1);
    d.applyPosition(p);
}

// A follower's refresh of who leads, after the leader's key or the second's changed: the head
// and the key behind it (one range, limit 2). Our own key and our predecessor are watched and
// have not changed; when we may have moved up (the head is our predecessor or us), or a watch
// of ours is not in place, the whole position is read instead.
void QueuePosition::readLeader()
{
    if (!d.isIn({ElectorState::Following, ElectorState::NextInLine}) || !d.view->isPredecessorActive()
        || !d.own->isWatchActive()) {
        read();
        return;
    }
    d.whenCurrent(d.c->range(Election::headAndSecondRange(d.name)), this,
                  [this](GatewayReply *reply) { onLeaderRead(reply); });
}

void QueuePosition::onLeaderRead(GatewayReply *reply)
{
    if (d.handleFailure(reply, [this] { read(); }))
        return;
    bool ok = false;
    const RangeResult r = Codec::parseRange(reply->json(), &ok);
    const QByteArray prefix = Election::prefix(d.name);
    const bool plain = ok && !r.kvs.isEmpty()
            && std::all_of(r.kvs.cbegin(), r.kvs.cend(), [&](const KeyValue &kv) {
                   return Election::isCandidateKey(prefix, kv.key);
               });
    const QByteArray ahead = d.view->predecessorKey();
    if (!plain || !d.isIn({ElectorState::Following, ElectorState::NextInLine}) || !d.view->isPredecessorActive()
        || r.kvs.first().key == d.own->key || r.kvs.first().key == ahead) {
        read();
        return;
    }
    Position p;
    p.revision = r.header.revision;
    p.mine = true;
    p.predecessor.key = ahead; // kept as it is (same key, still active)
    p.head = r.kvs.first();
    p.second = r.kvs.value(1);
    d.applyPosition(p);
}

} // namespace Conclave
