// The Elector's machine: one state (electorstate.h), changed only by transition(), and the
// handlers that decide the next state from what the parts report. What each state means and
// what moves an Elector between them: docs/architecture.md ("The Elector's states"); the
// protocol and its safety argument: docs/election-protocol.md.
//
// Two names carry the safety argument. startOver() bumps `generation`: every answer in flight
// from before is stale and is dropped by whenCurrent(). OwnKey's key@revision names our
// incarnation: only that one counts as ours in the queue, and only that one is deleted by
// resign() and leave().

#include <conclave/client.h>
#include <conclave/elector.h>

#include "elector_p.h"

#include "backoff.h"
#include "client_p.h"
#include "election.h"
#include "electorlease.h"
#include "eligibility.h"
#include "lagmeter.h"
#include "leaderview.h"
#include "logging.h"
#include "ownkey.h"
#include "queueposition.h"
#include "readiness.h"
#include "transferdesk.h"
#include "watchdog.h"
#include "watchhub.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QSysInfo>

#include <algorithm>

namespace Conclave {

namespace {
constexpr int BlindGraceMs = 500;
} // namespace

CampaignRegistry *CampaignRegistry::of(Client *client)
{
    return ClientPrivate::get(client)->companion<CampaignRegistry>([client] { return new CampaignRegistry(client); });
}

ElectorPrivate::ElectorPrivate(Elector *q, Client *client)
    : q_ptr(q)
    , client(client)
    , c(ClientPrivate::get(client))
    , candidateId(QSysInfo::machineHostName() + QLatin1Char(':')
                  + QString::number(QCoreApplication::applicationPid()))
    , lease(std::make_unique<ElectorLease>(*this))
    , own(std::make_unique<OwnKey>(*this))
    , position(std::make_unique<QueuePosition>(*this))
    , view(std::make_unique<LeaderView>(*this))
    , desk(std::make_unique<TransferDesk>(*this))
    , eligibility(std::make_unique<Eligibility>(*this))
    , watchdog(std::make_unique<Watchdog>(*this))
    , lag(LagMeter::of(client))
    , readiness(std::make_unique<Readiness>(*this))
{
    connect(client, &Client::lastContactChanged, q, &Elector::lastContactChanged);
    connect(lag, &LagMeter::lagChanged, this, [this](std::chrono::milliseconds value) {
        if (isCampaigning())
            Q_EMIT q_ptr->eventLoopLagChanged(value);
    });
    retryTimer.setSingleShot(true);
    blindGrace.setSingleShot(true);
    connect(&blindGrace, &QTimer::timeout, this, &ElectorPrivate::onBlindGraceOver);
}

ElectorPrivate::~ElectorPrivate() = default;

// ---- the machine ------------------------------------------------------------------------------

bool ElectorPrivate::isIn(std::initializer_list<ElectorState> states) const
{
    return std::find(states.begin(), states.end(), m_state) != states.end();
}

void ElectorPrivate::transition(ElectorState next, const char *why)
{
    if (next == m_state)
        return;
    const ElectorState was = m_state;
    m_state = next;
    // At info when the role changes (as an application sees it), else at debug.
    const Elector::Role shown = roleIn(next, role);
    if (shown != role)
        qCInfo(lcElector).noquote() << name << stateName(was) << "->" << stateName(next) << "(" << why << "):" << shown;
    else
        qCDebug(lcElector).noquote() << name << stateName(was) << "->" << stateName(next) << "(" << why << ")";
    // What the state left owned goes with it.
    if (!isIn({ElectorState::Following, ElectorState::NextInLine, ElectorState::Suspended}))
        view->clear(isIn({ElectorState::Claiming, ElectorState::Leading, ElectorState::LeadingBlind})
                            ? LeaderView::Keep::Claim
                            : LeaderView::Keep::Nothing);
    if (was == ElectorState::Ineligible)
        eligibility->clear();
    if (was == ElectorState::LeadingBlind)
        blindGrace.stop();
    if (!isIn({ElectorState::Releasing, ElectorState::Withdrawing, ElectorState::Leaving}))
        heldRelease = nullptr;
    if (was == ElectorState::Idle) {
        lag->acquire();
        if (lag->lag().count() != 0) // the Client's meter already ran for another Elector
            Q_EMIT q_ptr->eventLoopLagChanged(lag->lag());
    } else if (next == ElectorState::Idle) {
        const bool lagged = lag->lag().count() != 0;
        lag->release();
        if (lagged && lag->lag().count() != 0) // still running for others: ours reads 0 now
            Q_EMIT q_ptr->eventLoopLagChanged(std::chrono::milliseconds(0));
    }
    if (was == ElectorState::Idle || next == ElectorState::Idle)
        Q_EMIT q_ptr->campaigningChanged(next != ElectorState::Idle);
    setRole(shown);
    Q_EMIT stateChanged(next);
}

void ElectorPrivate::startOver()
{
    ++generation;
    appliedRevision = 0;
    own->startOver();
    retryTimer.stop();
    blindGrace.stop();
    view->clear();
    desk->clear();
    eligibility->clear();
}

void ElectorPrivate::setRole(Elector::Role r)
{
    Q_Q(Elector);
    if (role == r)
        return;
    const qint64 oldToken = q->fencingToken();
    const bool wasReady = q->isReady();
    const bool wasLeader = isLeader();
    if (r == Elector::Role::Leader) {
        readiness->termStarted(); // every term starts not ready when readiness is required
        setLeader(own->info());
    }
    role = r;
    if (r == Elector::Role::Leader) {
        watchdog->termStarted();
        laterIfCurrent(this, [this] { onBecameLeader(); }); // after the signal's handlers: they come first
    } else if (wasLeader) {
        watchdog->termEnded();
    }
    if (r == Elector::Role::Follower && priority != 0)
        QMetaObject::invokeMethod(desk.get(), &TransferDesk::requestPriorityHandover, Qt::QueuedConnection);
    Q_EMIT q->roleChanged(r);
    if (q->fencingToken() != oldToken)
        Q_EMIT q->fencingTokenChanged(q->fencingToken());
    if (q->isReady() != wasReady)
        Q_EMIT q->readyChanged(q->isReady());
}

// Once we lead, a put of our key (same value, guarded by its create revision) tells the
// followers that watch it as the second in line; and a transfer request that came while we were
// first but not yet leading is acted on.
void ElectorPrivate::onBecameLeader()
{
    if (!isLeader())
        return;
    own->putValue(OwnKey::ValueWrite::Announce);
    desk->actOnRequest();
}

// ---- campaigning ------------------------------------------------------------------------------

bool ElectorPrivate::checkSettable(const char *what) const
{
    if (isCampaigning())
        qCWarning(lcElector) << "ignoring" << what << "while campaigning; call leave() first";
    return !isCampaigning();
}

void ElectorPrivate::campaign()
{
    if (isCampaigning())
        return;
    QString problem = Election::nameProblem(name);
    if (problem.isEmpty() && ttl < std::chrono::seconds(2))
        problem = QStringLiteral("a TTL of %1 s is below etcd's minimum of 2 s").arg(ttl.count());
    if (problem.isEmpty() && CampaignRegistry::of(client)->names.contains(name))
        problem = QStringLiteral("another Elector on this Client already campaigns in \"%1\"; "
                                 "both would share one key").arg(name);
    if (!problem.isEmpty()) {
        QMetaObject::invokeMethod(this, [this, problem] { report(Error::InvalidArgument, problem); },
                                  Qt::QueuedConnection);
        return;
    }
    CampaignRegistry::of(client)->names.insert(name);
    if (error != Error::NoError || !errorString.isEmpty()) {
        error = Error::NoError;
        errorString.clear();
        Q_EMIT q_ptr->errorChanged();
    }
    backoffMs = 0;
    transition(ElectorState::AwaitingLease, "campaign()");
    lease->acquire(ttl.count());
}

void ElectorPrivate::onLeaseAlive(qint64 leaseId)
{
    if (!isCampaigning())
        return;
    const bool sameLease = leaseId == own->leaseId;
    if (sameLease && m_state == ElectorState::Suspended) {
        transition(ElectorState::Joining, "the lease's renewals are acknowledged again");
        if (own->inQueue())
            readQueue(); // still there and still first → Leading again
        else
            join();
        return;
    }
    if (sameLease && m_state != ElectorState::AwaitingLease)
        return; // the states that do not suspend keep what they wait for
    startOver();
    if (!sameLease)
        own->abandonedKeyLeft = false; // it went with its lease
    own->renameFor(leaseId);
    setLease(leaseId);
    if (m_state == ElectorState::Leaving)
        return;
    if (!eligible) {
        transition(ElectorState::Ineligible, "in the lease, ineligible");
        eligibility->observe();
        return;
    }
    transition(ElectorState::Joining, "the lease is granted");
    join();
}

void ElectorPrivate::onLeaseExpiring()
{
    if (suspendsIn(m_state))
        transition(ElectorState::Suspended, "the lease's renewals are unproven");
}

void ElectorPrivate::onLeaseLost(Error e, const QString &message)
{
    if (!isCampaigning())
        return;
    startOver();
    own->revision = 0;
    setLease(0);
    report(e, message);
    if (m_state != ElectorState::Leaving)
        transition(ElectorState::AwaitingLease, "the lease was lost");
    // The session grants a new lease (jittered backoff); onLeaseAlive re-joins at the back.
}

void ElectorPrivate::join()
{
    if (!isIn({ElectorState::Joining, ElectorState::Requeuing}) || !eligible || own->inQueue()
        || !lease->isAlive() || lease->leaseId() != own->leaseId || own->isBusy())
        return; // an incarnation on its way out, or a create in flight, calls this again
    own->create();
}

void ElectorPrivate::onKeyCreated(qint64 createRevision, qint64 atRevision)
{
    backoffMs = 0;
    qCDebug(lcElector) << "joined" << name << "with key revision" << createRevision;
    own->watchFrom(atRevision + 1);
    readQueue();
}

void ElectorPrivate::readQueue()
{
    position->read();
}

// Where a read (or the claim watch) put us. First: lead, once the lease is proven and our key
// watched; else follow the candidates ahead.
void ElectorPrivate::applyPosition(const Position &p)
{
    // Reads go out on several connections and can be answered out of order: an answer older
    // than one already applied says nothing new (keys only get younger; our key's delete comes
    // by its watch) and would show an older value of the leader.
    if (p.revision < appliedRevision)
        return;
    appliedRevision = p.revision;
    if (!p.mine) {
        onOwnKeyGone();
        return;
    }
    if (!own->isWatchActive()) // it ended (compacted, cancelled): anchor it again
        own->watchFrom(p.revision + 1);
    setLeaderFrom(p.head);
    const bool waiting = isIn({ElectorState::Suspended, ElectorState::Releasing, ElectorState::HandingOver,
                               ElectorState::Withdrawing, ElectorState::Leaving});
    if (!p.first) {
        view->follow(p);
        // Next in line: transfer requests are watched already, so that taking over places no
        // watch (requests to us are written only once we lead; one to the leader before us is
        // not for us, actOnRequest() checks). The others watch none.
        if (view->isNextInLine())
            desk->watchRequestsFrom(p.revision + 1);
        else
            desk->clear();
        if (!waiting)
            transition(view->isNextInLine() ? ElectorState::NextInLine : ElectorState::Following, "behind in the queue");
        return;
    }
    view->clear(LeaderView::Keep::Claim);
    desk->watchRequestsFrom(p.revision + 1); // requests to us can only be written from here on
    if (waiting || !lease->isAlive() || desk->isHandingOver())
        return;
    // First in the queue at this read's revision. Our key existed here and where its watch
    // starts, so the watch covers every later change: once it is live, a delete of our key
    // reaches us as soon as it reaches our successor. Without it we must not lead.
    own->confirmWhenLive = !own->isWatched();
    if (!own->confirmWhenLive)
        transition(ElectorState::Leading, "first in the queue, our key watched");
    else if (m_state != ElectorState::LeadingBlind)
        transition(ElectorState::Claiming, "first in the queue; the watch on our key is not live yet");
}

void ElectorPrivate::onOwnKeyGone()
{
    if (!isCampaigning() || !own->inQueue())
        return;
    qCInfo(lcElector).noquote() << "our key in" << name
                                << "was deleted (resigned by an operator, evicted or lease revoked)";
    startOver();
    own->revision = 0;
    lease->checkNow(); // a revoked lease shows up as lost; a new one follows
    backoffMs = 0;
    if (m_state == ElectorState::Leaving)
        return;
    if (m_state == ElectorState::Withdrawing) {
        transition(ElectorState::Ineligible, "our key went before the hold was lifted");
        eligibility->observe();
        return;
    }
    transition(ElectorState::Joining, "our key was deleted: joining again at the back");
    retryLater([this] { join(); });
}

void ElectorPrivate::onOwnWatchLive(bool live)
{
    if (live) {
        blindGrace.stop();
        if (own->confirmWhenLive)
            readQueue();
        else if (m_state == ElectorState::LeadingBlind)
            transition(ElectorState::Leading, "the watch on our key is live again");
        return;
    }
    if (isLeader() && !blindGrace.isActive()) {
        transition(ElectorState::LeadingBlind, "the watch on our key lost its stream");
        blindGrace.start(BlindGraceMs);
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
    own->dropWatch();
    onOwnWatchLive(false);
    readQueue();
}

void ElectorPrivate::onBlindGraceOver()
{
    if (!isLeader() || own->isWatched())
        return;
    qCWarning(lcElector).noquote() << "the watch on our key in" << name << "has not been back for"
                                   << BlindGraceMs << "ms; not leading until it is";
    own->confirmWhenLive = true;
    transition(ElectorState::Claiming, "the watch on our key stayed away");
}

void ElectorPrivate::onWatchEnded(Error e, const QString &message)
{
    if (isPermanent(e))
        fail(e, message);
    else
        readQueue();
}

// ---- stepping down and leaving ----------------------------------------------------------------

// A leader that gives leadership up by itself (resign, leave, ineligible, a transfer) stops
// acting at once; with the release held, its key stays (so nobody else leads) until the
// application lifts the hold, e.g. once the work it ran as leader has really stopped.
void ElectorPrivate::stepDown(ElectorState whileHeld, const char *why, std::function<void()> release)
{
    const bool wasLeader = isLeader();
    transition(whileHeld, why); // stop acting as leader before our key goes
    if (!releaseHeld || !wasLeader) {
        release();
        return;
    }
    qCInfo(lcElector).noquote() << "stepped down in" << name << "- keeping our key until the release is allowed";
    heldRelease = std::move(release);
}

void ElectorPrivate::setReleaseHeld(bool on)
{
    if (releaseHeld == on)
        return;
    releaseHeld = on;
    Q_EMIT q_ptr->releaseHeldChanged(on);
    if (!on && heldRelease)
        std::exchange(heldRelease, nullptr)();
}

void ElectorPrivate::resign()
{
    if (!isLeader()) {
        qCWarning(lcElector) << "resign() ignored: not the leader of" << name;
        return;
    }
    stepDown(ElectorState::Releasing, "resign()", [this] {
        transition(ElectorState::Requeuing, "resigned: our key goes, then we join at the back");
        own->deleteIncarnation(true);
    });
}

void ElectorPrivate::leave()
{
    if (!isCampaigning() || m_state == ElectorState::Leaving)
        return;
    retryTimer.stop();
    stepDown(ElectorState::Leaving, "leave()", [this] { leaveNow(); });
}

void ElectorPrivate::leaveNow()
{
    // The last user of the lease revokes it, and the revoke deletes our key with it: one write
    // instead of two (deleting first and then revoking was measured no faster).
    if (lease->isOnlyUser() && lease->isAlive()) {
        own->forget();
        own->abandonedKeyLeft = false;
    } else {
        own->deleteIncarnation(false);
        own->removeAny(); // ineligible with a key left behind
    }
    startOver();
    CampaignRegistry::of(client)->names.remove(name);
    lease->release();
    setLease(0);
    setLeader(LeaderInfo());
    transition(ElectorState::Idle, "left");
}

void ElectorPrivate::setEligible(bool on)
{
    if (eligible == on)
        return;
    eligible = on;
    qCInfo(lcElector).noquote() << name << (on ? "eligible: joining at the back"
                                              : "ineligible: leaving the queue, following its leader");
    Q_EMIT q_ptr->eligibleChanged(on);
    if (!isCampaigning() || m_state == ElectorState::Leaving)
        return;
    backoffMs = 0;
    if (!on) {
        retryTimer.stop();
        stepDown(ElectorState::Withdrawing, "ineligible", [this] {
            if (own->forget() != 0 || own->isCreating())
                own->abandonedKeyLeft = true;
            transition(ElectorState::Ineligible, "out of the queue");
            eligibility->observe();
        });
        return;
    }
    if (m_state == ElectorState::Withdrawing) { // eligible again before the key went: keep it
        transition(ElectorState::Joining, "eligible again before our key went");
        readQueue();
        return;
    }
    if (m_state != ElectorState::Ineligible)
        return; // no lease yet: joins once it is granted
    startOver();
    transition(ElectorState::Joining, "eligible: joining at the back");
    if (own->abandonedKeyLeft)
        own->removeAny(); // then joins
    else
        join();
}

// ---- attributes and priority ------------------------------------------------------------------

void ElectorPrivate::proclaim(const QVariantMap &attrs)
{
    attributes = attrs;
    own->putValue(OwnKey::ValueWrite::Proclaim);
}

void ElectorPrivate::setPriority(int value)
{
    if (priority == value)
        return;
    priority = value;
    Q_EMIT q_ptr->priorityChanged(value);
    proclaim(attributes); // while in the queue, our value carries it
    QMetaObject::invokeMethod(desk.get(), &TransferDesk::requestPriorityHandover, Qt::QueuedConnection);
}

// ---- what the Elector shows -----------------------------------------------------------------

void ElectorPrivate::setLease(qint64 id)
{
    if (own->leaseId == id)
        return;
    own->leaseId = id;
    Q_EMIT q_ptr->leaseIdChanged(id);
}

void ElectorPrivate::setLeaderFrom(const KeyValue &kv)
{
    // setLeader() keeps `since` for the same incarnation.
    setLeader(kv.key.isEmpty() ? LeaderInfo()
                               : LeaderInfo::fromKeyValue(kv.key, kv.value, kv.lease, kv.createRevision,
                                                          QDateTime::currentDateTimeUtc()));
}

bool ElectorPrivate::takeLeaderPut(const WatchEvent &e)
{
    if (!leader.isValid() || e.type != WatchEvent::Type::Put || e.kv.key != leader.key()
        || e.kv.createRevision != leader.fencingToken())
        return false;
    setLeaderFrom(e.kv);
    return true;
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
        QMetaObject::invokeMethod(desk.get(), &TransferDesk::requestPriorityHandover, Qt::QueuedConnection);
    if (leader.isValid() && leader.fencingToken() != lastLeaderToken) {
        const bool transition = lastLeaderToken != 0; // the first leader seen is no transition
        lastLeaderToken = leader.fencingToken();
        if (transition)
            Q_EMIT q_ptr->transitionsChanged(++transitions);
    }
}

} // namespace Conclave
