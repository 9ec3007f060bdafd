#include "leasepoller.h"

#include "client_p.h"
#include "gatewayreply.h"

#include <algorithm>

namespace Conclave {

namespace {
constexpr int MaxPollsInFlight = 16;
constexpr int PollTickMs = 100;
constexpr qint64 KeepUntrackedMs = 600000;
} // namespace

// etcd reports whole seconds rounded down (4 means 4.0 to 4.99 s): count down from the middle
// of that second, never above the granted TTL.
qint64 LeasePoller::Lease::remainingMs() const
{
    const qint64 estimate = qMin(ttl * 1000 + 500, granted * 1000);
    return qMax<qint64>(0, estimate - sinceCheck.elapsed());
}

LeasePoller::LeasePoller(ClientPrivate *client, QObject *parent)
    : QObject(parent)
    , m_client(client)
{
    m_timer.setInterval(PollTickMs);
    connect(&m_timer, &QTimer::timeout, this, &LeasePoller::poll);
    m_clock.start();
}

void LeasePoller::setTracked(const QSet<qint64> &leases)
{
    QSet<qint64> wanted = leases;
    wanted.remove(0);
    m_tracked = wanted;
    // Forget readings of leases nobody tracks any more, except recent ones (handover causes).
    for (auto it = m_leases.begin(); it != m_leases.end();) {
        const bool old = !it->sinceCheck.isValid() || it->sinceCheck.elapsed() > KeepUntrackedMs;
        it = (!wanted.contains(it.key()) && old && !it->inflight) ? m_leases.erase(it) : std::next(it);
    }
    if (m_running && !wanted.isEmpty() && !m_timer.isActive())
        m_timer.start();
    QMetaObject::invokeMethod(this, &LeasePoller::poll, Qt::QueuedConnection);
}

void LeasePoller::setRate(int perSecond)
{
    m_rate = qBound(1, perSecond, 10000);
}

LeaseStatus LeasePoller::status(qint64 lease) const
{
    LeaseStatus s;
    const auto it = m_leases.constFind(lease);
    if (it == m_leases.constEnd() || !it->sinceCheck.isValid())
        return s;
    s.state = it->state;
    s.grantedTtl = std::chrono::seconds(it->granted);
    s.checkedAt = it->checkedAt;
    if (it->state == LeaseStatus::State::Alive)
        s.remaining = std::chrono::milliseconds(it->remainingMs());
    return s;
}

qint64 LeasePoller::provenRemainingMs(qint64 lease) const
{
    const auto it = m_leases.constFind(lease);
    if (it == m_leases.constEnd() || !it->sinceCheck.isValid() || it->state != LeaseStatus::State::Alive)
        return 0;
    return qMax<qint64>(0, it->ttl * 1000 - ProvenSlackMs - it->sinceCheck.elapsed());
}

void LeasePoller::start()
{
    m_running = true;
    if (!m_tracked.isEmpty())
        m_timer.start();
}

void LeasePoller::stop()
{
    m_running = false;
    ++m_generation;
    m_timer.stop();
}

// Leases never read first, then the longest unasked.
QList<qint64> LeasePoller::due(qint64 now) const
{
    const qint64 intervalMs = qMax<qint64>(1000, qint64(m_tracked.size()) * 1000 / qMax(1, m_rate));
    QList<QPair<qint64, qint64>> due; // (last asked, lease)
    for (const qint64 lease : m_tracked) {
        const auto it = m_leases.constFind(lease);
        const Lease l = it == m_leases.constEnd() ? Lease() : *it;
        if (l.inflight || (l.state == LeaseStatus::State::Gone && l.lastAsked >= 0))
            continue;
        if (l.lastAsked < 0 || now - l.lastAsked >= intervalMs)
            due.append({l.lastAsked, lease});
    }
    std::sort(due.begin(), due.end());
    QList<qint64> result;
    for (const auto &[asked, lease] : std::as_const(due))
        result.append(lease);
    return result;
}

void LeasePoller::poll()
{
    if (m_dirty) {
        m_dirty = false;
        Q_EMIT updated();
    }
    if (!m_running || m_tracked.isEmpty())
        return;
    const qint64 now = m_clock.elapsed();
    int budget = qMax(1, m_rate * PollTickMs / 1000);
    for (const qint64 lease : due(now)) {
        // Leases never read only wait for a free slot: the first view of the screen should
        // not trickle in at the sustained rate.
        const bool first = m_leases.value(lease).lastAsked < 0;
        if (m_inFlight >= MaxPollsInFlight || (!first && budget <= 0))
            break;
        if (!first)
            --budget;
        ask(lease, now);
    }
}

void LeasePoller::ask(qint64 lease, qint64 now)
{
    Lease &l = m_leases[lease];
    l.inflight = true;
    l.lastAsked = now;
    ++m_inFlight;
    const int generation = m_generation;
    onFinished(m_client->leaseTimeToLive(lease), this, [this, lease, generation](GatewayReply *reply) {
        --m_inFlight;
        Lease &l = m_leases[lease];
        l.inflight = false;
        if (generation != m_generation)
            return;
        if (reply->error() == Error::LeaseLost) {
            l.state = LeaseStatus::State::Gone;
            l.ttl = -1;
        } else if (reply->error() == Error::NoError) {
            const QJsonObject json = reply->json();
            l.state = LeaseStatus::State::Alive;
            l.ttl = Codec::decodeInt(json.value(QLatin1String("TTL")));
            l.granted = Codec::decodeInt(json.value(QLatin1String("grantedTTL")));
        } else {
            return; // unreachable: the status poll reports that; try again next round
        }
        Q_EMIT answered();
        l.checkedAt = QDateTime::currentDateTimeUtc();
        l.sinceCheck.start();
        m_dirty = true;
    });
}

} // namespace Conclave
