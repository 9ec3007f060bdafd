#pragma once

#include <conclave/conclaveglobal.h>

#include <QtCore/QDateTime>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QUrl>

#include <chrono>
#include <memory>

namespace Conclave {

class Client;
class ClusterStatusPrivate;

//! One etcd member as ClusterStatus last read it. A number that could not be read is -1 and
//! problem() says why (a read-only user may not read every member's status).
struct CONCLAVE_EXPORT MemberStatus
{
    Q_GADGET
    //! name, as a property (QML, QVariant).
    Q_PROPERTY(QString name MEMBER name)
    //! endpoint, as a property (QML, QVariant).
    Q_PROPERTY(QUrl endpoint MEMBER endpoint)
    //! reachable, as a property (QML, QVariant).
    Q_PROPERTY(bool reachable MEMBER reachable)
    //! version, as a property (QML, QVariant).
    Q_PROPERTY(QString version MEMBER version)
    //! isLeader, as a property (QML, QVariant).
    Q_PROPERTY(bool isLeader MEMBER isLeader)
    //! dbSize, as a property (QML, QVariant).
    Q_PROPERTY(qint64 dbSize MEMBER dbSize)
    //! raftTerm, as a property (QML, QVariant).
    Q_PROPERTY(qint64 raftTerm MEMBER raftTerm)
    //! problem, as a property (QML, QVariant).
    Q_PROPERTY(QString problem MEMBER problem)
public:
    quint64 id = 0;          //!< etcd's member id (0: not listed, only configured)
    QString name;            //!< --name of the member (empty for a member not yet started)
    QList<QUrl> clientUrls;  //!< as the member advertises them
    QUrl endpoint;           //!< the client URL it was read through (the first one advertised)
    bool reachable = false;  //!< it answered at the last poll
    QString version;         //!< the member's own etcd version
    bool isLeader = false;   //!< the raft leader, as the members that answered report it
    qint64 dbSize = -1;      //!< bytes of its backend database file
    qint64 raftTerm = -1;    //!< its current raft term
    QString problem;         //!< empty when everything above was read; else what was not, and why
};

/*!
 * \class Conclave::ClusterStatus
 * The etcd cluster beneath the elections: its members, each one's version, database size and
 * raft term, and which of them is the raft leader, read every interval() (default 5 s).
 *
 * The member list comes through the Client; each member is then asked for its status at its own
 * advertised client URL (GET /version and POST /v3/maintenance/status), with the Client's
 * credentials and TLS configuration. A member that does not answer is reported unreachable.
 *
 * etcd's permission rules decide what a user may read: maintenance/status is root-only on etcd
 * 3.5.28-3.5.31, 3.6.9-3.6.11 and 3.4.42+, and the member list on 3.5.28, 3.6.9 and 3.4.42. What
 * cannot be read is left unknown (-1, leaderState() Unknown) and said in MemberStatus::problem
 * and problem(); the member's version and reachability need no permission. Not reaching the
 * cluster at all is not an error of this class: the members are then unreachable.
 */
class CONCLAVE_EXPORT ClusterStatus : public QObject
{
    Q_OBJECT
    //! The property of isRunning(); changes are signalled by runningChanged().
    Q_PROPERTY(bool running READ isRunning NOTIFY runningChanged)
    //! The property of leaderState(); changes are signalled by updated().
    Q_PROPERTY(LeaderState leaderState READ leaderState NOTIFY updated)
    //! The property of problem(); changes are signalled by updated().
    Q_PROPERTY(QString problem READ problem NOTIFY updated)
public:
    //! Whether the etcd cluster has a raft leader, as far as the last poll could tell.
    enum class LeaderState {
        Unknown,   //!< not read yet, no member answered, or the status may not be read
        HasLeader, //!< the members that answered agree on a raft leader
        NoLeader,  //!< a member that answered has no raft leader
    };
    Q_ENUM(LeaderState)

    //! Reads the cluster \a client reaches (its endpoints, credentials and TLS); call start().
    explicit ClusterStatus(Conclave::Client *client, QObject *parent = nullptr);
    ~ClusterStatus() override;

    //! Members by name (before the first listing: the Client's endpoints).
    QList<Conclave::MemberStatus> members() const;
    //! See LeaderState; Unknown before the first poll.
    LeaderState leaderState() const;
    //! The raft leader's member id (0 unless HasLeader).
    quint64 leaderId() const;
    //! etcd's cluster id, from the last answer (0 before one).
    quint64 clusterId() const;
    //! Empty when the whole picture was read; else the first thing that was not, and why.
    QString problem() const;
    //! When the last poll finished (invalid before the first).
    QDateTime updatedAt() const;

    //! How often everything is read again (default 5 s).
    std::chrono::milliseconds interval() const;
    //! How often to read everything again (at least 500 ms).
    void setInterval(std::chrono::milliseconds interval);

    //! True between start() and stop().
    bool isRunning() const;

public Q_SLOTS:
    //! Reads at once, then every interval().
    void start();
    //! Stops polling; answers still on their way are dropped. The last reading stays readable.
    void stop();

Q_SIGNALS:
    //! start() or stop() was called.
    void runningChanged(bool running);
    //! A poll finished: members, leader or problems may have changed.
    void updated();

private:
    Q_DISABLE_COPY_MOVE(ClusterStatus)
    Q_DECLARE_PRIVATE(ClusterStatus)
    std::unique_ptr<ClusterStatusPrivate> const d_ptr;
};

} // namespace Conclave

Q_DECLARE_METATYPE(Conclave::MemberStatus)
