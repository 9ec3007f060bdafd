// A follower's view of the candidates ahead of it: which keys it watches, and what their
// changes mean.
#include "leaderview.h"

#include "client_p.h"
#include "election.h"
#include "elector_p.h"
#include "leasesession.h"
#include "electorlease.h"
#include "logging.h"
#include "ownkey.h"
#include "queueposition.h"
#include "watchhub.h"

#include <QtCore/QRandomGenerator>

namespace Conclave {

namespace {
// When the leader goes, followers other than the next in line learn who leads now within
// this window (a spread-out read each), after the next leader has taken over.
constexpr int LeaderRefreshMinMs = 20;
constexpr int LeaderRefreshSpreadMs = 180;
} // namespace

LeaderView::LeaderView(ElectorPrivate &d)
    : d(d)
{
    m_refresh.setSingleShot(true);
    connect(&m_refresh, &QTimer::timeout, this, [this] { this->d.position->readLeader(); });
}

LeaderView::~LeaderView() = default;

QByteArray LeaderView::predecessorKey() const
{
    return m_predecessor ? m_predecessor->key() : m_claim ? m_claimLeader.key : QByteArray();
}

bool LeaderView::isPredecessorActive() const
{
    return (m_predecessor && m_predecessor->isActive()) || (m_claim && m_claim->isActive());
}

void LeaderView::clear(Keep keep)
{
    m_refresh.stop();
    m_predecessor.reset();
    m_leader.reset();
    m_announce.reset();
    if (keep != Keep::Claim)
        m_claim.reset();
    m_nextInLine = false;
}

void LeaderView::place(std::unique_ptr<Watch> &watch, const QByteArray &key, Watch::Filter f,
                       qint64 fromRevision, Handler onEvents)
{
    if (watch && watch->key() == key && watch->filter() == f && watch->isActive())
        return;
    // A filtered watch is not anchored: the audit would take a filtered delete for a miss.
    watch.reset(f == Watch::Filter::None ? d.c->watchHub()->watchAnchored(key, fromRevision, nullptr)
                                         : d.c->watchHub()->watch(key, {}, fromRevision, false, nullptr, f));
    connect(watch.get(), &Watch::eventsReceived, this, std::move(onEvents));
    connect(watch.get(), &Watch::compacted, &d, [d = &d] { d->readQueue(); });
    connect(watch.get(), &Watch::failed, &d, &ElectorPrivate::onWatchEnded);
}

// A waiter watches the key just ahead of it: only the next in line wakes when the leader goes,
// and decides at once, on its claim watch (which holds the leader's key). The others learn who
// leads without waking on that delete when they can: behind a second in line that announces (a
// put on its key once it leads), they watch the leader's key for puts only and the second's key
// for that put. Otherwise they watch the leader's key.
void LeaderView::follow(const Position &p)
{
    const qint64 from = p.revision + 1;
    m_refresh.stop();
    m_nextInLine = p.head.key == p.predecessor.key;
    if (m_nextInLine) {
        m_leader.reset();
        m_announce.reset();
        // A follower that moved up already watches the leader's key (its predecessor) on a live
        // stream; the new claim watch may need a stream of its own first. Until that one is
        // live, a delete still reaches us through the old watch (and a read): the leader
        // leaving meanwhile is not learnt only when a new stream has opened.
        if (m_predecessor && (m_predecessor->key() != p.predecessor.key || !m_predecessor->isActive()))
            m_predecessor.reset();
        watchForClaim(p.predecessor, from);
        if (m_predecessor && m_claim->isLive())
            m_predecessor.reset();
        return;
    }
    m_claim.reset();
    place(m_predecessor, p.predecessor.key, Watch::Filter::None, from,
          [this](const QList<WatchEvent> &e) { onPredecessorEvents(e); });
    auto onLeader = [this](const QList<WatchEvent> &e) { onLeaderKeyEvents(e); };
    const bool announced = !p.second.key.isEmpty() && p.second.key != d.own->key
            && Election::announcesLeadership(p.second.value);
    if (!announced) {
        m_announce.reset();
        place(m_leader, p.head.key, Watch::Filter::None, from, onLeader);
        return;
    }
    place(m_leader, p.head.key, Watch::Filter::NoDelete, from, onLeader);
    // The second put its key (it leads now, or it proclaimed) or left: who leads and who is
    // second is read again, a little later and spread out, as after a leader's delete.
    place(m_announce, p.second.key, Watch::Filter::None, from,
          [this](const QList<WatchEvent> &) { scheduleRefresh(); });
}

// The one ahead of us changed: where we stand is read again (if it left, we may be next in line).
// Later in this turn of the event loop, so that another watch's events in the same batch from
// the stream (our own key's) are taken first.
void LeaderView::onPredecessorEvents(const QList<WatchEvent> &events)
{
    const qint64 at = events.last().kv.modRevision;
    d.laterIfCurrent(this, [this, at] {
        if (!d.isLeader())
            d.position->read(at);
    });
}

// The leader proclaimed (same key, same incarnation): its value is in the event, no read. The
// leader went: every follower learns of it at once, but only the next in line has a decision to
// make, on its own predecessor watch. The others read the new head a little later, spread out,
// so that a queue of hundreds does not stand between the next leader and etcd.
void LeaderView::onLeaderKeyEvents(const QList<WatchEvent> &events)
{
    if (!d.takeLeaderPut(events.last()))
        scheduleRefresh();
}

void LeaderView::scheduleRefresh()
{
    if (!m_refresh.isActive())
        m_refresh.start(LeaderRefreshMinMs + int(QRandomGenerator::global()->bounded(LeaderRefreshSpreadMs + 1)));
}

// Next in line: one range watch that holds both the leader's key and ours, started where a read
// saw the leader first and our key right behind it. One watch delivers its events in revision
// order, so when it brings the leader's delete at revision D and nothing has touched our key up
// to D, our key existed at D with nothing older: we are first at D, without a read. It is the
// next in line's only watch on the leader's key, audited on that key (a stream that falls silent
// is found out as for a one-key watch); until this change a second, one-key watch on the leader
// doubled the events etcd sends when leaders go (10,000 handovers: 30,000 events, not 20,000).
void LeaderView::watchForClaim(const KeyValue &leaderKey, qint64 fromRevision)
{
    if (m_claim && m_claim->isActive() && m_claimLeader.key == leaderKey.key
        && m_claimLeader.createRevision == leaderKey.createRevision)
        return;
    const QByteArray &mine = d.own->key;
    m_claimLeader = leaderKey;
    m_claim.reset(d.c->watchHub()->watchAnchoredRange(qMin(leaderKey.key, mine), qMax(leaderKey.key, mine) + '\0',
                                                      leaderKey.key, fromRevision, nullptr));
    connect(m_claim.get(), &Watch::eventsReceived, this, &LeaderView::onClaimEvents);
    connect(m_claim.get(), &Watch::compacted, &d, [d = &d] { d->readQueue(); });
    connect(m_claim.get(), &Watch::failed, &d, &ElectorPrivate::onWatchEnded);
    connect(m_claim.get(), &Watch::liveChanged, this, [this](bool live) {
        if (live)
            m_predecessor.reset(); // the claim watch holds the leader's key now
    });
}

void LeaderView::onClaimEvents(const QList<WatchEvent> &events)
{
    if (d.isLeader() || !d.own->inQueue())
        return;
    qint64 leaderGoneAt = 0;
    bool leaderPut = false;
    for (const WatchEvent &e : events) { // one revision's events arrive together, in order
        if (e.kv.key == d.own->key && (e.type == WatchEvent::Type::Delete || e.kv.createRevision != d.own->revision)) {
            d.onOwnKeyGone();
            return;
        }
        if (e.kv.key != m_claimLeader.key || leaderGoneAt != 0)
            continue; // another candidate's key in the range, or after the leader went
        if (e.type == WatchEvent::Type::Delete || e.kv.createRevision != m_claimLeader.createRevision)
            leaderGoneAt = e.kv.modRevision;
        else if (!d.takeLeaderPut(e)) // the leader proclaimed: its value is in the event
            leaderPut = true;
    }
    if (leaderGoneAt == 0) {
        if (leaderPut) // a put we could not take (the leader shown is not this one): read
            d.position->read(events.last().kv.modRevision);
        return;
    }
    if (d.state() == ElectorState::Suspended || !d.lease->isAlive() || !d.own->isWatched()) {
        d.position->read(leaderGoneAt); // the usual way: a read, then the own-key watch's confirmation
        return;
    }
    qCDebug(lcElector) << "the leader's key in" << d.name << "went at revision" << leaderGoneAt
                       << "and ours was untouched: first, without a read";
    Position p;
    p.revision = leaderGoneAt;
    p.mine = true;
    p.first = true;
    p.head.key = d.own->key;
    p.head.value = d.own->value();
    p.head.lease = d.own->leaseId;
    p.head.createRevision = d.own->revision;
    d.applyPosition(p);
}

} // namespace Conclave
