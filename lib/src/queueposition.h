#pragma once

#include "codec.h"

#include <QtCore/QObject>

namespace Conclave {

class ElectorPrivate;
class GatewayReply;

//! Where we stand in the queue at one revision: our key still ours? first? who is just ahead,
//! who leads, who is second?
struct Position
{
    qint64 revision = 0;
    bool mine = false;  //!< our key exists with our create revision
    bool first = false; //!< nothing older: we are the head
    KeyValue predecessor;
    KeyValue head;
    KeyValue second;    //!< the key right behind the head (none: empty)
};

/*!
 * The Elector's part that reads where it stands: the position read (three ranges at one
 * revision, O(1) whatever the queue's length), the whole queue when a sub-election's key is in
 * the way, and a follower's refresh of who leads. Every answer goes to
 * ElectorPrivate::applyPosition(), or, for the refresh, to the leader's view.
 */
class QueuePosition : public QObject
{
    Q_OBJECT
public:
    explicit QueuePosition(ElectorPrivate &d);

    //! The position, at the latest revision, or (\a atLeast > 0) at any revision from \a atLeast on.
    void read(qint64 atLeast = 0);
    //! A follower's refresh of who leads (the head and second only), or read() when it may
    //! have moved up.
    void readLeader();

private:
    void onRead(GatewayReply *reply, qint64 atLeast);
    void readWholeQueue();
    void onWholeQueue(GatewayReply *reply);
    void onLeaderRead(GatewayReply *reply);

    ElectorPrivate &d;
};

} // namespace Conclave
