#pragma once

#include <conclave/conclaveglobal.h>
#include <conclave/leaderinfo.h>

#include <QtCore/QDateTime>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QObject>
#include <QtCore/QVariantMap>

#include <chrono>
#include <memory>

namespace Conclave {

class Client;
class ElectorPrivate;

/*!
 * \class Conclave::Elector
 * Takes part in one election, using etcd's election recipe (the same keys and queue order as
 * Go's clientv3/concurrency and `etcdctl elect`), and tells the application at every moment
 * whether it may act as leader.
 *
 * \code
 * Conclave::Elector elector(&client);
 * elector.setElectionName(QStringLiteral("billing/scheduler"));
 * elector.setAdvertisedAddress(QStringLiteral("10.0.0.5"), 8081);
 * QObject::connect(&elector, &Conclave::Elector::roleChanged, [&](Conclave::Elector::Role role) {
 *     if (role == Conclave::Elector::Role::Leader) startWork(); else stopWork();
 * });
 * elector.campaign();
 * \endcode
 *
 * Leadership is proven, not assumed: the Elector is Leader only while its own key exists, is
 * the oldest in the election and its lease is proven alive. When renewals stop being
 * acknowledged it steps down (NotAMember) a safety margin before the lease could expire;
 * when its key is deleted by an operator or its lease revoked it notices within one watch
 * delivery and joins again at the back of the queue. All signals come from the event loop of
 * the Elector's thread; nothing blocks. Setters act only while not campaigning.
 */
class CONCLAVE_EXPORT Elector : public QObject
{
    Q_OBJECT
    //! The property of electionName(), setElectionName(); changes are signalled by electionNameChanged().
    Q_PROPERTY(QString electionName READ electionName WRITE setElectionName NOTIFY electionNameChanged)
    //! The property of candidateId(), setCandidateId(); changes are signalled by candidateIdChanged().
    Q_PROPERTY(QString candidateId READ candidateId WRITE setCandidateId NOTIFY candidateIdChanged)
    //! The property of role(); changes are signalled by roleChanged().
    Q_PROPERTY(Conclave::Elector::Role role READ role NOTIFY roleChanged)
    //! The property of leader(); changes are signalled by leaderChanged().
    Q_PROPERTY(Conclave::LeaderInfo leader READ leader NOTIFY leaderChanged)
    //! The property of fencingToken(); changes are signalled by fencingTokenChanged().
    Q_PROPERTY(qint64 fencingToken READ fencingToken NOTIFY fencingTokenChanged)
    //! The property of isCampaigning(); changes are signalled by campaigningChanged().
    Q_PROPERTY(bool campaigning READ isCampaigning NOTIFY campaigningChanged)
    //! The property of ttl(), setTtl(); changes are signalled by ttlChanged().
    Q_PROPERTY(std::chrono::seconds ttl READ ttl WRITE setTtl NOTIFY ttlChanged)
    //! The property of leaseId(); changes are signalled by leaseIdChanged().
    Q_PROPERTY(qint64 leaseId READ leaseId NOTIFY leaseIdChanged)
    //! The property of priority(), setPriority(); changes are signalled by priorityChanged().
    Q_PROPERTY(int priority READ priority WRITE setPriority NOTIFY priorityChanged)
    //! The property of isEligible(), setEligible(); changes are signalled by eligibleChanged().
    Q_PROPERTY(bool eligible READ isEligible WRITE setEligible NOTIFY eligibleChanged)
    //! The property of isReleaseHeld(), setReleaseHeld(); changes are signalled by releaseHeldChanged().
    Q_PROPERTY(bool releaseHeld READ isReleaseHeld WRITE setReleaseHeld NOTIFY releaseHeldChanged)
    //! The property of transitions(); changes are signalled by transitionsChanged().
    Q_PROPERTY(qint64 transitions READ transitions NOTIFY transitionsChanged)
    //! The property of lastRenewal(); changes are signalled by lastRenewalChanged().
    Q_PROPERTY(QDateTime lastRenewal READ lastRenewal NOTIFY lastRenewalChanged)
    //! The property of isReadinessRequired(), setReadinessRequired(); changes are signalled by readinessRequiredChanged().
    Q_PROPERTY(bool readinessRequired READ isReadinessRequired WRITE setReadinessRequired NOTIFY readinessRequiredChanged)
    //! The property of isReady(), setReady(); changes are signalled by readyChanged().
    Q_PROPERTY(bool ready READ isReady WRITE setReady NOTIFY readyChanged)
    //! The property of statusText(), setStatusText(); changes are signalled by statusTextChanged().
    Q_PROPERTY(QString statusText READ statusText WRITE setStatusText NOTIFY statusTextChanged)
    //! The property of watchdogTimeout(), setWatchdogTimeout(); changes are signalled by watchdogTimeoutChanged().
    Q_PROPERTY(std::chrono::milliseconds watchdogTimeout READ watchdogTimeout WRITE setWatchdogTimeout NOTIFY watchdogTimeoutChanged)
    //! The property of eventLoopLag(); changes are signalled by eventLoopLagChanged().
    Q_PROPERTY(std::chrono::milliseconds eventLoopLag READ eventLoopLag NOTIFY eventLoopLagChanged)
    //! The property of lastContact(); changes are signalled by lastContactChanged().
    Q_PROPERTY(QDateTime lastContact READ lastContact NOTIFY lastContactChanged)
    //! The property of error(); changes are signalled by errorChanged().
    Q_PROPERTY(Conclave::Error error READ error NOTIFY errorChanged)
    //! The property of errorString(); changes are signalled by errorChanged().
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorChanged)

public:
    //! NotAMember: not in the queue (not campaigning, or re-joining); Follower: in the queue,
    //! another leads; Leader: this Elector leads (see isLeader() before acting).
    enum class Role { NotAMember, Follower, Leader };
    Q_ENUM(Role)

    //! An Elector on \a client; give it an election name, then campaign().
    explicit Elector(Conclave::Client *client, QObject *parent = nullptr);
    ~Elector() override; //!< leaves the election (deletes its key) if still campaigning

    QString electionName() const; //!< see setElectionName()
    //! The election's key prefix, e.g. "billing/scheduler" (no trailing '/', not empty).
    void setElectionName(const QString &name);
    QString candidateId() const; //!< see setCandidateId()
    //! This candidate's id, shown to followers and operators (default: hostname:pid).
    void setCandidateId(const QString &id);
    QString advertisedHost() const; //!< see setAdvertisedAddress()
    int advertisedPort() const;     //!< see setAdvertisedAddress()
    //! Where followers reach this candidate when it leads.
    void setAdvertisedAddress(const QString &host, int port);
    QVariantMap attributes() const; //!< see setAttributes()
    //! Custom attributes followers see; while campaigning use proclaim().
    void setAttributes(const QVariantMap &attributes);
    std::chrono::seconds ttl() const; //!< see setTtl()
    //! Lease TTL (default 10 s; less than 2 s is rejected). Electors with the same TTL on one
    //! Client share one lease.
    void setTtl(std::chrono::seconds ttl);

    int priority() const; //!< see setPriority()
    /*!
     * Preference for leading (default 0). While a Conclave candidate of higher priority waits
     * in the queue, the Conclave leader hands leadership to it (within one handover, never two
     * leaders); equal priorities keep queue order. Candidates of other programs count as 0 and
     * are never asked to move, nor jumped over. May be changed while campaigning.
     */
    void setPriority(int priority);
    bool isEligible() const; //!< see setEligible()
    /*!
     * Whether this candidate may lead (default true). False while campaigning: leaves the
     * queue (hands over first when leading) and keeps tracking leader(); true again: joins at
     * the back. Before campaign(): campaign() starts by only tracking the leader.
     */
    void setEligible(bool eligible);
    bool isReleaseHeld() const; //!< see setReleaseHeld()
    /*!
     * While true, a leader that gives leadership up by itself (resign(), leave(),
     * setEligible(false), a transfer or a higher priority) stops acting at once (roleChanged)
     * but keeps its key, so that nobody else leads, until this is false again: for work that
     * must have really stopped first (a child process, a flush). It cannot hold what is taken
     * away (an operator's delete, renewals unacknowledged). leave() while held leaves
     * isCampaigning() true until the release. Destroying the Elector releases at once.
     */
    void setReleaseHeld(bool held);

    bool isReadinessRequired() const; //!< see setReadinessRequired()
    /*!
     * When true (default false), every term of leadership starts not ready: the Elector leads
     * (roleChanged(Leader)) and tells the election "leader elected, not ready yet" in its
     * value, until the application calls setReady(true), e.g. once it has loaded its state.
     * Followers and observers read it as LeaderInfo::isReady(). May be changed while campaigning.
     */
    void setReadinessRequired(bool required);
    /*!
     * Whether this Elector leads and serves: Leader, and ready in this term (always, unless
     * readiness is required). setReady(true) while leading marks the term ready (one guarded
     * put of our key); while not leading it is ignored (a term starts not ready).
     */
    bool isReady() const;
    void setReady(bool ready); //!< see isReady()
    QString statusText() const; //!< see setStatusText()
    //! A few words on this candidate's state (systemd's STATUS=), in its value: LeaderInfo::statusText().
    void setStatusText(const QString &text);

    std::chrono::milliseconds watchdogTimeout() const; //!< see setWatchdogTimeout()
    /*!
     * While leading, the application must call pingWatchdog() at least this often (0, the
     * default: no watchdog). A leader that misses it resigns at once (the next candidate
     * leads; with the release held, once it is lifted), reports errorOccurred(WatchdogTimeout)
     * and joins again at the back. The first deadline runs from the start of the term.
     */
    void setWatchdogTimeout(std::chrono::milliseconds timeout);
    /*!
     * How late timers fire in the Elector's thread: the largest lateness over the last 5 s of a
     * 250 ms timer (one per Client, running while any of its Electors campaigns); 0 while not
     * campaigning. A blocked event loop shows here before the lease runs out.
     */
    std::chrono::milliseconds eventLoopLag() const;
    //! When etcd last answered this Elector's Client (Client::lastContact()).
    QDateTime lastContact() const;

    //! The role as last changed on the event loop (roleChanged()); act on isLeader().
    Role role() const;
    /*!
     * True while Leader and leadershipDeadline() has not passed. Unlike role(), it is computed
     * when asked: after the event loop was blocked or the process stopped for longer than the
     * lease's margin it is false at once, before the step-down has run.
     */
    bool isLeader() const;
    /*!
     * While Leader: the monotonic instant until which leadership is proven, the send time of
     * the last acknowledged renewal + TTL − the step-down margin (max(1 s, TTL / 5)); an expired
     * deadline otherwise. Check it (with the fencing token) right before a side effect.
     */
    QDeadlineTimer leadershipDeadline() const;
    //! True from campaign() until leave() has finished (the key deleted, or the release lifted).
    bool isCampaigning() const;
    //! The current leader (also while this Elector is a follower); invalid if none is known.
    Conclave::LeaderInfo leader() const;
    //! While Leader: the create revision of its key, strictly increasing across leaders.
    qint64 fencingToken() const;
    //! The lease this Elector's key is attached to (0 before it has one).
    qint64 leaseId() const;

    //! How many times leader() changed to another leader (a new fencing token), this one included.
    qint64 transitions() const;
    //! When the last acknowledged renewal of this Elector's lease was sent (invalid before one).
    QDateTime lastRenewal() const;

    //! The last error; NoError after campaign() until something fails.
    Conclave::Error error() const;
    QString errorString() const; //!< the last error in words

public Q_SLOTS:
    //! Joins the election; re-joins automatically after any loss until leave().
    void campaign();
    //! Gives up leadership (Follower at once), stays in the queue at its back as a standby.
    void resign();
    //! Withdraws entirely: NotAMember at once, then deletes its key.
    void leave();
    //! Updates the attributes followers see, without a new election.
    void proclaim(const QVariantMap &attributes);
    //! The watchdog's ping (see setWatchdogTimeout()).
    void pingWatchdog();

Q_SIGNALS:
    //! This Elector's role changed; from the event loop, in order, never two leaders at once.
    void roleChanged(Conclave::Elector::Role role);
    void leaderChanged(const Conclave::LeaderInfo &leader);             //!< see leader()
    void fencingTokenChanged(qint64 fencingToken);                      //!< see fencingToken()
    void campaigningChanged(bool campaigning);                          //!< see isCampaigning()
    //! Something failed: permanent errors (PermissionDenied, AuthenticationError,
    //! InvalidArgument) stop the campaign, the others are retried.
    void errorOccurred(Conclave::Error error, const QString &message);
    void electionNameChanged(const QString &name);                      //!< see setElectionName()
    void candidateIdChanged(const QString &id);                         //!< see setCandidateId()
    void ttlChanged(std::chrono::seconds ttl);                          //!< see setTtl()
    void leaseIdChanged(qint64 leaseId);                                //!< see leaseId()
    void priorityChanged(int priority);                                 //!< see setPriority()
    void eligibleChanged(bool eligible);                                //!< see setEligible()
    void releaseHeldChanged(bool held);                                 //!< see setReleaseHeld()
    void transitionsChanged(qint64 transitions);                        //!< see transitions()
    void lastRenewalChanged(const QDateTime &lastRenewal);              //!< see lastRenewal()
    void readinessRequiredChanged(bool required);                       //!< see setReadinessRequired()
    void readyChanged(bool ready);                                      //!< see isReady()
    void statusTextChanged(const QString &text);                        //!< see setStatusText()
    void watchdogTimeoutChanged(std::chrono::milliseconds timeout);     //!< see setWatchdogTimeout()
    void eventLoopLagChanged(std::chrono::milliseconds lag);            //!< see eventLoopLag()
    void lastContactChanged(const QDateTime &lastContact);              //!< see lastContact()
    //! error() or errorString() changed (set by a failure, cleared by campaign()).
    void errorChanged();

private:
    Q_DISABLE_COPY_MOVE(Elector)
    Q_DECLARE_PRIVATE(Elector)
    std::unique_ptr<ElectorPrivate> const d_ptr;
};

} // namespace Conclave
