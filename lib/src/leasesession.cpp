#include "leasesession.h"

#include "gatewayreply.h"
#include "backoff.h"
#include "logging.h"

#include <algorithm>


namespace Conclave {

LeaseSession::LeaseSession(ClientPrivate *client, qint64 ttlSeconds, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_ttl(ttlSeconds)
{
    m_clock.start();
    m_keepAliveTimer.setSingleShot(true);
    m_stepDownTimer.setSingleShot(true);
    m_grantTimer.setSingleShot(true);
    m_checkTimer.setSingleShot(true);
    connect(&m_keepAliveTimer, &QTimer::timeout, this, &LeaseSession::sendKeepAlive);
    connect(&m_stepDownTimer, &QTimer::timeout, this, &LeaseSession::onStepDown);
    connect(&m_grantTimer, &QTimer::timeout, this, &LeaseSession::grant);
    connect(&m_checkTimer, &QTimer::timeout, this, [this] {
        if (m_state == State::Alive || m_state == State::Expiring)
            sendKeepAlive();
    });
    QMetaObject::invokeMethod(this, &LeaseSession::grant, Qt::QueuedConnection);
}

LeaseSession::~LeaseSession()
{
    if (m_granting)
        m_granting->abort();
    abortRenewals();
}

qint64 LeaseSession::marginMs() const
{
    return qMax<qint64>(1000, m_grantedTtl * 1000 / 5);
}

qint64 LeaseSession::paceMs() const
{
    return qMax<qint64>(PaceMinMs, (m_grantedTtl * 1000 - marginMs()) / 3);
}

qint64 LeaseSession::msUntilStepDown() const
{
    return m_lastAckSentMs + m_grantedTtl * 1000 - marginMs() - m_clock.elapsed();
}

QDeadlineTimer LeaseSession::stepDownDeadline() const
{
    if (m_state != State::Alive)
        return QDeadlineTimer(); // expired
    return QDeadlineTimer(qMax<qint64>(0, msUntilStepDown()), Qt::PreciseTimer);
}

void LeaseSession::grant()
{
    if (m_granting)
        m_granting->abort();
    abortRenewals();
    m_state = State::Granting;
    m_keepAliveTimer.stop();
    m_stepDownTimer.stop();
    m_checkTimer.stop();
    const SentAt sentAt = sentNow();
    GatewayReply *reply = m_client->leaseGrant(m_ttl);
    m_granting = reply;
    onFinished(reply, this, [this, sentAt](GatewayReply *reply) {
        if (reply->error() == Error::Cancelled)
            return;
        m_granting = nullptr;
        if (reply->error() != Error::NoError) {
            const int delay = nextBackoffMs(m_grantBackoffMs, 200, m_ttl * 1000);
            qCWarning(lcLease).noquote() << reply->errorString() << "- granting again in" << delay << "ms";
            m_grantTimer.start(delay);
            Q_EMIT grantFailed(reply->error(), reply->errorString());
            return;
        }
        m_grantBackoffMs = 0;
        m_leaseId = Codec::decodeInt(reply->json().value(QLatin1String("ID")));
        m_grantedTtl = qMax<qint64>(1, Codec::decodeInt(reply->json().value(QLatin1String("TTL"))));
        qCInfo(lcLease) << "lease" << QByteArray::number(m_leaseId, 16) << "granted, TTL" << m_grantedTtl;
        confirmed(sentAt, m_grantedTtl);
        m_keepAliveTimer.start(int(qMax<qint64>(0, sentAt.ms + paceMs() - m_clock.elapsed())));
    });
}

void LeaseSession::abortRenewals()
{
    const QList<Renewal> renewals = std::exchange(m_renewals, {});
    for (const Renewal &r : renewals)
        if (r.reply)
            r.reply->abort();
}

// Renewals sent before \a sentBeforeMs got no answer: their connections are taken for
// half-dead, and so are the streams (a later renewal may be answered on a fresh connection,
// while the watches still hang on a dead one: chaos seed 2304).
void LeaseSession::giveUpRenewals(qint64 sentBeforeMs, const QString &why)
{
    qint64 oldestMs = -1;
    for (qsizetype i = 0; i < m_renewals.size();) {
        if (m_renewals.at(i).sentMs >= sentBeforeMs) {
            ++i;
            continue;
        }
        const Renewal r = m_renewals.takeAt(i);
        if (oldestMs < 0)
            oldestMs = r.sentMs;
        if (r.reply)
            r.reply->abort();
    }
    if (oldestMs >= 0)
        m_client->connectionsSuspect(why.arg(m_clock.elapsed() - oldestMs));
}

void LeaseSession::sendKeepAlive()
{
    if (m_state == State::Granting || m_state == State::Lost)
        return;
    // One sent two paces ago would prove at most one pace more, and holds a place on the wire.
    const SentAt sentAt = sentNow();
    giveUpRenewals(sentAt.ms - 2 * paceMs() + 1, QStringLiteral("a lease renewal got no answer within %1 ms"));
    GatewayReply *reply = m_client->leaseKeepAlive(m_leaseId);
    m_renewals.append({reply, sentAt.ms});
    onFinished(reply, this, [this, sentAt](GatewayReply *reply) { onKeepAliveFinished(reply, sentAt); });
    m_keepAliveTimer.start(int(paceMs()));
}

void LeaseSession::onKeepAliveFinished(GatewayReply *reply, const SentAt &sentAt)
{
    if (reply->error() == Error::Cancelled)
        return;
    m_renewals.removeIf([reply](const Renewal &r) { return r.reply == reply || !r.reply; });
    const bool answered = reply->error() == Error::NoError || reply->error() == Error::LeaseLost;
    // etcd answered this one while one sent a pace or more before it hangs: that one's
    // connection is dead, and the streams may be too. Replaced before this answer counts.
    if (answered)
        giveUpRenewals(sentAt.ms - paceMs() + 1,
                       QStringLiteral("a lease renewal sent %1 ms ago got no answer while a later one did"));
    if (reply->error() == Error::LeaseLost) {
        setLost(Error::LeaseLost, reply->errorString());
        return;
    }
    if (reply->error() != Error::NoError) {
        qCWarning(lcLease).noquote() << "keepalive failed:" << reply->errorString();
        // Again at the retry pace from this one's send, if the next is due later than that.
        const qint64 retryAt = sentAt.ms + qMax<qint64>(PaceMinMs, m_grantedTtl * 1000 / 6);
        const qint64 wait = qMax<qint64>(0, retryAt - m_clock.elapsed());
        if (m_keepAliveTimer.isActive() && m_keepAliveTimer.remainingTime() > wait)
            m_keepAliveTimer.start(int(wait));
        return;
    }
    if (m_state == State::Granting || m_state == State::Lost)
        return;
    confirmed(sentAt, Codec::decodeInt(reply->json().value(QLatin1String("TTL"))));
}

void LeaseSession::confirmed(const SentAt &sentAt, qint64 ttl)
{
    if (sentAt.ms > m_lastAckSentMs || m_state == State::Granting) {
        m_lastAckSentMs = sentAt.ms;
        m_lastAckSentAt = sentAt.wall;
    }
    if (ttl > 0)
        m_grantedTtl = ttl;
    scheduleStepDown();
    if (m_state != State::Alive) {
        m_state = State::Alive;
        Q_EMIT alive(m_leaseId);
    }
    Q_EMIT renewed();
}

void LeaseSession::scheduleStepDown()
{
    m_stepDownTimer.start(int(qMax<qint64>(0, msUntilStepDown())));
}

void LeaseSession::onStepDown()
{
    if (m_state != State::Alive)
        return;
    qCWarning(lcLease) << "lease" << QByteArray::number(m_leaseId, 16)
                       << "renewals unacknowledged; stepping down" << marginMs()
                       << "ms before it could expire";
    m_state = State::Expiring;
    Q_EMIT expiring();
}

void LeaseSession::stepDownIfDue()
{
    if (isStepDownDue()) {
        m_stepDownTimer.stop();
        onStepDown();
    }
}

// Many Electors learn of the same thing at once (their keys deleted with the lease): one
// renewal, sent after all of them asked, answers them all.
void LeaseSession::checkNow()
{
    if (m_state == State::Alive || m_state == State::Expiring)
        m_checkTimer.start(0);
}

void LeaseSession::setLost(Error error, const QString &message)
{
    qCWarning(lcLease).noquote() << "lease lost:" << message;
    m_state = State::Lost;
    m_keepAliveTimer.stop();
    m_stepDownTimer.stop();
    m_checkTimer.stop();
    abortRenewals();
    Q_EMIT lost(error, message);
    m_grantTimer.start(nextBackoffMs(m_grantBackoffMs, 100, m_ttl * 1000));
}

void LeaseSession::revokeAndDelete()
{
    m_keepAliveTimer.stop();
    m_stepDownTimer.stop();
    m_grantTimer.stop();
    m_checkTimer.stop();
    if (m_granting)
        m_granting->abort();
    abortRenewals();
    if (m_leaseId && m_state != State::Lost) {
        GatewayReply *reply = m_client->leaseRevoke(m_leaseId);
        const qint64 id = m_leaseId;
        connect(reply, &GatewayReply::finished, reply, [reply, id] {
            if (reply->error() != Error::NoError && reply->error() != Error::LeaseLost)
                qCWarning(lcLease).noquote() << "revoking lease" << QByteArray::number(id, 16)
                                             << "failed; its keys stay until it expires:" << reply->errorString();
            reply->deleteLater();
        });
    }
    deleteLater();
}

LeaseSessions *LeaseSessions::of(ClientPrivate *client)
{
    return client->companion<LeaseSessions>([client] {
        auto *sessions = new LeaseSessions(client);
        client->deleteBeforeTransport(sessions); // its sessions' calls need the transport
        return sessions;
    });
}

LeaseSessions::LeaseSessions(ClientPrivate *client)
    : QObject(client->q_ptr)
    , m_client(client)
{
    // A frozen process's timers and sockets all wake at once, the sockets first: the lease's
    // step-down must not wait behind the backlog of events (client_p.h, beforeDelivery).
    // It runs before every answer and stream read: nothing is copied unless a step-down is due.
    client->beforeDelivery = [this] {
        if (std::none_of(m_sessions.cbegin(), m_sessions.cend(),
                         [](const auto &entry) { return entry.first && entry.first->isStepDownDue(); }))
            return;
        QList<QPointer<LeaseSession>> sessions; // a step-down may release one
        for (const auto &entry : std::as_const(m_sessions))
            sessions.append(entry.first);
        for (const QPointer<LeaseSession> &session : std::as_const(sessions))
            if (session)
                session->stepDownIfDue();
    };
}

LeaseSessions::~LeaseSessions()
{
    m_client->beforeDelivery = nullptr;
}

LeaseSession *LeaseSessions::acquire(qint64 ttlSeconds)
{
    auto &entry = m_sessions[ttlSeconds];
    if (!entry.first)
        entry.first = new LeaseSession(m_client, ttlSeconds, this);
    ++entry.second;
    return entry.first;
}

int LeaseSessions::users(LeaseSession *session) const
{
    const auto it = m_sessions.constFind(session->requestedTtl());
    return it != m_sessions.constEnd() && it->first == session ? it->second : 0;
}

void LeaseSessions::release(LeaseSession *session)
{
    auto it = m_sessions.find(session->requestedTtl());
    if (it == m_sessions.end() || it->first != session || --it->second > 0)
        return;
    m_sessions.erase(it);
    session->revokeAndDelete();
}

} // namespace Conclave
