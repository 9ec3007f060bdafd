#pragma once

#include "codec.h"
#include "watchhub.h"

#include <QtCore/QObject>
#include <QtCore/QTimer>

#include <memory>

namespace Conclave {

class ElectorPrivate;
struct Position;

/*!
 * The Elector's part that watches the candidates ahead of a follower (the data of the states
 * Following and NextInLine): the key just ahead of ours, so that only the next in line wakes
 * when the leader goes; the leader's key (puts only behind a second in line that announces,
 * and that second's key); and, right behind the leader, the claim watch over the leader's key
 * and ours that makes us leader without a read ("Taking over without a read" and "Learning who
 * leads" in docs/election-protocol.md).
 */
class LeaderView : public QObject
{
    Q_OBJECT
public:
    explicit LeaderView(ElectorPrivate &d);
    ~LeaderView() override;

    //! Watches what a follower at \a position watches (what is in place already stays).
    void follow(const Position &position);
    //! Whether the last follow() placed us right behind the leader.
    bool isNextInLine() const { return m_nextInLine; }
    QByteArray predecessorKey() const;
    bool isPredecessorActive() const;
    //! What clear() leaves in place.
    enum class Keep { Nothing, Claim };
    //! Every watch goes, and a pending refresh; with Keep::Claim, the claim watch stays (it
    //! holds our own key, and the leader's that has gone): first in the queue, we keep it while
    //! we claim and lead rather than cancel it at the moment of the handover, when 10,000 of
    //! them at once would cost etcd 3.4 a copy of its write buffer each.
    void clear(Keep keep = Keep::Nothing);

private:
    using Handler = std::function<void(const QList<WatchEvent> &)>;
    void place(std::unique_ptr<Watch> &watch, const QByteArray &key, Watch::Filter filter, qint64 fromRevision,
               Handler onEvents);
    void onPredecessorEvents(const QList<WatchEvent> &events);
    void onLeaderKeyEvents(const QList<WatchEvent> &events);
    void watchForClaim(const KeyValue &leaderKey, qint64 fromRevision);
    void onClaimEvents(const QList<WatchEvent> &events);
    void scheduleRefresh();

    ElectorPrivate &d;
    std::unique_ptr<Watch> m_predecessor;
    std::unique_ptr<Watch> m_leader;
    std::unique_ptr<Watch> m_announce; //!< the second in line's key, for the put it makes once it leads
    std::unique_ptr<Watch> m_claim;    //!< next in line: the leader's key and ours, in one watch
    KeyValue m_claimLeader;            //!< the leader the claim watch was started behind
    bool m_nextInLine = false;
    QTimer m_refresh;                  //!< a follower re-reads the head a little after the leader went
};

} // namespace Conclave
