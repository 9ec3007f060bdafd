#include "handovertracker.h"

#include "client_p.h"
#include "gatewayreply.h"
#include "leasepoller.h"
#include "logging.h"

#include <algorithm>

namespace Conclave {

namespace {

constexpr int HistoryLimit = 200;
// A lease last seen with this little left, then gone, ran out; with more, it was revoked.
constexpr qint64 ExpiryMarginMs = 1500;

QByteArray incarnation(const LeaderInfo &info)
{
    return info.key() + '@' + QByteArray::number(info.fencingToken());
}

} // namespace

HandoverTracker::HandoverTracker(ClientPrivate *client, const LeasePoller *leases, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_leases(leases)
{
}

void HandoverTracker::expectEviction(const LeaderInfo &candidate)
{
    m_evicted.insert(incarnation(candidate));
}

void HandoverTracker::cancelEviction(const LeaderInfo &candidate)
{
    m_evicted.remove(incarnation(candidate));
}

void HandoverTracker::expectTransfer(const LeaderInfo &leader)
{
    m_transferred.insert(incarnation(leader));
}

void HandoverTracker::cancelTransfer(const LeaderInfo &leader)
{
    m_transferred.remove(incarnation(leader));
}

void HandoverTracker::noteRequest(const QString &election, const QByteArray &leaderKey, qint64 leaderRevision)
{
    m_requested.insert(election, leaderKey + '@' + QByteArray::number(leaderRevision));
}

void HandoverTracker::forgetRequest(const QString &election)
{
    m_requested.remove(election);
}

void HandoverTracker::record(const ElectionIndex::LeaderChange &change)
{
    Handover h;
    h.election = change.election;
    h.previous = change.previous;
    h.next = change.next;
    h.at = QDateTime::currentDateTimeUtc();
    h.revision = change.revision;
    if (!h.previous.isValid()) {
        h.cause = Handover::Cause::Elected;
        commit(h);
        return;
    }
    if (m_evicted.remove(incarnation(h.previous))) {
        h.cause = Handover::Cause::Evicted;
        commit(h);
        return;
    }
    const auto requested = m_requested.constFind(h.election);
    const bool asked = requested != m_requested.cend() && *requested == incarnation(h.previous);
    if (asked)
        m_requested.erase(requested);
    if (m_transferred.remove(incarnation(h.previous)) || asked) {
        h.cause = Handover::Cause::Transferred;
        commit(h);
        return;
    }
    // The key went. Did its lease outlive it (a resign) or end with it (expiry, revocation)?
    // Read the lease now; the TTL last seen tells expiry from revocation.
    const LeaseStatus known = m_leases->status(h.previous.leaseId());
    const bool wasAlive = known.state == LeaseStatus::State::Alive;
    const qint64 leftMs = wasAlive ? qint64(known.remaining.count()) : 0;
    // etcd's reading was whole seconds rounded down: a lease gone while that reading still
    // proves time left was revoked, whatever the estimate from the middle of the second says
    // (TTL 3 s renewed every second reads "2" and counts down below the margin within a poll).
    const bool surelyAlive = m_leases->provenRemainingMs(h.previous.leaseId()) > 0;
    onFinished(m_client->leaseTimeToLive(h.previous.leaseId()), this,
               [this, h, wasAlive, leftMs, surelyAlive](GatewayReply *reply) mutable {
        if (reply->error() == Error::NoError)
            h.cause = Handover::Cause::Resigned;
        else if (reply->error() == Error::LeaseLost && wasAlive)
            h.cause = leftMs <= ExpiryMarginMs && !surelyAlive ? Handover::Cause::LeaseExpired
                                                               : Handover::Cause::LeaseRevoked;
        else
            h.cause = Handover::Cause::Unknown;
        commit(h);
    });
}

void HandoverTracker::commit(const Handover &handover)
{
    QList<Handover> &history = m_history[handover.election];
    const auto at = std::upper_bound(history.begin(), history.end(), handover,
                                     [](const Handover &a, const Handover &b) {
                                         return a.revision < b.revision;
                                     });
    history.insert(at, handover);
    while (history.size() > HistoryLimit)
        history.removeFirst();
    qCInfo(lcDirectory).noquote() << "election" << handover.election << "leader"
                                  << (handover.previous.isValid() ? handover.previous.id() : QStringLiteral("-"))
                                  << "->" << (handover.next.isValid() ? handover.next.id() : QStringLiteral("-"))
                                  << causeName(handover.cause);
    Q_EMIT handoverRecorded(handover);
}

} // namespace Conclave
