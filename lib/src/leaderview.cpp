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

QByteArray LeaderView::predecessorKey() const { return m_predecessor ? m_predecessor->key() : QByteArray(); }
bool LeaderView::isPredecessorActive() const { return m_predecessor && m_predecessor->isActive(); }

void LeaderView::clear()
{
    m_refresh.stop();
    m_predecessor.reset();
    m_leader.reset();
    m_announce.reset();
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
// and decides at once. The others learn who leads without waking on that delete when they can:
// behind a second in line that announces (a put on its key once it leads), they watch the
// leader's key for puts only and the second's key for that put. Otherwise they watch the
// leader's key.
void LeaderView::follow(const Position &p)
{
    const qint64 from = p.revision + 1;
    m_refresh.stop();
    place(m_predecessor, p.predecessor.key, Watch::Filter::None, from,
          [this](const QList<WatchEvent> &e) { onPredecessorEvents(e); });
    m_nextInLine = p.head.key == p.predecessor.key;
    if (m_nextInLine) {
        m_leader.reset();
        m_announce.reset();
        watchForClaim(p.predecessor, from);
        return;
    }
    m_claim.reset();
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

// The claim watch may carry the same change in the same batch from the stream: let it decide
// first, and read only if it did not make us leader.
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
// to D, our key existed at D with nothing older: we are first at D, without a read. The single-
// key predecessor watch stays (it is audited; it takes the read path if it is the faster one).
void LeaderView::watchForClaim(const KeyValue &leaderKey, qint64 fromRevision)
{
    if (m_claim && m_claim->isActive() && m_claimLeader.key == leaderKey.key
        && m_claimLeader.createRevision == leaderKey.createRevision)
        return;
    const QByteArray &mine = d.own->key;
    m_claimLeader = leaderKey;
    m_claim.reset(d.c->watchHub()->watch(qMin(leaderKey.key, mine), qMax(leaderKey.key, mine) + '\0',
                                         fromRevision, false, nullptr));
    connect(m_claim.get(), &Watch::eventsReceived, this, &LeaderView::onClaimEvents);
    // compacted()/failed(): it is inactive from then on; the predecessor watch still serves.
}

void LeaderView::onClaimEvents(const QList<WatchEvent> &events)
{
    if (d.isLeader() || !d.own->inQueue())
        return;
    qint64 leaderGoneAt = 0;
    for (const WatchEvent &e : events) { // one revision's events arrive together, in order
        if (e.kv.key == d.own->key && (e.type == WatchEvent::Type::Delete || e.kv.createRevision != d.own->revision)) {
            d.onOwnKeyGone();
            return;
        }
        if (e.kv.key == m_claimLeader.key && leaderGoneAt == 0
            && (e.type == WatchEvent::Type::Delete || e.kv.createRevision != m_claimLeader.createRevision))
            leaderGoneAt = e.kv.modRevision;
    }
    if (leaderGoneAt == 0)
        return;
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
