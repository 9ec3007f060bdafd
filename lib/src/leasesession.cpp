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
    connect(&m_keepAliveTimer, &QTimer::timeout, this, &LeaseSession::sendKeepAlive);
    connect(&m_stepDownTimer, &QTimer::timeout, this, &LeaseSession::onStepDown);
    connect(&m_grantTimer, &QTimer::timeout, this, &LeaseSession::grant);
    QMetaObject::invokeMethod(this, &LeaseSession::grant, Qt::QueuedConnection);
}

LeaseSession::~LeaseSession()
{
    if (m_inflight)
        m_inflight->abort();
    abortEarlier();
}

void LeaseSession::abortEarlier()
{
    for (const Earlier &e : std::exchange(m_earlier, {}))
        if (e.reply)
            e.reply->abort();
}

qint64 LeaseSession::marginMs() const
{
    return qMax<qint64>(1000, m_grantedTtl * 1000 / 5);
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
    if (m_inflight)
        m_inflight->abort();
    abortEarlier();
    m_state = State::Granting;
    m_keepAliveTimer.stop();
    m_stepDownTimer.stop();
    const SentAt sentAt = sentNow();
    GatewayReply *reply = m_client->leaseGrant(m_ttl);
    m_inflight = reply;
    onFinished(reply, this, [this, sentAt](GatewayReply *reply) {
        if (reply->error() == Error::Cancelled)
            return;
        m_inflight = nullptr;
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
    });
}

void LeaseSession::sendKeepAlive()
{
    if (m_state == State::Granting || m_state == State::Lost)
        return;
    if (m_inflight) {
        const qint64 hungMs = m_clock.elapsed() - m_inflightSentMs;
        if (hungMs < RetryPaceMinMs) { // sent just before by checkNow(): this one replaces it
            m_inflight->abort();
        } else {
            // Late: etcd may only be slow (under load it answers in 300-700 ms), and an answer
            // still proves the lease, so it stays out; a fresh renewal goes beside it. If the
            // fresh one is answered first, the late one's connection is silent while etcd
            // answers: that is a half-dead connection (onKeepAliveFinished).
            m_earlier.append({m_inflight, m_inflightSentMs});
            while (m_earlier.size() > 2) {
                if (m_earlier.first().reply)
                    m_earlier.first().reply->abort();
                m_earlier.removeFirst();
            }
        }
    }
    const SentAt sentAt = sentNow();
    m_inflightSentMs = sentAt.ms;
    GatewayReply *reply = m_client->leaseKeepAlive(m_leaseId);
    m_inflight = reply;
    onFinished(reply, this, [this, sentAt](GatewayReply *reply) { onKeepAliveFinished(reply, sentAt); });
    // Next attempt at TTL/3 if this one succeeds; sooner (retry) if it fails or hangs.
    m_keepAliveTimer.start(int(qMax<qint64>(RetryPaceMinMs, m_grantedTtl * 1000 / 6)));
}

void LeaseSession::onKeepAliveFinished(GatewayReply *reply, const SentAt &sentAt)
{
    if (reply->error() == Error::Cancelled)
        return;
    const bool latest = m_inflight == reply;
    if (latest)
        m_inflight = nullptr;
    m_earlier.removeIf([reply](const Earlier &e) { return e.reply == reply || !e.reply; });
    if (reply->error() == Error::NoError && latest && !m_earlier.isEmpty()) {
        const qint64 silentMs = m_clock.elapsed() - m_earlier.first().sentMs;
        abortEarlier();
        m_client->connectionsSuspect(QStringLiteral("a lease renewal got no answer within %1 ms while a later one was answered")
                                             .arg(silentMs));
    }
    if (reply->error() == Error::LeaseLost) {
        setLost(Error::LeaseLost, reply->errorString());
        return;
    }
    if (reply->error() != Error::NoError) {
        qCWarning(lcLease).noquote() << "keepalive failed:" << reply->errorString();
        return; // the keepalive timer already runs at the retry pace
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
    m_keepAliveTimer.start(int(qMax<qint64>(200, m_grantedTtl * 1000 / 3)));
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

void LeaseSession::checkNow()
{
    if (m_state != State::Alive && m_state != State::Expiring)
        return;
    // A renewal sent a moment ago, after whatever made the caller ask, answers as well: a batch
    // refused for an unknown lease fails 100+ creates in one turn of the loop, each of which
    // asks (without this, each aborted the renewal before it and sent one more).
    constexpr qint64 JustSentMs = 10;
    if (m_inflight && m_clock.elapsed() - m_inflightSentMs < JustSentMs)
        return;
    sendKeepAlive();
}

void LeaseSession::setLost(Error error, const QString &message)
{
    qCWarning(lcLease).noquote() << "lease lost:" << message;
    m_state = State::Lost;
    m_keepAliveTimer.stop();
    m_stepDownTimer.stop();
    Q_EMIT lost(error, message);
    m_grantTimer.start(nextBackoffMs(m_grantBackoffMs, 100, m_ttl * 1000));
}

void LeaseSession::revokeAndDelete()
{
    m_keepAliveTimer.stop();
    m_stepDownTimer.stop();
    m_grantTimer.stop();
    if (m_inflight)
        m_inflight->abort();
    abortEarlier();
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
