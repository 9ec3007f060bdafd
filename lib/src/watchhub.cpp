#include "watchhub.h"
#include "watchhub_p.h"

#include "gatewayreply.h"
#include "backoff.h"
#include "gatewayerror.h"
#include "logging.h"

#include <algorithm>

#include <QtCore/QIODevice>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>

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
    m_mergeTimer.setSingleShot(true);
    connect(&m_mergeTimer, &QTimer::timeout, this, &WatchHub::maybeMerge);
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
    Watch *w = watch(key, {}, startRevision, false, parent);
    w->m_anchored = true;
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
        ++s->dropped;
        releaseIfIdle(s);
        maybeMerge();
    }
}

void WatchHub::scheduleAssign()
{
    if (m_assignScheduled || m_retryTimer.isActive())
        return;
    m_assignScheduled = true;
    // Watches added within a few milliseconds of each other go into one request. While streams
    // pile up faster than merges fold them (hundreds of Electors joining at once), wait longer:
    // every stream holds a connection and its buffers until the next merge.
    if (!m_burstWindow.isValid() || m_burstWindow.elapsed() > BurstWindowMs) {
        m_burstWindow.start();
        m_windowOpenings = m_openings;
    }
    const bool burst = m_streams.size() > streamBudget() + BurstStreams
            || m_openings - m_windowOpenings > BurstOpenings;
    QTimer::singleShot(burst ? BurstCoalesceMs : CoalesceMs, this, &WatchHub::assign);
}

void WatchHub::assign()
{
    m_assignScheduled = false;
    if (m_probe || m_retryTimer.isActive())
        return;
    QList<qint64> ids;
    for (qint64 id : std::as_const(m_unassigned))
        if (m_watches.contains(id) && !ids.contains(id))
            ids.append(id);
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
    for (qsizetype i = 0; i < ids.size(); i += MaxCreatesPerStream)
        openStream(ids.mid(i, MaxCreatesPerStream));
    if (m_mergePending) {
        m_mergePending = false;
        m_merging = m_streams.last();
    }
    maybeMerge();
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

// Streams only ever get added for new watches; when they pile up (or carry many cancelled
// watches), move every confirmed watch onto one fresh stream, make-before-break. One merge at
// a time: the next waits until the previous one's creates are all answered.
int WatchHub::streamBudget() const
{
    return 2 + int(m_watches.size()) / MaxCreatesPerStream;
}

void WatchHub::maybeMerge()
{
    if (m_merging && m_streams.contains(m_merging) && !m_merging->awaiting.isEmpty())
        return;
    int dropped = 0;
    for (const WatchStream *s : std::as_const(m_streams))
        dropped += s->dropped;
    const int budget = streamBudget();
    if (m_streams.size() <= budget && dropped <= 16 + int(m_watches.size()))
        return;
    if (m_lastMerge.isValid() && m_lastMerge.elapsed() < MergeCooldownMs) {
        if (!m_mergeTimer.isActive())
            m_mergeTimer.start(int(MergeCooldownMs - m_lastMerge.elapsed()));
        return;
    }
    m_lastMerge.start();
    qCDebug(lcWatch) << "merging" << m_streams.size() << "watch streams";
    for (WatchStream *s : std::as_const(m_streams))
        s->dropped = 0;
    for (auto it = m_owner.cbegin(); it != m_owner.cend(); ++it)
        if (!m_unassigned.contains(it.key()))
            m_unassigned.append(it.key());
    m_mergePending = true;
    scheduleAssign();
}

void WatchHub::checkSettled()
{
    const bool now = isSettled();
    if (now && !m_wasSettled)
        Q_EMIT settled();
    m_wasSettled = now;
    if (now)
        maybeMerge();
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
