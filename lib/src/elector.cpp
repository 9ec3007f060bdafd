// The Elector's state machine. Its states are not an enum: they are encoded by a few fields,
// and every handler below starts by checking the ones it needs. A newcomer's map:
//
//   state            fields that say so                        leaves it
//   ---------------  ----------------------------------------  -------------------------------
//   Idle             !campaigning                              campaign()
//   WaitingForLease  campaigning, myLease == 0 (or !session     LeaseSession::alive
//                    ->isAlive())
//   Joining          myLease != 0, myRevision == 0,            the create txn answers
//                    inflight = the create txn                 (onCampaignTxnFinished)
//   Reading          myRevision != 0, a position read in       onPositionRead (onQueueRead
//                    flight (own key, predecessor, head)       when a sub-election is in the way)
//   Waiting          role Follower, predecessorWatch, and      predecessor changed → readPosition;
//                    leaderWatch (+ announceWatch behind an    leader changed or the second
//                    announcing second), or claimWatch when    announced → leaderRefresh;
//                    the predecessor leads                     claimWatch: leader's key gone and
//                                                              ours untouched → Leading (no read)
//   Claiming         head of the queue, awaitingOwnWatch       ownWatch live → readQueue()
//                    (own-key watch not live yet)
//   Leading          role Leader, ownWatch live                own key deleted/replaced,
//                                                              session expiring, resign/leave
//   LeadingBlind     role Leader, ownWatch not live,           watch back (stays Leading) or
//                    ownWatchGrace running (≤ 500 ms)          grace over → Follower, Claiming
//   Suspended        suspended (renewals unproven)             session alive again → Reading,
//                    role NotAMember                           or lost → WaitingForLease
//   Ineligible       campaigning, !eligible, myRevision == 0,  setEligible(true) → Joining
//                    headWatch on the head's key (or on the    (once any key of ours left
//                    election, nobody queued); role NotAMember behind is gone)
//
// `generation` is bumped whenever answers in flight become stale (new lease, leave); every
// reply handler compares it first. `myKey`@`myRevision` names our incarnation: only that one
// counts as ours in the queue, and only that one is deleted by resign() and leave().
// The protocol and its safety argument: docs/election-protocol.md. Two parts live beside this
// file: elector_transfers.cpp (a leader acting on transfer requests, a follower of higher
// priority asking) and elector_eligibility.cpp (the Ineligible state).

#include <conclave/client.h>
#include <conclave/elector.h>

#include "elector_p.h"

#include "client_p.h"
#include "election.h"
#include "gatewayreply.h"
#include "leasesession.h"
#include "transfer.h"
#include "backoff.h"
#include "logging.h"
#include "watchhub.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QRandomGenerator>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonDocument>
#include <QtCore/QSysInfo>

#include <algorithm>

namespace Conclave {

namespace {
constexpr int OwnWatchGraceMs = 500;
// When the leader goes, followers other than the next in line learn who leads now within
// this window (a spread-out read each), after the next leader has taken over.
constexpr int LeaderRefreshMinMs = 20;
constexpr int LeaderRefreshSpreadMs = 180;
} // namespace

CampaignRegistry *CampaignRegistry::of(Client *client)
{
    auto *registry = client->findChild<CampaignRegistry *>(QString(), Qt::FindDirectChildrenOnly);
    return registry ? registry : new CampaignRegistry(client);
}

ElectorPrivate::ElectorPrivate(Elector *q, Client *client)
    : q_ptr(q)
    , client(client)
    , c(ClientPrivate::get(client))
    , candidateId(QSysInfo::machineHostName() + QLatin1Char(':')
                  + QString::number(QCoreApplication::applicationPid()))
{
    retryTimer.setSingleShot(true);
    leaderRefresh.setSingleShot(true);
    connect(&leaderRefresh, &QTimer::timeout, this, &ElectorPrivate::readLeader);
    ownWatchGrace.setSingleShot(true);
    connect(&ownWatchGrace, &QTimer::timeout, this, &ElectorPrivate::onOwnWatchGraceOver);
}

ElectorPrivate::~ElectorPrivate() = default;

bool ElectorPrivate::checkSettable(const char *what) const
{
    if (campaigning)
        qCWarning(lcElector) << "ignoring" << what << "while campaigning; call leave() first";
    return !campaigning;
}

QByteArray ElectorPrivate::ownValue() const
{
    QJsonObject o = QJsonDocument::fromJson(LeaderInfo::encodeValue(candidateId, host, port, attributes)).object();
    o.insert(QLatin1String(Election::AnnounceField), true); // we put our key once we lead
    o.insert(QLatin1String(Transfer::TakesTransfersField), true); // and act on transfer requests
    if (priority != 0)
        o.insert(QLatin1String(Election::PriorityField), priority);
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

LeaderInfo ElectorPrivate::ownInfo() const
{
    return LeaderInfo::fromKeyValue(myKey, ownValue(), myLease, myRevision,
                                    QDateTime::currentDateTimeUtc());
}

// ---- joining -------------------------------------------------------------------------------

void ElectorPrivate::campaign()
{
    if (campaigning)
        return;
    QString problem = Election::nameProblem(name);
    if (problem.isEmpty() && ttl < std::chrono::seconds(2))
        problem = QStringLiteral("a TTL of %1 s is below etcd's minimum of 2 s").arg(ttl.count());
    if (problem.isEmpty() && CampaignRegistry::of(c->q_ptr)->names.contains(name))
        problem = QStringLiteral("another Elector on this Client already campaigns in \"%1\"; "
                                 "both would share one key").arg(name);
    if (!problem.isEmpty()) {
        QMetaObject::invokeMethod(this, [this, problem] {
            report(Error::InvalidArgument, problem);
        }, Qt::QueuedConnection);
        return;
    }
    CampaignRegistry::of(c->q_ptr)->names.insert(name);
    if (error != Error::NoError || !errorString.isEmpty()) {
        error = Error::NoError;
        errorString.clear();
        Q_EMIT q_ptr->errorChanged();
    }
    backoffMs = 0;
    setCampaigning(true);
    session = c->acquireSession(ttl.count());
    connect(session, &LeaseSession::alive, this, &ElectorPrivate::onSessionAlive);
    connect(session, &LeaseSession::expiring, this, &ElectorPrivate::onSessionExpiring);
    connect(session, &LeaseSession::lost, this, &ElectorPrivate::onSessionLost);
    connect(session, &LeaseSession::renewed, this, &ElectorPrivate::onSessionRenewed);
    connect(session, &LeaseSession::grantFailed, this, [this](Error e, const QString &message) {
        if (isPermanent(e)) {
            fail(e, message); // reported, not retried forever
            return;
        }
        report(e, message);
    });
    if (session->isAlive()) {
        const qint64 id = session->leaseId();
        QMetaObject::invokeMethod(this, [this, id] { onSessionAlive(id); }, Qt::QueuedConnection);
    }
}

void ElectorPrivate::onSessionAlive(qint64 leaseId)
{
    if (!campaigning)
        return;
    suspended = false;
    if (leaseId == myLease && myRevision != 0) {
        readQueue(); // renewals acknowledged again: still there and still first → Leader again
        return;
    }
    ++generation;
    dropWatches();
    retryTimer.stop();
    if (leaseId != myLease)
        abandonedKeyLeft = false; // it went with its lease
    setLease(leaseId);
    myKey = Election::candidateKey(name, leaseId);
    myRevision = 0;
    if (!eligible) {
        observeLeader();
        return;
    }
    createKey();
}

void ElectorPrivate::onSessionRenewed()
{
    if (!session || session->lastRenewal() == lastRenewal)
        return;
    lastRenewal = session->lastRenewal();
    Q_EMIT q_ptr->lastRenewalChanged(lastRenewal);
}

void ElectorPrivate::onSessionExpiring()
{
    if (!campaigning)
        return;
    suspended = true;
    setRole(Elector::Role::NotAMember);
}

void ElectorPrivate::onSessionLost(Error e, const QString &message)
{
    if (!campaigning)
        return;
    ++generation;
    dropWatches();
    myRevision = 0;
    setLease(0);
    report(e, message);
    setRole(Elector::Role::NotAMember);
    // The session grants a new lease (jittered backoff); onSessionAlive re-joins at the back.
}

void ElectorPrivate::createKey()
{
    if (!campaigning || !eligible || leavePending || myRevision != 0 || !session || !session->isAlive()
        || session->leaseId() != myLease || inflight)
        return;
    if (deleting) // our key's last incarnation is on its way out: join once it is gone
        return;
    Compare absent;
    absent.key = myKey;
    absent.target = Compare::Target::Create;
    absent.number = 0;
    const int gen = generation;
    GatewayReply *reply = c->txn({absent}, {Codec::opPut(Codec::putRequest(myKey, ownValue(), myLease))},
                                 {Codec::opRange(Codec::rangeRequest(RangeOptions::ofKey(myKey)))});
    inflight = reply;
    onFinished(reply, this, [this, gen](GatewayReply *reply) {
        if (inflight == reply)
            inflight = nullptr;
        if (gen == generation)
            onCampaignTxnFinished(reply);
        else
            removeOwnKey(); // made ineligible meanwhile: whatever this created goes
    });
}

void ElectorPrivate::onCampaignTxnFinished(GatewayReply *reply)
{
    if (handleFailure(reply, &ElectorPrivate::createKey))
        return;
    const TxnResult t = Codec::parseTxn(reply->json());
    if (t.succeeded) {
        myRevision = t.header.revision;
    } else {
        // Our key exists already: an earlier attempt whose answer we lost did apply.
        const QJsonObject range = t.responses.at(0).toObject().value(QLatin1String("response_range")).toObject();
        const QList<KeyValue> kvs = Codec::parseRange(range).kvs;
        if (kvs.isEmpty()) {
            retryLater(&ElectorPrivate::createKey);
            return;
        }
        if (kvs.first().lease != myLease) {
            fail(Error::GatewayError, QStringLiteral("key %1 is held by another lease")
                                              .arg(QString::fromUtf8(myKey)));
            return;
        }
        if (kvs.first().createRevision == abandonedRevision) {
            // An incarnation we gave up (resigned) whose delete did not get through: a delete
            // that timed out may still be applied, so never lead on it again. Delete it, then join.
            qCInfo(lcElector).noquote() << "our key in" << name << "is still the incarnation we resigned ("
                                        << abandonedRevision << "); deleting it before joining again";
            myRevision = abandonedRevision;
            deleteOwnKey(true);
            return;
        }
        myRevision = kvs.first().createRevision;
    }
    backoffMs = 0;
    qCDebug(lcElector) << "joined" << name << "with key revision" << myRevision;
    watchOwnKey(t.header.revision + 1);
    readQueue();
}

// ---- where are we in the queue ---------------------------------------------------------------

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
void ElectorPrivate::readQueue()
{
    readPosition(0);
}

void ElectorPrivate::readPosition(qint64 atLeast)
{
    if (!campaigning || myRevision == 0)
        return;
    if (myRevision <= 1) { // nothing can be older; keeps predecessorRange()'s bound meaningful
        readWholeQueue();
        return;
    }
    RangeOptions own = RangeOptions::ofKey(myKey);
    own.keysOnly = true;
    QList<RangeOptions> reads{own, Election::predecessorRange(name, myRevision),
                              Election::headAndSecondRange(name)};
    QJsonArray ranges;
    for (RangeOptions &o : reads) {
        o.serializable = atLeast > 0;
        ranges.append(Codec::opRange(Codec::rangeRequest(o)));
    }
    const int gen = generation;
    onFinished(c->readTxn(ranges), this, [this, gen, atLeast](GatewayReply *reply) {
        if (gen == generation)
            onPositionRead(reply, atLeast);
    });
}

void ElectorPrivate::onPositionRead(GatewayReply *reply, qint64 atLeast)
{
    if (handleFailure(reply, &ElectorPrivate::readQueue))
        return;
    const TxnResult t = Codec::parseTxn(reply->json());
    if (t.header.revision < atLeast) {
        readQueue(); // this member has not applied the event yet: ask for the latest
        return;
    }
    bool ok = t.responses.size() == 3;
    QList<RangeResult> parts;
    for (qsizetype i = 0; ok && i < t.responses.size(); ++i)
        parts.append(Codec::parseRange(t.responses.at(i).toObject().value(QLatin1String("response_range")).toObject(), &ok));
    if (!ok) {
        report(Error::ProtocolError, reply->call() + QStringLiteral(": malformed position reply"));
        retryLater(&ElectorPrivate::readQueue);
        return;
    }
    const QByteArray prefix = Election::prefix(name);
    auto foreign = [&](const RangeResult &r) {
        return !r.kvs.isEmpty() && !Election::isCandidateKey(prefix, r.kvs.first().key);
    };
    if (foreign(parts[1]) || foreign(parts[2])) {
        readWholeQueue(); // a sub-election's key sits ahead of us or at the head
        return;
    }
    Position p;
    p.revision = t.header.revision;
    p.mine = !parts[0].kvs.isEmpty() && parts[0].kvs.first().createRevision == myRevision;
    p.first = parts[1].kvs.isEmpty();
    p.predecessor = parts[1].kvs.value(0);
    p.head = parts[2].kvs.value(0);
    if (parts[2].kvs.size() > 1 && Election::isCandidateKey(prefix, parts[2].kvs.at(1).key))
        p.second = parts[2].kvs.at(1);
    applyPosition(p);
}

void ElectorPrivate::readWholeQueue()
{
    const int gen = generation;
    onFinished(c->range(Election::queueRange(name)), this, [this, gen](GatewayReply *reply) {
        if (gen == generation)
            onQueueRead(reply);
    });
}

// A range's answer, or false when it failed or could not be read (reported; \a retry is
// scheduled as handleFailure() does).
bool ElectorPrivate::rangeAnswer(GatewayReply *reply, void (ElectorPrivate::*retry)(), RangeResult *result)
{
    if (handleFailure(reply, retry))
        return false;
    bool ok = false;
    *result = Codec::parseRange(reply->json(), &ok);
    if (!ok) {
        report(Error::ProtocolError, reply->call() + QStringLiteral(": malformed key or value in the reply"));
        retryLater(retry);
    }
    return ok;
}

void ElectorPrivate::onQueueRead(GatewayReply *reply)
{
    RangeResult r;
    if (!rangeAnswer(reply, &ElectorPrivate::readQueue, &r))
        return;
    const QList<KeyValue> queue = Election::candidates(Election::prefix(name), r.kvs);
    qsizetype me = -1;
    for (qsizetype i = 0; i < queue.size() && me < 0; ++i)
        if (queue[i].key == myKey && queue[i].createRevision == myRevision)
            me = i;
    Position p;
    p.revision = r.header.revision;
    p.mine = me >= 0;
    p.first = me == 0;
    p.predecessor = me > 0 ? queue[me - 1] : KeyValue();
    p.head = queue.value(0);
    p.second = queue.value(1);
    applyPosition(p);
}

// A follower's refresh of who leads, after the leader's key or the second's changed: the head
// and the key behind it (one range, limit 2). Our own key and our predecessor are watched and
// have not changed; when we may have moved up (the head is our predecessor or us), or a watch
// of ours is not in place, the whole position is read instead.
void ElectorPrivate::readLeader()
{
    if (!campaigning || myRevision == 0 || role != Elector::Role::Follower || !predecessorWatch
        || !ownWatch || !ownWatch->isActive()) {
        readQueue();
        return;
    }
    const int gen = generation;
    onFinished(c->range(Election::headAndSecondRange(name)), this, [this, gen](GatewayReply *reply) {
        if (gen == generation)
            onLeaderRead(reply);
    });
}

void ElectorPrivate::onLeaderRead(GatewayReply *reply)
{
    if (handleFailure(reply, &ElectorPrivate::readQueue))
        return;
    bool ok = false;
    const RangeResult r = Codec::parseRange(reply->json(), &ok);
    const QByteArray prefix = Election::prefix(name);
    const bool plain = ok && !r.kvs.isEmpty()
            && std::all_of(r.kvs.cbegin(), r.kvs.cend(), [&](const KeyValue &kv) {
                   return Election::isCandidateKey(prefix, kv.key);
               });
    if (!plain || role != Elector::Role::Follower || !predecessorWatch || !predecessorWatch->isActive()
        || r.kvs.first().key == myKey || r.kvs.first().key == predecessorWatch->key()) {
        readQueue();
        return;
    }
    Position p;
    p.revision = r.header.revision;
    p.mine = true;
    p.predecessor.key = predecessorWatch->key(); // kept as it is (same key, still active)
    p.head = r.kvs.first();
    p.second = r.kvs.value(1);
    setLeader(LeaderInfo::fromKeyValue(p.head.key, p.head.value, p.head.lease, p.head.createRevision,
                                       QDateTime::currentDateTimeUtc()));
    watchOthers(p);
}

void ElectorPrivate::applyPosition(const Position &p)
{
    if (!p.mine) {
        onOwnKeyDeleted();
        return;
    }
    if (!ownWatch || !ownWatch->isActive()) // it ended (compacted, cancelled): anchor it again
        watchOwnKey(p.revision + 1);
    setLeader(LeaderInfo::fromKeyValue(p.head.key, p.head.value, p.head.lease, p.head.createRevision,
                                       QDateTime::currentDateTimeUtc()));
    if (p.first) {
        predecessorWatch.reset();
        leaderWatch.reset();
        announceWatch.reset();
        claimWatch.reset();
        if ((!requestWatch || !requestWatch->isActive()) && !requestsDenied)
            watchRequests(p.revision + 1); // requests to us can only be written from here on
        if (suspended || !session || !session->isAlive() || handingOver || releasing())
            return;
        // First in the queue at this read's revision. Our key existed here and where its watch
        // starts, so the watch covers every later change: once it is live, a delete of our key
        // reaches us as soon as it reaches our successor. Without it we must not lead.
        awaitingOwnWatch = !ownKeyWatched();
        if (!awaitingOwnWatch)
            setRole(Elector::Role::Leader);
        else if (role == Elector::Role::Leader && !ownWatchGrace.isActive())
            setRole(Elector::Role::Follower);
        return;
    }
    requestWatch.reset();
    pendingRequest = KeyValue();
    watchOthers(p);
    setRole(Elector::Role::Follower);
}

// ---- watches ------------------------------------------------------------------------------------

void ElectorPrivate::watchOwnKey(qint64 fromRevision)
{
    ownWatch.reset(c->watchHub()->watchAnchored(myKey, fromRevision, nullptr));
    connect(ownWatch.get(), &Watch::eventsReceived, this, &ElectorPrivate::onOwnKeyEvents);
    connect(ownWatch.get(), &Watch::liveChanged, this, &ElectorPrivate::onOwnWatchLive);
    connect(ownWatch.get(), &Watch::compacted, this, [this](qint64 compactRevision) {
        onOwnWatchEnded(Error::NoError, QStringLiteral("compacted at %1").arg(compactRevision));
    });
    connect(ownWatch.get(), &Watch::failed, this, &ElectorPrivate::onOwnWatchEnded);
}

bool ElectorPrivate::ownKeyWatched() const
{
    return ownWatch && ownWatch->isLive();
}

void ElectorPrivate::onOwnWatchLive(bool live)
{
    if (live) {
        ownWatchGrace.stop();
        if (awaitingOwnWatch)
            readQueue();
    } else if (role == Elector::Role::Leader && !ownWatchGrace.isActive()) {
        ownWatchGrace.start(OwnWatchGraceMs);
    }
}

void ElectorPrivate::onOwnWatchEnded(Error e, const QString &message)
{
    if (isPermanent(e)) {
        fail(e, message);
        return;
    }
    // The watch is over for good (its start revision was compacted away, or etcd cancelled
    // it): a fresh read of the queue finds our key again and watches it from there.
    qCInfo(lcElector).noquote() << "the watch on our key in" << name << "ended (" << message
                                << "); watching it again from a fresh read";
    ownWatch.reset();
    onOwnWatchLive(false);
    readQueue();
}

void ElectorPrivate::onOwnWatchGraceOver()
{
    if (role != Elector::Role::Leader || ownKeyWatched())
        return;
    qCWarning(lcElector).noquote() << "the watch on our key in" << name << "has not been back for"
                                   << OwnWatchGraceMs << "ms; not leading until it is";
    awaitingOwnWatch = true;
    setRole(Elector::Role::Follower);
}

void ElectorPrivate::watchOthers(const Position &p)
{
    // A waiter watches the key just ahead of it: only the next in line wakes when the leader
    // goes, and decides at once. The others learn who leads without waking on that delete when
    // they can: behind a second in line that announces (a put on its key once it leads), they
    // watch the leader's key for puts only and the second's key for that put
    // (docs/election-protocol.md, "Learning who leads"). Otherwise they watch the leader's key.
    const qint64 fromRevision = p.revision + 1;
    auto follow = [&](std::unique_ptr<Watch> &watch, const QByteArray &key, Watch::Filter filter,
                      auto onEvents) {
        if (watch && watch->key() == key && watch->filter() == filter && watch->isActive())
            return;
        // A filtered watch is not anchored: the audit would take a filtered delete for a miss.
        watch.reset(filter == Watch::Filter::None
                            ? c->watchHub()->watchAnchored(key, fromRevision, nullptr)
                            : c->watchHub()->watch(key, {}, fromRevision, false, nullptr, filter));
        connect(watch.get(), &Watch::eventsReceived, this, onEvents);
        connect(watch.get(), &Watch::compacted, this, [this] { readQueue(); });
        connect(watch.get(), &Watch::failed, this, &ElectorPrivate::onWatchEnded);
    };
    leaderRefresh.stop();
    follow(predecessorWatch, p.predecessor.key, Watch::Filter::None, [this](const QList<WatchEvent> &events) {
        // The claim watch may carry the same change in the same batch from the stream: let it
        // decide first, and read only if it did not make us leader.
        const qint64 at = events.last().kv.modRevision;
        const int gen = generation;
        QMetaObject::invokeMethod(this, [this, at, gen] {
            if (gen == generation && role != Elector::Role::Leader)
                readPosition(at);
        }, Qt::QueuedConnection);
    });
    auto onLeader = [this](const QList<WatchEvent> &e) { onLeaderKeyEvents(e); };
    if (p.head.key == p.predecessor.key) {
        leaderWatch.reset();
        announceWatch.reset();
        watchForClaim(p.predecessor, fromRevision);
        return;
    }
    claimWatch.reset();
    const bool announced = !p.second.key.isEmpty() && p.second.key != myKey
            && Election::announcesLeadership(p.second.value);
    if (!announced) {
        announceWatch.reset();
        follow(leaderWatch, p.head.key, Watch::Filter::None, onLeader);
        return;
    }
    follow(leaderWatch, p.head.key, Watch::Filter::NoDelete, onLeader);
    // The second put its key (it leads now, or it proclaimed) or left: who leads and who is
    // second is read again, a little later and spread out, as after a leader's delete.
    follow(announceWatch, p.second.key, Watch::Filter::None,
           [this](const QList<WatchEvent> &) { scheduleLeaderRefresh(); });
}

void ElectorPrivate::scheduleLeaderRefresh()
{
    if (!leaderRefresh.isActive())
        leaderRefresh.start(LeaderRefreshMinMs
                            + int(QRandomGenerator::global()->bounded(LeaderRefreshSpreadMs + 1)));
}

// Once we lead, a put of our key (same value, guarded by its create revision) tells the
// followers that watch it as the second in line; it changes nothing else.
void ElectorPrivate::announceLeadership()
{
    onFinished(putOwnKey(), this, [name = name](GatewayReply *reply) {
        if (reply->error() != Error::NoError && reply->error() != Error::Cancelled)
            qCInfo(lcElector).noquote() << "announcing our leadership in" << name << "failed:"
                                        << reply->errorString() << "(followers learn it on their next read)";
    });
}

// Next in line: one range watch that holds both the leader's key and ours, started where a read
// saw the leader first and our key right behind it. One watch delivers its events in revision
// order, so when it brings the leader's delete at revision D and nothing has touched our key up
// to D, our key existed at D with nothing older: we are first at D, without a read. The single-
// key predecessor watch stays (it is audited; it takes the read path if it is the faster one).
void ElectorPrivate::watchForClaim(const KeyValue &leaderKey, qint64 fromRevision)
{
    if (claimWatch && claimWatch->isActive() && claimLeader.key == leaderKey.key
        && claimLeader.createRevision == leaderKey.createRevision)
        return;
    const QByteArray from = qMin(leaderKey.key, myKey);
    const QByteArray to = qMax(leaderKey.key, myKey) + '\0';
    claimLeader = leaderKey;
    claimWatch.reset(c->watchHub()->watch(from, to, fromRevision, false, nullptr));
    connect(claimWatch.get(), &Watch::eventsReceived, this, &ElectorPrivate::onClaimEvents);
    // compacted()/failed(): it is inactive from then on; the predecessor watch still serves.
}

void ElectorPrivate::onClaimEvents(const QList<WatchEvent> &events)
{
    if (role == Elector::Role::Leader || !campaigning || myRevision == 0)
        return;
    qint64 leaderGoneAt = 0;
    for (const WatchEvent &e : events) { // one revision's events arrive together, in order
        if (e.kv.key == myKey && (e.type == WatchEvent::Type::Delete || e.kv.createRevision != myRevision)) {
            onOwnKeyDeleted();
            return;
        }
        if (e.kv.key == claimLeader.key && leaderGoneAt == 0
            && (e.type == WatchEvent::Type::Delete || e.kv.createRevision != claimLeader.createRevision))
            leaderGoneAt = e.kv.modRevision;
    }
    if (leaderGoneAt == 0)
        return;
    if (suspended || !session || !session->isAlive() || !ownKeyWatched()) {
        readPosition(leaderGoneAt); // the usual way: a read, then the own-key watch's confirmation
        return;
    }
    qCDebug(lcElector) << "the leader's key in" << name << "went at revision" << leaderGoneAt
                       << "and ours was untouched: first, without a read";
    Position p;
    p.revision = leaderGoneAt;
    p.mine = true;
    p.first = true;
    p.head = KeyValue();
    p.head.key = myKey;
    p.head.value = ownValue();
    p.head.lease = myLease;
    p.head.createRevision = myRevision;
    applyPosition(p);
}

// The leader proclaimed (same key, same incarnation): its value is in the event, no read. The
// leader went: every follower learns of it at once, but only the next in line has a decision to
// make, on its own predecessor watch. The others read the new head a little later, spread out,
// so that a queue of hundreds does not stand between the next leader and etcd.
void ElectorPrivate::onLeaderKeyEvents(const QList<WatchEvent> &events)
{
    const WatchEvent &last = events.last();
    if (last.type == WatchEvent::Type::Put && last.kv.createRevision == leader.fencingToken()) {
        setLeader(LeaderInfo::fromKeyValue(last.kv.key, last.kv.value, last.kv.lease,
                                           last.kv.createRevision, leader.since()));
        return;
    }
    scheduleLeaderRefresh();
}

void ElectorPrivate::dropWatches()
{
    headWatch.reset();
    requestWatch.reset();
    pendingRequest = KeyValue();
    ownWatchGrace.stop();
    leaderRefresh.stop();
    awaitingOwnWatch = false;
    ownWatch.reset();
    predecessorWatch.reset();
    leaderWatch.reset();
    announceWatch.reset();
    claimWatch.reset();
}

void ElectorPrivate::onOwnKeyEvents(const QList<WatchEvent> &events)
{
    for (const WatchEvent &e : events) {
        if (e.type == WatchEvent::Type::Delete || e.kv.createRevision != myRevision) {
            onOwnKeyDeleted();
            return;
        }
    }
}

void ElectorPrivate::onOwnKeyDeleted()
{
    if (!campaigning || myRevision == 0)
        return;
    qCInfo(lcElector).noquote() << "our key in" << name
                                << "was deleted (resigned by an operator, evicted or lease "
                                   "revoked); joining again at the back";
    ++generation;
    dropWatches();
    myRevision = 0;
    setRole(Elector::Role::NotAMember);
    if (session)
        session->checkNow(); // a revoked lease shows up as lost; a new one follows
    backoffMs = 0;
    retryLater(&ElectorPrivate::createKey);
}

void ElectorPrivate::onWatchEnded(Error e, const QString &message)
{
    if (isPermanent(e)) {
        fail(e, message);
        return;
    }
    readQueue();
}

// ---- holding a release -----------------------------------------------------------------------

// A leader that gives leadership up by itself (resign, leave, ineligible, a transfer) stops
// acting at once; with the release held, its key stays (so nobody else leads) until the
// application lifts the hold, e.g. once the work it ran as leader has really stopped.
void ElectorPrivate::releaseWhenAllowed(std::function<void()> step, bool wasLeader)
{
    if (!releaseHeld || !wasLeader) {
        step();
        return;
    }
    qCInfo(lcElector).noquote() << "stepped down in" << name << "- keeping our key until the release is allowed";
    pendingRelease = std::move(step);
    pendingRevision = myRevision;
}

bool ElectorPrivate::releasing() const
{
    return pendingRelease && (leavePending || (pendingRevision == myRevision && myRevision != 0));
}

void ElectorPrivate::setReleaseHeld(bool on)
{
    if (releaseHeld == on)
        return;
    releaseHeld = on;
    Q_EMIT q_ptr->releaseHeldChanged(on);
    if (on || !pendingRelease)
        return;
    const bool current = releasing();
    const std::function<void()> step = std::exchange(pendingRelease, nullptr);
    if (current) // not if the incarnation it was for has ended meanwhile (its key went anyway)
        step();
}

// ---- leaving ------------------------------------------------------------------------------------

// We are out of the queue as far as this Elector is concerned: answers in flight are stale,
// nothing is watched. Returns the incarnation (create revision) we held, 0 if none.
qint64 ElectorPrivate::forgetOwnKey()
{
    const qint64 revision = myRevision;
    ++generation;
    dropWatches();
    myRevision = 0;
    if (revision != 0)
        abandonedRevision = revision; // never adopted again (onCampaignTxnFinished)
    return revision;
}

void ElectorPrivate::deleteOwnKey(bool thenRejoin)
{
    const qint64 revision = forgetOwnKey();
    if (revision == 0)
        return;
    Compare mine;
    mine.key = myKey;
    mine.target = Compare::Target::Create;
    mine.number = revision; // only this incarnation of our key
    GatewayReply *reply = c->txn({mine}, {Codec::opDelete(Codec::deleteRequest(myKey))}, {});
    deleting = reply;
    // Parented to the Client: it completes even if this Elector is destroyed meanwhile. Until
    // it has, createKey() waits: the key's name is the same for every incarnation on one lease,
    // and the campaign txn would find this incarnation still there.
    const int gen = generation;
    onFinished(reply, this, [this, gen, thenRejoin](GatewayReply *reply) {
        if (deleting == reply)
            deleting = nullptr;
        if (reply->error() != Error::NoError) {
            if (thenRejoin && gen == generation)
                report(reply->error(), reply->errorString());
            retryLater(&ElectorPrivate::createKey); // finds the key still there: deletes it again
            return;
        }
        createKey(); // resigned: back of the queue; left: not campaigning, nothing to do
    });
}

void ElectorPrivate::resign()
{
    if (!campaigning || role != Elector::Role::Leader) {
        qCWarning(lcElector) << "resign() ignored: not the leader of" << name;
        return;
    }
    setRole(Elector::Role::Follower); // stop acting as leader before releasing leadership
    releaseWhenAllowed([this] { deleteOwnKey(true); }, true);
}

void ElectorPrivate::leave()
{
    if (!campaigning || leavePending)
        return;
    const bool wasLeader = role == Elector::Role::Leader;
    setRole(Elector::Role::NotAMember);
    retryTimer.stop();
    if (wasLeader && releaseHeld) { // the key and the lease stay until the hold is lifted
        leavePending = true;
        releaseWhenAllowed([this] { leaveNow(); }, true);
        return;
    }
    leaveNow();
}

void ElectorPrivate::leaveNow()
{
    leavePending = false;
    retryTimer.stop();
    // The last user of the lease revokes it, and the revoke deletes our key with it: one write
    // instead of two (deleting first and then revoking was measured no faster).
    if (session && c->sessionUsers(session) == 1 && session->isAlive()) {
        forgetOwnKey();
        abandonedKeyLeft = false;
    } else {
        deleteOwnKey(false);
        removeOwnKey(); // ineligible with a key left behind
    }
    ++generation;
    CampaignRegistry::of(c->q_ptr)->names.remove(name);
    if (session) {
        session->disconnect(this);
        c->releaseSession(session); // the last user revokes the lease
        session = nullptr;
    }
    setLease(0);
    setLeader(LeaderInfo());
    setCampaigning(false);
}

void ElectorPrivate::report(Error e, const QString &message)
{
    const bool changed = e != error || message != errorString;
    error = e; // sticky until the next campaign(); set before any role change that follows
    errorString = message;
    Q_EMIT q_ptr->errorOccurred(e, message);
    if (changed)
        Q_EMIT q_ptr->errorChanged();
}

void ElectorPrivate::setLease(qint64 id)
{
    if (myLease == id)
        return;
    myLease = id;
    Q_EMIT q_ptr->leaseIdChanged(id);
}

void ElectorPrivate::fail(Error e, const QString &message)
{
    qCWarning(lcElector).noquote() << "giving up campaigning in" << name << "-" << message;
    report(e, message);
    leave();
}

// Our value again on our key, only if it is still our incarnation (guarded by its create revision).
GatewayReply *ElectorPrivate::putOwnKey()
{
    Compare mine;
    mine.key = myKey;
    mine.target = Compare::Target::Create;
    mine.number = myRevision;
    return c->txn({mine}, {Codec::opPut(Codec::putRequest(myKey, ownValue(), myLease))}, {});
}

void ElectorPrivate::setPriority(int value)
{
    if (priority == value)
        return;
    priority = value;
    Q_EMIT q_ptr->priorityChanged(value);
    proclaim(attributes); // while in the queue, our value carries it
    QMetaObject::invokeMethod(this, &ElectorPrivate::requestPriorityHandover, Qt::QueuedConnection);
}

void ElectorPrivate::proclaim(const QVariantMap &attrs)
{
    attributes = attrs;
    if (!campaigning || myRevision == 0)
        return; // used when the key is next created
    const int gen = generation;
    onFinished(putOwnKey(), this, [this, gen](GatewayReply *reply) {
        if (gen != generation)
            return;
        if (reply->error() != Error::NoError) {
            report(reply->error(), reply->errorString());
            return;
        }
        if (role == Elector::Role::Leader)
            setLeader(ownInfo());
    });
}

// ---- failures and state ---------------------------------------------------------------------------

bool ElectorPrivate::handleFailure(GatewayReply *reply, void (ElectorPrivate::*step)())
{
    const Error e = reply->error();
    if (e == Error::NoError)
        return false;
    if (e == Error::Cancelled)
        return true;
    if (isPermanent(e)) {
        fail(e, reply->errorString()); // reported, not retried forever
        return true;
    }
    report(e, reply->errorString());
    if (e == Error::LeaseLost) {
        if (session)
            session->checkNow(); // the session reports the loss; we re-join on its new lease
        return true;
    }
    retryLater(step);
    return true;
}

void ElectorPrivate::retryLater(void (ElectorPrivate::*step)())
{
    // Jittered exponential backoff, capped at the TTL: no retry storms against a failing etcd.
    const int delay = nextBackoffMs(backoffMs, 100, qint64(ttl.count()) * 1000);
    retryTimer.disconnect(this);
    connect(&retryTimer, &QTimer::timeout, this, step);
    retryTimer.start(delay);
}

void ElectorPrivate::setRole(Elector::Role r)
{
    Q_Q(Elector);
    if (role == r)
        return;
    const qint64 oldToken = q->fencingToken();
    if (r == Elector::Role::Leader)
        setLeader(ownInfo());
    role = r;
    qCInfo(lcElector) << name << "role" << r;
    if (r == Elector::Role::Leader) { // after the signal's handlers: they come first
        const int gen = generation;
        QMetaObject::invokeMethod(this, [this, gen] {
            if (gen == generation && role == Elector::Role::Leader) {
                announceLeadership();
                actOnRequest(); // one that came while we were first but not yet leading
            }
        }, Qt::QueuedConnection);
    }
    if (r == Elector::Role::Follower && priority != 0)
        QMetaObject::invokeMethod(this, &ElectorPrivate::requestPriorityHandover, Qt::QueuedConnection);
    Q_EMIT q->roleChanged(r);
    if (q->fencingToken() != oldToken)
        Q_EMIT q->fencingTokenChanged(q->fencingToken());
}

void ElectorPrivate::setLeader(const LeaderInfo &info)
{
    if (info == leader)
        return;
    const bool sameIncarnation = info.isValid() && info.key() == leader.key()
            && info.fencingToken() == leader.fencingToken();
    leader = sameIncarnation ? LeaderInfo::fromKeyValue(info.key(), info.value(), info.leaseId(),
                                                        info.fencingToken(), leader.since())
                             : info;
    Q_EMIT q_ptr->leaderChanged(leader);
    if (priority != 0) // checked once the role is settled too
        QMetaObject::invokeMethod(this, &ElectorPrivate::requestPriorityHandover, Qt::QueuedConnection);
    if (leader.isValid() && leader.fencingToken() != lastLeaderToken) {
        const bool transition = lastLeaderToken != 0; // the first leader seen is no transition
        lastLeaderToken = leader.fencingToken();
        if (transition)
            Q_EMIT q_ptr->transitionsChanged(++transitions);
    }
}

void ElectorPrivate::setCampaigning(bool on)
{
    if (campaigning == on)
        return;
    campaigning = on;
    Q_EMIT q_ptr->campaigningChanged(on);
}

// ---- public ---------------------------------------------------------------------------------------

Elector::Elector(Client *client, QObject *parent)
    : QObject(parent)
    , d_ptr(std::make_unique<ElectorPrivate>(this, client))
{
}

Elector::~Elector()
{
    Q_D(Elector);
    d->setReleaseHeld(false); // nobody is left to lift it: what it held goes now
    d->leave();
}

QString Elector::electionName() const { return d_func()->name; }
QString Elector::candidateId() const { return d_func()->candidateId; }
QString Elector::advertisedHost() const { return d_func()->host; }
int Elector::advertisedPort() const { return d_func()->port; }
QVariantMap Elector::attributes() const { return d_func()->attributes; }
std::chrono::seconds Elector::ttl() const { return d_func()->ttl; }
Elector::Role Elector::role() const { return d_func()->role; }
bool Elector::isLeader() const { return d_func()->role == Role::Leader && !leadershipDeadline().hasExpired(); }
int Elector::priority() const { return d_func()->priority; }
bool Elector::isEligible() const { return d_func()->eligible; }
qint64 Elector::transitions() const { return d_func()->transitions; }
QDateTime Elector::lastRenewal() const { return d_func()->lastRenewal; }

QDeadlineTimer Elector::leadershipDeadline() const
{
    Q_D(const Elector);
    if (d->role != Role::Leader || !d->session)
        return QDeadlineTimer(); // expired
    return d->session->stepDownDeadline();
}

void Elector::setEligible(bool eligible) { d_func()->setEligible(eligible); }
bool Elector::isReleaseHeld() const { return d_func()->releaseHeld; }
void Elector::setReleaseHeld(bool held) { d_func()->setReleaseHeld(held); }
void Elector::setPriority(int priority) { d_func()->setPriority(priority); }
bool Elector::isCampaigning() const { return d_func()->campaigning; }
LeaderInfo Elector::leader() const { return d_func()->leader; }
qint64 Elector::leaseId() const { return d_func()->myLease; }
Error Elector::error() const { return d_func()->error; }
QString Elector::errorString() const { return d_func()->errorString; }

qint64 Elector::fencingToken() const
{
    Q_D(const Elector);
    return d->role == Role::Leader ? d->myRevision : 0;
}

void Elector::setElectionName(const QString &name)
{
    Q_D(Elector);
    if (!d->checkSettable("setElectionName") || d->name == name)
        return;
    d->name = name;
    Q_EMIT electionNameChanged(name);
}

void Elector::setCandidateId(const QString &id)
{
    Q_D(Elector);
    if (!d->checkSettable("setCandidateId") || d->candidateId == id)
        return;
    d->candidateId = id;
    Q_EMIT candidateIdChanged(id);
}

void Elector::setAdvertisedAddress(const QString &host, int port)
{
    Q_D(Elector);
    if (d->checkSettable("setAdvertisedAddress")) {
        d->host = host;
        d->port = port;
    }
}

void Elector::setAttributes(const QVariantMap &attributes)
{
    Q_D(Elector);
    if (d->checkSettable("setAttributes"))
        d->attributes = attributes;
}

void Elector::setTtl(std::chrono::seconds ttl)
{
    Q_D(Elector);
    if (!d->checkSettable("setTtl") || d->ttl == ttl)
        return;
    d->ttl = ttl;
    Q_EMIT ttlChanged(ttl);
}

void Elector::campaign() { d_func()->campaign(); }
void Elector::resign() { d_func()->resign(); }
void Elector::leave() { d_func()->leave(); }
void Elector::proclaim(const QVariantMap &attributes) { d_func()->proclaim(attributes); }

} // namespace Conclave
