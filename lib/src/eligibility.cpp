// An ineligible candidate: out of the queue, following its election's leader.
#include "eligibility.h"

#include "client_p.h"
#include "election.h"
#include "elector_p.h"
#include "gatewayreply.h"
#include "ownkey.h"
#include "watchhub.h"

namespace Conclave {

Eligibility::Eligibility(ElectorPrivate &d)
    : d(d)
{
}

Eligibility::~Eligibility() = default;

void Eligibility::clear() { m_head.reset(); }

void Eligibility::observe()
{
    if (!d.isCampaigning() || d.eligible)
        return;
    d.own->removeAny();
    d.whenCurrent(d.c->range(Election::headRange(d.name)), this, [this](GatewayReply *reply) { onHead(reply, false); });
}

void Eligibility::onHead(GatewayReply *reply, bool wholeQueue)
{
    RangeResult r;
    if (!d.rangeAnswer(reply, [this] { observe(); }, &r))
        return;
    const QByteArray prefix = Election::prefix(d.name);
    if (!wholeQueue && !r.kvs.isEmpty() && !Election::isCandidateKey(prefix, r.kvs.first().key)) {
        // A sub-election's key is the oldest: the candidates among all.
        d.whenCurrent(d.c->range(Election::queueRange(d.name)), this, [this](GatewayReply *reply) { onHead(reply, true); });
        return;
    }
    const KeyValue head = Election::candidates(prefix, r.kvs).value(0);
    d.setLeaderFrom(head);
    const qint64 from = r.header.revision + 1;
    m_head.reset(head.key.isEmpty() ? d.c->watchHub()->watch(prefix, Codec::prefixEnd(prefix), from, false, nullptr)
                                    : d.c->watchHub()->watchAnchored(head.key, from, nullptr));
    connect(m_head.get(), &Watch::eventsReceived, this, [this](const QList<WatchEvent> &events) {
        if (!d.takeLeaderPut(events.last()))
            observe();
    });
    // A watch can end at any time (compacted, cancelled): read and watch again.
    connect(m_head.get(), &Watch::compacted, this, &Eligibility::observe);
    connect(m_head.get(), &Watch::failed, this, [this](Error e, const QString &message) {
        if (isPermanent(e))
            d.fail(e, message);
        else
            observe();
    });
}

} // namespace Conclave
