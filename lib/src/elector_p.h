#pragma once

// The Elector's machine: its state (electorstate.h), the one transition function, and the
// parts that do the work, one file each (docs/architecture.md, "The Elector's rooms"):
//   electorlease  the lease the Elector's key lives on (the Client's shared session)
//   ownkey        our key: its incarnation, the guarded writes to it, the watch on it
//   queueposition where we stand in the queue: the reads that answer it
//   leaderview    a follower's watches: who is ahead of us, who leads, the claim
//   transferdesk  the leader's transfer requests; a follower of higher priority asking
//   eligibility   out of the queue (ineligible), following the leader
//   watchdog      the application's pings while it leads
//   lagmeter      how late timers fire in the Client's thread (the event loop's lag; one per Client)
//   readiness     whether the leader serves (per term), and its status text

#include <conclave/elector.h>

#include "codec.h"
#include "electorstate.h"
#include "gatewayreply.h"

#include <QtCore/QPointer>
#include <QtCore/QSet>
#include <QtCore/QTimer>

#include <functional>
#include <initializer_list>
#include <memory>

namespace Conclave {

class ClientPrivate;
class ElectorLease;
class Eligibility;
struct WatchEvent;
class LagMeter;
class Readiness;
class Watchdog;
class LeaderView;
class OwnKey;
class QueuePosition;
class TransferDesk;
struct Position;

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

class ElectorPrivate : public QObject
{
    Q_OBJECT
public:
    ElectorPrivate(Elector *q, Client *client);
    ~ElectorPrivate() override;
    static ElectorPrivate *get(Elector *elector) { return elector->d_func(); }

    // ---- the machine (electormachine.cpp)
    ElectorState state() const { return m_state; }
    bool isIn(std::initializer_list<ElectorState> states) const;
    bool isCampaigning() const { return m_state != ElectorState::Idle; }
    //! The one place the state changes: logs it, shows its role, clears what the state left owned.
    void transition(ElectorState next, const char *why);
    //! Every answer in flight is stale from now on, and every watch of ours goes.
    void startOver();
    //! What is in flight now is stamped; it is current until the next startOver().
    int stamp() const { return generation; }
    bool isCurrent(int stamp) const { return stamp == generation; }
    //! \a handler(reply) once \a reply finishes, unless startOver() ran meanwhile.
    template <typename Handler>
    void whenCurrent(GatewayReply *reply, QObject *context, Handler handler)
    {
        onFinished(reply, context, [this, gen = stamp(), handler = std::move(handler)](GatewayReply *r) mutable {
            if (isCurrent(gen))
                handler(r);
        });
    }
    //! \a step on the next pass of the event loop, unless startOver() ran meanwhile.
    template <typename Step>
    void laterIfCurrent(QObject *context, Step step)
    {
        QMetaObject::invokeMethod(context, [this, gen = stamp(), step = std::move(step)]() mutable {
            if (isCurrent(gen))
                step();
        }, Qt::QueuedConnection);
    }

    // ---- the public API's steps
    bool checkSettable(const char *what) const;
    void campaign();
    void resign();
    void leave();
    void proclaim(const QVariantMap &attributes);
    void setEligible(bool on);
    void setPriority(int value);
    void setReleaseHeld(bool on);

    // ---- what the parts report
    void onLeaseAlive(qint64 leaseId);
    void onLeaseExpiring();
    void onLeaseLost(Error error, const QString &message);
    void join();                                      //!< create our key, once we may
    void onKeyCreated(qint64 createRevision, qint64 atRevision);
    void readQueue();                                 //!< where we stand now (a linearizable read)
    void applyPosition(const Position &position);
    void onOwnKeyGone();                              //!< our incarnation was deleted or replaced
    void onOwnWatchLive(bool live);
    void onOwnWatchEnded(Error error, const QString &message);
    void onWatchEnded(Error error, const QString &message); //!< a follower's watch

    // ---- steps the parts share
    //! A leader stops acting at once; \a release (giving our key up) runs now, or once the
    //! application lifts the hold, in state \a whileHeld meanwhile.
    void stepDown(ElectorState whileHeld, const char *why, std::function<void()> release);
    //! Whether \a reply failed; if so, reported, and \a retry scheduled when it may help.
    bool handleFailure(GatewayReply *reply, std::function<void()> retry);
    //! A range's answer, or false when it failed or could not be read (as handleFailure()).
    bool rangeAnswer(GatewayReply *reply, std::function<void()> retry, RangeResult *result);
    void retryLater(std::function<void()> step);
    void report(Error error, const QString &message);
    void fail(Error error, const QString &message);
    void setLeader(const LeaderInfo &info);
    //! The leader is the candidate \a kv (an empty key: nobody leads), as read now.
    void setLeaderFrom(const KeyValue &kv);
    //! Whether \a e is a put of the leader's own incarnation (it proclaimed or announced): then
    //! its value is the leader's now, without a read.
    bool takeLeaderPut(const WatchEvent &e);
    void setLease(qint64 id);
    bool isLeader() const { return role == Elector::Role::Leader; }

    Elector *const q_ptr;
    Client *const client;
    ClientPrivate *const c;

    // Settings (writable while Idle, except priority, eligibility and the hold).
    QString name;
    QString candidateId;
    QString host;
    int port = 0;
    QVariantMap attributes;
    std::chrono::seconds ttl{10};
    int priority = 0;
    bool eligible = true;
    bool releaseHeld = false;

    // What the Elector shows.
    Elector::Role role = Elector::Role::NotAMember;
    LeaderInfo leader;
    qint64 transitions = 0;
    qint64 lastLeaderToken = 0; // the last valid leader seen, for transitions
    Error error = Error::NoError;
    QString errorString;

    int generation = 0; // bumped by startOver(): answers in flight from before are stale (stamp())
    qint64 appliedRevision = 0; // the newest position applied since startOver(): older answers are stale
    QTimer retryTimer;
    int backoffMs = 0;
    // LeadingBlind's: how long a leader whose own-key watch lost its stream stays leader while
    // the watch is re-placed.
    QTimer blindGrace;
    // Releasing's, Withdrawing's and Leaving's: the step that gives our key up once allowed.
    std::function<void()> heldRelease;

    std::unique_ptr<ElectorLease> lease;
    std::unique_ptr<OwnKey> own;
    std::unique_ptr<QueuePosition> position;
    std::unique_ptr<LeaderView> view;
    std::unique_ptr<TransferDesk> desk;
    std::unique_ptr<Eligibility> eligibility;
    std::unique_ptr<Watchdog> watchdog;
    LagMeter *const lag; // the Client's, shared by its Electors
    std::unique_ptr<Readiness> readiness;

Q_SIGNALS:
    void stateChanged(Conclave::ElectorState state); //!< for tests and tracing; roleChanged() is the API

private:
    void leaveNow();
    void onBlindGraceOver();
    void setRole(Elector::Role role);
    void onBecameLeader();

    ElectorState m_state = ElectorState::Idle;
    Q_DECLARE_PUBLIC(Elector)
};

} // namespace Conclave
