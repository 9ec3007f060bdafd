#pragma once

#include <conclave/elector.h>

#include "codec.h"
#include "transfer.h"

#include <QtCore/QPointer>
#include <QtCore/QSet>
#include <QtCore/QTimer>

#include <functional>
#include <memory>

namespace Conclave {

class ClientPrivate;
class GatewayReply;
class LeaseSession;
class Watch;

// The election names the Electors of one Client campaign in: two would share one key (the key
// is <name>/<lease> and Electors with one TTL share one lease). A child of the Client, so that
// the transport carries no election state.
class CampaignRegistry : public QObject
{
    Q_OBJECT
public:
    static CampaignRegistry *of(Client *client);
    QSet<QString> names;

private:
    using QObject::QObject;
};

// The election state machine, as small named handlers. Internal QObject for connections.
class ElectorPrivate : public QObject
{
    Q_OBJECT
public:
    ElectorPrivate(Elector *q, Client *client);
    ~ElectorPrivate() override;

    bool checkSettable(const char *what) const;
    void campaign();
    void resign();
    void leave();
    void leaveNow();
    void releaseWhenAllowed(std::function<void()> step, bool wasLeader);
    bool releasing() const; //!< a release of our current incarnation waits for the hold
    void setReleaseHeld(bool on);
    void proclaim(const QVariantMap &attributes);
    void setEligible(bool on);
    void setPriority(int value);

    void onSessionAlive(qint64 leaseId);
    void setLease(qint64 id);
    void onSessionExpiring();
    void onSessionLost(Error error, const QString &message);
    void createKey();
    void onCampaignTxnFinished(GatewayReply *reply);
    // Where we stand: own key still ours? first? who is just ahead, who leads?
    struct Position
    {
        qint64 revision = 0;
        bool mine = false;  // our key exists with our create revision
        bool first = false; // nothing older: we are the head
        KeyValue predecessor;
        KeyValue head;
        KeyValue second;    // the key right behind the head (none: empty)
    };
    void readQueue(); // the latest position (linearizable)
    void readPosition(qint64 atLeast);
    void onPositionRead(GatewayReply *reply, qint64 atLeast);
    void readLeader();  // a follower's refresh of who leads (head and second only)
    void onLeaderRead(GatewayReply *reply);
    void readWholeQueue();
    void onQueueRead(GatewayReply *reply);
    void applyPosition(const Position &position);
    void onOwnKeyEvents(const QList<WatchEvent> &events);
    void onOwnKeyDeleted();
    void onOwnWatchLive(bool live);
    void onOwnWatchEnded(Error error, const QString &message);
    void onOwnWatchGraceOver();
    bool ownKeyWatched() const;
    void onWatchEnded(Error error, const QString &message);
    void onLeaderKeyEvents(const QList<WatchEvent> &events);
    void watchForClaim(const KeyValue &leaderKey, qint64 fromRevision);
    void onClaimEvents(const QList<WatchEvent> &events);
    void watchOwnKey(qint64 fromRevision);
    void watchOthers(const Position &position);
    void scheduleLeaderRefresh(); // in 20-200 ms, spread at random: readLeader()
    void announceLeadership();
    // Transfers ("Handing over to a chosen candidate" in docs/election-protocol.md).
    void watchRequests(qint64 fromRevision);
    void rereadRequests();
    //! A watch that ends (compacted, cancelled) runs \a again; a permanent error ends the campaign.
    void againWhenEnded(Watch *watch, void (ElectorPrivate::*again)());
    void onRequestEvents(const QList<WatchEvent> &events);
    void actOnRequest();
    void onTransferQueueRead(GatewayReply *reply, const Transfer::Request &request, const KeyValue &requestKv);
    void handOver(const Transfer::Plan &plan, const Transfer::Request &request, const KeyValue &requestKv);
    void sendHandover(const Transfer::Plan &plan, const Transfer::Request &request, const KeyValue &requestKv);
    void refuse(Transfer::Request request, const KeyValue &requestKv, const QString &why);
    void requestPriorityHandover();
    GatewayReply *putOwnKey();
    // Ineligible: out of the queue, the head read and watched ("Eligibility" in the docs).
    void observeLeader();
    void onObservedHead(GatewayReply *reply, bool wholeQueue);
    void removeOwnKey();
    void dropWatches();
    qint64 forgetOwnKey();
    void deleteOwnKey(bool thenRejoin);
    void deleteIncarnation(qint64 revision, bool thenRejoin);
    void onSessionRenewed();
    bool handleFailure(GatewayReply *reply, void (ElectorPrivate::*step)());
    bool rangeAnswer(GatewayReply *reply, void (ElectorPrivate::*retry)(), RangeResult *result);
    void retryLater(void (ElectorPrivate::*step)());
    void report(Error error, const QString &message);
    void fail(Error error, const QString &message);
    void setRole(Elector::Role role);
    void setLeader(const LeaderInfo &leader);
    void setCampaigning(bool on);
    QByteArray ownValue() const;
    LeaderInfo ownInfo() const;

    Elector *const q_ptr;
    Client *const client;
    ClientPrivate *const c;

    QString name;
    QString candidateId;
    QString host;
    int port = 0;
    QVariantMap attributes;
    std::chrono::seconds ttl{10};
    int priority = 0;
    bool eligible = true;
    qint64 transitions = 0;
    qint64 lastLeaderToken = 0; // the last valid leader seen, for transitions
    QDateTime lastRenewal;

    bool campaigning = false;
    bool suspended = false; // the session cannot prove the lease alive right now
    Elector::Role role = Elector::Role::NotAMember;
    LeaderInfo leader;
    LeaderInfo self;        // our own key as last seen
    LeaseSession *session = nullptr;
    QByteArray myKey;
    qint64 myLease = 0;
    qint64 myRevision = 0;  // create revision of our key; 0: not in the queue
    int generation = 0;     // bumped whenever in-flight answers become stale
    std::unique_ptr<Watch> ownWatch;
    std::unique_ptr<Watch> predecessorWatch;
    std::unique_ptr<Watch> leaderWatch;
    // Behind the second in line, when its value says it announces: the leader's key is watched
    // for puts only, and the second's key for the put it makes once it leads ("Learning who leads").
    std::unique_ptr<Watch> announceWatch;
    // Second in line: one watch over the leader's key and ours, so that their changes arrive in
    // etcd's order and the leader's delete alone proves us first (docs/election-protocol.md,
    // "Taking over without a read"). claimLeader is the leader it was started behind.
    std::unique_ptr<Watch> claimWatch;
    // Ineligible: the head's key (or, with nobody in the queue, the whole election) watched.
    std::unique_ptr<Watch> headWatch;
    bool abandonedKeyLeft = false; // ineligible, and the delete of our last key has not succeeded
    // At the head: the transfer request key, watched; the last request seen, until we lead.
    std::unique_ptr<Watch> requestWatch;
    KeyValue pendingRequest;
    QPointer<GatewayReply> handingOver; // our transfer txn: never lead again while in flight
    bool requestsDenied = false;        // the role may not read the request key: no transfers
    QByteArray priorityAsked;           // the leader and priorities we last asked to hand over
    bool releaseHeld = false;
    std::function<void()> pendingRelease; // held: the step that gives our key up
    qint64 pendingRevision = 0;           // the incarnation it is for
    bool leavePending = false;            // leave() is held: campaigning until released
    KeyValue claimLeader;
    QPointer<GatewayReply> inflight;
    QPointer<GatewayReply> deleting; // the guarded delete of our last incarnation, in flight
    qint64 abandonedRevision = 0;    // the last incarnation we gave up: never lead on it again
    QTimer retryTimer;
    QTimer leaderRefresh; // a follower re-reads the head a little after the leader went
    // A leader whose own-key watch lost its stream stays leader this long while the watch is
    // re-placed; then it steps down until the watch is live again.
    QTimer ownWatchGrace;
    bool awaitingOwnWatch = false; // at the head, but may lead only once our key is watched
    int backoffMs = 0;
    Error error = Error::NoError;
    QString errorString;
    Q_DECLARE_PUBLIC(Elector)
};

} // namespace Conclave
