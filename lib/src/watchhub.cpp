#include "watchhub.h"
#include "watchhub_p.h"

#include "gatewayreply.h"
#include "backoff.h"
#include "gatewayerror.h"
#include "logging.h"

#include <algorithm>

#include <QtCore/QSet>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>

namespace Conclave {

using namespace WatchTuning;

Watch::Watch(WatchHub *hub, qint64 id, QObject *parent)
    : QObject(parent)
    , m_hub(hub)
    , m_id(id)
{
}

Watch::~Watch()
{
    if (m_hub)
        m_hub->remove(m_id);
}

WatchHub::WatchHub(ClientPrivate *client)
    : m_client(client)
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &WatchHub::assign);
    connect(&m_auditTimer, &QTimer::timeout, this, &WatchHub::audit);
}

WatchHub::~WatchHub()
{
    if (m_probe) {
        m_probe->disconnect(this);
        m_probe->abort();
    }
    while (!m_streams.isEmpty())
        closeStream(m_streams.first());
    for (Watch *w : std::as_const(m_watches))
        w->m_hub = nullptr;
}

Watch *WatchHub::watch(const QByteArray &key, const QByteArray &rangeEnd, qint64 startRevision,
                       bool prevKv, QObject *parent, Watch::Filter filter)
{
    auto *w = new Watch(this, m_nextId++, parent);
    w->m_key = key;
    w->m_rangeEnd = rangeEnd;
    w->m_next = qMax<qint64>(0, startRevision);
    w->m_prevKv = prevKv;
    w->m_filter = filter;
    m_watches.insert(w->m_id, w);
    m_unassigned.append(w->m_id);
    m_wasSettled = false; // settled() once this one is confirmed too
    qCDebug(lcWatch) << "watch" << w->m_id << "from revision" << w->m_next;
    scheduleAssign();
    return w;
}

Watch *WatchHub::watchAnchored(const QByteArray &key, qint64 startRevision, QObject *parent)
{
    return watchAnchoredRange(key, {}, key, startRevision, parent);
}

Watch *WatchHub::watchAnchoredRange(const QByteArray &key, const QByteArray &rangeEnd, const QByteArray &anchor,
                                    qint64 startRevision, QObject *parent)
{
    Watch *w = watch(key, rangeEnd, startRevision, false, parent);
    w->m_anchored = true;
    w->m_anchor = anchor;
    if (!m_auditTimer.isActive())
        m_auditTimer.start(AuditIntervalMs);
    return w;
}

bool WatchHub::isSettled() const
{
    if (!m_unassigned.isEmpty())
        return false;
    for (const WatchStream *s : m_streams)
        if (!s->awaiting.isEmpty())
            return false;
    return true;
}

void WatchHub::remove(qint64 id)
{
    if (!m_watches.remove(id))
        return;
    m_unassigned.removeAll(id);
    if (WatchStream *s = m_owner.take(id)) {
        --s->owned;
        sendCancel(s, id); // one that is still being created is cancelled once confirmed
        releaseIfIdle(s);
    }
}

void WatchHub::scheduleAssign()
{
    if (m_assignScheduled || m_retryTimer.isActive())
        return;
    m_assignScheduled = true;
    QTimer::singleShot(CoalesceMs, this, &WatchHub::assign);
}

// Whether new creates may be appended to \a s: it is not being replaced, and is at the endpoint
// and with the token the Client uses now.
bool WatchHub::canAppend(const WatchStream *s) const
{
    return !s->replacing && !s->connection->isFinished()
            && s->endpoint == m_client->endpoints().current() && s->token == m_client->auth().token();
}

// Watches waiting for a stream are appended to the one the Client uses; a new stream (the first,
// or one at another endpoint or with a new token) takes over the watches of the others, which
// close once it has confirmed them: one stream, and one connection, however many watches.
void WatchHub::assign()
{
    m_assignScheduled = false;
    if (m_probe || m_retryTimer.isActive())
        return;
    QList<qint64> ids;
    QSet<qint64> seen;
    for (qint64 id : std::as_const(m_unassigned))
        if (m_watches.contains(id) && !seen.contains(id)) {
            seen.insert(id);
            ids.append(id);
        }
    m_unassigned.clear();
    if (ids.isEmpty())
        return;
    m_unassigned = ids;
    for (qint64 id : std::as_const(ids)) {
        if (m_watches.value(id)->m_next == 0) {
            probeRevision();
            return;
        }
    }
    if (!m_client->auth().isReady()) {
        m_client->auth().withToken(this, [this] { scheduleAssign(); },
                                   [this](Error e, const QString &message) {
            Q_EMIT streamLost(e, message);
            for (qint64 id : std::as_const(m_unassigned))
                if (Watch *w = m_watches.value(id)) {
                    endWatch(w);
                    Q_EMIT w->failed(e, message);
                }
        });
        return;
    }
    m_unassigned.clear();
    for (auto it = m_streams.crbegin(); it != m_streams.crend(); ++it) {
        if (canAppend(*it)) {
            sendCreates(*it, ids);
            return;
        }
    }
    for (WatchStream *s : std::as_const(m_streams))
        if (!s->replacing)
            ids += takeOver(s, seen);
    openStream(ids);
}

// A watch "from now" starts at the current revision + 1: starting at the current revision is
// delivered ~100 ms late by etcd 3.4.
void WatchHub::probeRevision()
{
    Watch *first = nullptr;
    for (qint64 id : std::as_const(m_unassigned))
        if (Watch *w = m_watches.value(id); w && w->m_next == 0 && !first)
            first = w;
    m_probe = m_client->range(RangeOptions::ofKey(first->m_key));
    const QPointer<Watch> probed = first;
    onFinished(m_probe, this, [this, probed](GatewayReply *reply) {
        m_probe = nullptr;
        const Error error = reply->error();
        if (isPermanent(error)) {
            if (probed) {
                endWatch(probed);
                Q_EMIT probed->failed(error, reply->errorString());
            }
            scheduleAssign();
            return;
        }
        if (error != Error::NoError) {
            streamBroken(nullptr, error, reply->errorString());
            return;
        }
        const qint64 next = reply->header().revision + 1;
        for (Watch *w : std::as_const(m_watches))
            if (w->m_next == 0)
                w->m_next = next;
        scheduleAssign();
    });
}

void WatchHub::checkSettled()
{
    const bool now = isSettled();
    if (now && !m_wasSettled)
        Q_EMIT settled();
    m_wasSettled = now;
}

qint64 WatchHub::bytesSent() const
{
    qint64 n = m_bytesSent;
    for (const WatchStream *s : m_streams)
        n += s->connection->bytesSent();
    return n;
}

qint64 WatchHub::bytesReceived() const
{
    qint64 n = m_bytesReceived;
    for (const WatchStream *s : m_streams)
        n += s->connection->bytesReceived();
    return n;
}

void WatchHub::setLive(const QList<qint64> &ids, bool live)
{
    QList<QPointer<Watch>> changed;
    for (qint64 id : ids)
        if (Watch *w = m_watches.value(id); w && w->m_live != live)
            changed.append(w);
    for (const QPointer<Watch> &w : std::as_const(changed)) {
        if (!w) // a receiver deleted it
            continue;
        w->m_live = live;
        Q_EMIT w->liveChanged(live);
    }
}

QString WatchHub::where(const WatchStream *s) const
{
    return m_client->endpoints().at(s->endpoint).toDisplayString();
}

} // namespace Conclave
