#pragma once

#include <conclave/conclaveglobal.h>
#include <conclave/leaderinfo.h>

#include <QtCore/QList>
#include <QtCore/QObject>

#include <chrono>
#include <memory>

namespace Conclave {

class Client;
class ElectionObserverPrivate;

/*!
 * \class Conclave::ElectionObserver
 * Watches one election without taking part: its leader (or none) and every candidate in
 * queue order, live. Works for elections run by Conclave, Go's clientv3/concurrency and
 * `etcdctl elect` alike.
 * \code
 * Conclave::ElectionObserver observer(&client);
 * observer.setElectionName(QStringLiteral("billing/scheduler"));
 * connect(&observer, &Conclave::ElectionObserver::leaderChanged, this, &Ui::showLeader);
 * observer.start();
 * \endcode
 */
class CONCLAVE_EXPORT ElectionObserver : public QObject
{
    Q_OBJECT
    //! The property of electionName(), setElectionName(); changes are signalled by electionNameChanged().
    Q_PROPERTY(QString electionName READ electionName WRITE setElectionName NOTIFY electionNameChanged)
    //! The property of leader(); changes are signalled by leaderChanged().
    Q_PROPERTY(Conclave::LeaderInfo leader READ leader NOTIFY leaderChanged)
    //! The property of candidates(); changes are signalled by candidatesChanged().
    Q_PROPERTY(QList<Conclave::LeaderInfo> candidates READ candidates NOTIFY candidatesChanged)
    //! The property of isRunning(); changes are signalled by runningChanged().
    Q_PROPERTY(bool running READ isRunning NOTIFY runningChanged)
    //! The property of isSynced(); changes are signalled by syncedChanged().
    Q_PROPERTY(bool synced READ isSynced NOTIFY syncedChanged)
    //! The property of error(); changes are signalled by errorChanged().
    Q_PROPERTY(Conclave::Error error READ error NOTIFY errorChanged)
    //! The property of errorString(); changes are signalled by errorChanged().
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorChanged)

public:
    //! Observes through \a client; set the election's name, then start().
    explicit ElectionObserver(Conclave::Client *client, QObject *parent = nullptr);
    ~ElectionObserver() override;

    QString electionName() const; //!< the election observed
    void setElectionName(const QString &name); //!< only while stopped
    bool isRunning() const; //!< true between start() and stop()
    //! True once the first listing has arrived (and after every re-listing).
    bool isSynced() const;

    //! The first candidate in the queue (invalid: nobody leads).
    Conclave::LeaderInfo leader() const;
    /*!
     * Every candidate key `<election>/<hex>`, oldest (the leader) first: the queue exactly as
     * Electors and etcd's recipe wait on it.
     */
    QList<Conclave::LeaderInfo> candidates() const;
    //! The TTL granted to a candidate's lease (read once per lease); 0 s until known.
    std::chrono::seconds grantedTtl(qint64 leaseId) const;
    //! The store revision the view reflects.
    qint64 revision() const;
    //! The last error (an invalid name, a failed listing or watch); NoError once listed.
    Conclave::Error error() const;
    QString errorString() const; //!< the last error in words

public Q_SLOTS:
    void start(); //!< lists the election, then watches it
    void stop();  //!< stops watching; the last view stays readable

Q_SIGNALS:
    void leaderChanged(const Conclave::LeaderInfo &leader);             //!< a new leader, or none
    void candidatesChanged();                                           //!< the queue changed
    void runningChanged(bool running);                                  //!< start() or stop()
    void syncedChanged(bool synced);                                    //!< see isSynced()
    void errorOccurred(Conclave::Error error, const QString &message); //!< a listing or watch failed (it is retried)
    void errorChanged();                                                //!< error() or errorString() changed
    void electionNameChanged(const QString &name);                      //!< setElectionName()

private:
    Q_DISABLE_COPY_MOVE(ElectionObserver)
    Q_DECLARE_PRIVATE(ElectionObserver)
    std::unique_ptr<ElectionObserverPrivate> const d_ptr;
};

} // namespace Conclave
