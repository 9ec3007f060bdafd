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
    Q_PROPERTY(QString electionName READ electionName WRITE setElectionName NOTIFY electionNameChanged)
    Q_PROPERTY(Conclave::LeaderInfo leader READ leader NOTIFY leaderChanged)
    Q_PROPERTY(QList<Conclave::LeaderInfo> candidates READ candidates NOTIFY candidatesChanged)
    Q_PROPERTY(bool running READ isRunning NOTIFY runningChanged)
    Q_PROPERTY(bool synced READ isSynced NOTIFY syncedChanged)
    Q_PROPERTY(Conclave::Error error READ error NOTIFY errorChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorChanged)

public:
    explicit ElectionObserver(Conclave::Client *client, QObject *parent = nullptr);
    ~ElectionObserver() override;

    QString electionName() const;
    void setElectionName(const QString &name); //!< only while stopped
    bool isRunning() const;
    //! True once the first listing has arrived (and after every re-listing).
    bool isSynced() const;

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
    QString errorString() const;

public Q_SLOTS:
    void start();
    void stop();

Q_SIGNALS:
    void leaderChanged(const Conclave::LeaderInfo &leader);
    void candidatesChanged();
    void runningChanged(bool running);
    void syncedChanged(bool synced);
    void errorOccurred(Conclave::Error error, const QString &message);
    void errorChanged();
    void electionNameChanged(const QString &name);

private:
    Q_DISABLE_COPY_MOVE(ElectionObserver)
    Q_DECLARE_PRIVATE(ElectionObserver)
    std::unique_ptr<ElectionObserverPrivate> const d_ptr;
};

} // namespace Conclave
