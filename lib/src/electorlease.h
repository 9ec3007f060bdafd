#pragma once

#include <conclave/conclaveglobal.h>

#include <QtCore/QDateTime>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QObject>

namespace Conclave {

class ElectorPrivate;
class LeaseSession;

/*!
 * The Elector's part that holds its lease: the Client's session for the Elector's TTL (one
 * lease per TTL, shared by the Electors of a Client), its signals passed on to the machine,
 * and the last acknowledged renewal.
 */
class ElectorLease : public QObject
{
    Q_OBJECT
public:
    explicit ElectorLease(ElectorPrivate &d);
    ~ElectorLease() override;

    void acquire(qint64 ttlSeconds);
    //! Gives the session back; the last user's release revokes the lease.
    void release();
    bool isAlive() const;
    qint64 leaseId() const;
    //! Whether this Elector is the only user of the lease (its revoke deletes our key too).
    bool isOnlyUser() const;
    //! Asks etcd at once whether the lease still lives (our key vanished, say).
    void checkNow();
    //! When the right to lead ends (expired unless the lease is proven alive).
    QDeadlineTimer stepDownDeadline() const;
    QDateTime lastRenewal() const { return m_lastRenewal; }

private:
    void onRenewed();
    void onGrantFailed(Error error, const QString &message);

    ElectorPrivate &d;
    LeaseSession *m_session = nullptr;
    QDateTime m_lastRenewal;
};

} // namespace Conclave
