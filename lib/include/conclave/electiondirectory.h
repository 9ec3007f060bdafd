#pragma once

#include <conclave/conclaveglobal.h>
#include <conclave/handover.h>
#include <conclave/leaderinfo.h>
#include <conclave/leasestatus.h>

#include <QtCore/QDateTime>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QSet>
#include <QtCore/QStringList>

#include <chrono>
#include <memory>

namespace Conclave {

class Client;
class Operation;
class ElectionDirectoryPrivate;

/*!
 * \class Conclave::ElectionDirectory
 * Every election under a key prefix, discovered and kept live from one range read and one
 * prefix watch: candidates in queue order, leaders, handovers and their causes, lease TTLs of
 * the leases you ask about, and the administrative actions an operator needs.
 *
 * Every direct child key of `<name>/` is a candidate of election `<name>`, in create-revision
 * order, as every client of etcd's election recipe sees it. An election is discovered by a
 * child named after the lease it is attached to: `<name>/<lease id in hex>` (Conclave, Go's
 * clientv3/concurrency, `etcdctl elect`) or in decimal (etcd3 for Node.js). Candidates that
 * will not leave by themselves (on no lease) or that name a lease they are not on are also
 * reported by strays(). docs/election-protocol.md ("Discovery") says what this can miss.
 *
 * An election stays listed once seen (with no candidates it shows no leader), so an election
 * whose every candidate died remains visible.
 */
class CONCLAVE_EXPORT ElectionDirectory : public QObject
{
    Q_OBJECT
    //! The property of isRunning(); changes are signalled by runningChanged().
    Q_PROPERTY(bool running READ isRunning NOTIFY runningChanged)
    //! The property of isSynced(); changes are signalled by syncedChanged().
    Q_PROPERTY(bool synced READ isSynced NOTIFY syncedChanged)
    //! The property of isConnected(); changes are signalled by connectedChanged().
    Q_PROPERTY(bool connected READ isConnected NOTIFY connectedChanged)
    //! The property of error(); changes are signalled by errorChanged().
    Q_PROPERTY(Conclave::Error error READ error NOTIFY errorChanged)
    //! The property of errorString(); changes are signalled by errorChanged().
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorChanged)
public:
    //! Reads the elections \a client reaches; setPrefix(), then start().
    explicit ElectionDirectory(Conclave::Client *client, QObject *parent = nullptr);
    ~ElectionDirectory() override;

    QString prefix() const; //!< see setPrefix()
    //! Only keys under \a prefix are read and watched (empty: the whole keyspace). While stopped.
    void setPrefix(const QString &prefix);

    bool isRunning() const; //!< true between start() and stop()
    //! True once the listing has arrived and the watch runs; false while re-listing.
    bool isSynced() const;
    //! True while etcd answers: every 2 s while running, a linearizable read of one key under
    //! the prefix (so a member without quorum counts as not connected; needs only read access).
    bool isConnected() const;
    //! The store revision the view reflects.
    qint64 revision() const;
    //! The etcd member's version, from GET /version (empty until known; read again after contact
    //! was lost). Needs no permission.
    QString serverVersion() const;
    //! The last error while listing, watching or polling; NoError once a listing succeeds.
    Conclave::Error error() const;
    QString errorString() const; //!< the last error in words
    //! When etcd last answered anything (listing, event, status); invalid before the first.
    QDateTime lastUpdate() const;

    //! Names of every election seen, sorted.
    QStringList elections() const;
    bool contains(const QString &election) const; //!< whether \a election has been seen
    //! Candidates (every direct child key) oldest (the leader) first.
    QList<Conclave::LeaderInfo> candidates(const QString &election) const;
    Conclave::LeaderInfo leader(const QString &election) const; //!< the first candidate (invalid: none)
    //! The candidates on no lease, or named after a lease they are not attached to.
    QList<Conclave::LeaderInfo> strays(const QString &election) const;
    //! Handovers seen in this election, oldest first (the last 200 are kept).
    QList<Conclave::Handover> history(const QString &election) const;

    //! Leases whose TTL is polled (replaces the previous set); the leases on screen, say.
    void setTrackedLeases(const QSet<qint64> &leases);
    QSet<qint64> trackedLeases() const; //!< see setTrackedLeases()
    /*!
     * At most \a perSecond timetolive refreshes per second (default 50). Each tracked lease is
     * refreshed every second while that allows, less often beyond; remaining TTLs are
     * counted down locally in between. The first reading of a newly tracked lease is not
     * rate-limited, only bounded (16 requests in flight), so that a new screen fills at once.
     */
    void setLeasePollRate(int perSecond);
    int leasePollRate() const; //!< see setLeasePollRate()
    //! What was last learned of a tracked lease (Unknown for one not tracked or not read yet).
    Conclave::LeaseStatus leaseStatus(qint64 leaseId) const;

    /*!
     * Deletes the current leader's key, guarded by its create revision so that only that
     * incarnation of that leader goes (a re-joined candidate is never hit). Fails with
     * Conflict if it left meanwhile, InvalidArgument when the election has no leader.
     */
    Conclave::Operation *resignLeader(const QString &election);
    /*!
     * Asks the Conclave leader of \a election to hand leadership to the candidate with id
     * \a candidateId; finishes once that candidate leads. The leader stops acting first and
     * then, in one txn guarded by every key's create revision, deletes its own key and those of
     * the candidates between (they re-join at the back by themselves): never two leaders, no
     * operator window. Fails at once with InvalidArgument when the candidate is unknown, is not
     * a Conclave candidate, when a non-Conclave candidate would have to be moved (an etcdctl
     * or Go waiter whose key is deleted may later believe it leads without one, etcd issue
     * 19597), when the leader is not a Conclave candidate that takes requests, or when another
     * candidate's higher priority would take leadership straight back; with Conflict when the
     * leader refuses (the queue changed) or someone else leads meanwhile; with TimeoutError when
     * the leader does not act within 5 s. Leading already: finishes at once without error.
     */
    Conclave::Operation *transferLeadership(const QString &election, const QString &candidateId);
    /*!
     * Whether transferLeadership(\a election, \a candidateId) would go ahead, judged on this view
     * by the same rules and writing nothing: empty if it would (or the candidate leads already),
     * else the reason it would be refused with. For previews; the leader still checks the
     * queue when it acts.
     */
    QString transferProblem(const QString &election, const QString &candidateId) const;
    //! Deletes one candidate's key, guarded by its create revision (fencing token).
    Conclave::Operation *evict(const Conclave::LeaderInfo &candidate);
    //! Revokes a lease: every key attached to it goes, in every election.
    Conclave::Operation *revokeLease(qint64 leaseId);
    //! Every key attached to a lease (Operation::keys()).
    Conclave::Operation *leaseKeys(qint64 leaseId);
    /*!
     * Finds out whether the user may delete keys under the prefix, writing nothing: a txn
     * whose compare can never hold carries a delete of the unused key
     * `<prefix>.conclave-write-probe`, and etcd checks permissions for both branches before
     * evaluating compares. PermissionDenied means read-only.
     */
    Conclave::Operation *checkWriteAccess();

public Q_SLOTS:
    void start(); //!< lists the prefix, then watches it and polls etcd's status
    void stop();  //!< stops watching and polling; the last view stays readable

Q_SIGNALS:
    void runningChanged(bool running);           //!< start() or stop()
    void syncedChanged(bool synced);             //!< see isSynced()
    void connectedChanged(bool connected);       //!< see isConnected()
    void electionAdded(const QString &election); //!< an election seen for the first time
    //! Candidates, leader or strays of \a election changed.
    void electionChanged(const QString &election);
    //! Emitted once the cause is known (it may need one lease lookup).
    void handoverRecorded(const Conclave::Handover &handover);
    //! New lease TTL readings arrived.
    void leasesUpdated();
    //! Version, revision or freshness changed.
    void statusChanged();
    void errorOccurred(Conclave::Error error, const QString &message); //!< a listing, watch or poll failed (retried)
    void errorChanged();                                                //!< error() or errorString() changed

private:
    Q_DISABLE_COPY_MOVE(ElectionDirectory)
    Q_DECLARE_PRIVATE(ElectionDirectory)
    std::unique_ptr<ElectionDirectoryPrivate> const d_ptr;
};

} // namespace Conclave

