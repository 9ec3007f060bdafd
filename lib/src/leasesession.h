#pragma once

#include "client_p.h"

#include <QtCore/QDateTime>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

namespace Conclave {

class GatewayReply;

/*!
 * One lease shared by every Elector of a Client that asks for the same TTL: grant, keepalive
 * every TTL/3 (one POST each), revoke when the last user leaves.
 *
 * It tells its users when they may no longer rely on the lease: the right to lead ends at the
 * send time of the last acknowledged keepalive + the granted TTL (monotonic clock), and
 * expiring() fires a safety margin (max(1 s, TTL/5)) before that instant. alive() says the
 * lease is proven again (granted, or a renewal acknowledged after expiring()); lost() that
 * etcd no longer knows it (a new one is granted next).
 */
class LeaseSession : public QObject
{
    Q_OBJECT
public:
    enum class State { Granting, Alive, Expiring, Lost };

    LeaseSession(ClientPrivate *client, qint64 ttlSeconds, QObject *parent);
    ~LeaseSession() override;

    State state() const { return m_state; }
    bool isAlive() const { return m_state == State::Alive; }
    qint64 leaseId() const { return m_leaseId; }
    qint64 grantedTtl() const { return m_grantedTtl; }
    qint64 requestedTtl() const { return m_ttl; }
    //! Milliseconds (monotonic) until the margin before the lease's earliest possible expiry.
    qint64 msUntilStepDown() const;
    //! That instant as a deadline (expired unless the lease is proven alive).
    QDeadlineTimer stepDownDeadline() const;
    //! When the last acknowledged renewal (or the grant) was sent, wall clock; invalid before.
    QDateTime lastRenewal() const { return m_lastAckSentAt; }
    //! Asks etcd right away whether the lease still lives (e.g. after our key vanished).
    void checkNow();
    //! Whether the step-down instant has passed while the lease is still taken as alive.
    bool isStepDownDue() const { return m_state == State::Alive && msUntilStepDown() <= 0; }
    //! expiring() now if isStepDownDue() (its timer has not fired yet).
    void stepDownIfDue();
    //! Revokes the lease now (last user gone); the session is deleted afterwards.
    void revokeAndDelete();

Q_SIGNALS:
    void alive(qint64 leaseId);
    void expiring();
    void lost(Conclave::Error error, const QString &message);
    void grantFailed(Conclave::Error error, const QString &message);
    //! A renewal (or the grant) was acknowledged: lastRenewal() moved.
    void renewed();

private:
    void grant();
    void sendKeepAlive();
    struct SentAt
    {
        qint64 ms; // on m_clock
        QDateTime wall;
    };
    SentAt sentNow() const { return {m_clock.elapsed(), QDateTime::currentDateTimeUtc()}; }
    void onKeepAliveFinished(GatewayReply *reply, const SentAt &sentAt);
    void confirmed(const SentAt &sentAt, qint64 ttl);
    void scheduleStepDown();
    void onStepDown();
    void setLost(Error error, const QString &message);
    qint64 marginMs() const;

    ClientPrivate *m_client;
    qint64 m_ttl;
    qint64 m_grantedTtl = 0;
    qint64 m_leaseId = 0;
    State m_state = State::Granting;
    QElapsedTimer m_clock;
    qint64 m_lastAckSentMs = 0;
    QDateTime m_lastAckSentAt;
    QTimer m_keepAliveTimer;
    QTimer m_stepDownTimer;
    QTimer m_grantTimer;
    QPointer<GatewayReply> m_inflight;
    qint64 m_inflightSentMs = 0; // on m_clock
    struct Earlier { QPointer<GatewayReply> reply; qint64 sentMs; };
    QList<Earlier> m_earlier; // late renewals left out beside a fresh one (oldest first)
    void abortEarlier();
    static constexpr qint64 RetryPaceMinMs = 200;
    int m_grantBackoffMs = 0;
};

/*!
 * The LeaseSessions of one Client: one per TTL, shared by every Elector of the Client that asks
 * for that TTL, revoked when its last user releases it. A child of the Client, in the election
 * layer: the transport only knows it as an object to delete before itself.
 */
class LeaseSessions : public QObject
{
    Q_OBJECT
public:
    static LeaseSessions *of(ClientPrivate *client);

    LeaseSession *acquire(qint64 ttlSeconds);
    void release(LeaseSession *session); //!< the last user's release revokes the lease
    int users(LeaseSession *session) const;

    ~LeaseSessions() override;

private:
    explicit LeaseSessions(ClientPrivate *client);
    ClientPrivate *const m_client;
    QHash<qint64, QPair<LeaseSession *, int>> m_sessions;
};

} // namespace Conclave
