#include "watchhub.h"

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

namespace {
// How long a stream may stay quiet while creates are unconfirmed before we conclude that the
// gateway dropped them (it answers in milliseconds; a false alarm only costs a spare stream).
constexpr int QuietMs = 300;
constexpr int FirstReplyMs = 5000;
constexpr int StreamsPerNam = 5; // QNAM allows 6 connections per host
constexpr int CoalesceMs = 5;
// More streams than the budget by this many: a burst of new watches (see scheduleAssign).
constexpr int BurstStreams = 4;
// ... or more than this many streams opened within BurstWindowMs.
constexpr int BurstOpenings = 16;
constexpr int BurstWindowMs = 500;
constexpr int BurstCoalesceMs = 100;
// Go's HTTP/1.1 server discards the unread rest of a request body when the handler writes its
// first reply, unless that rest is this big or bigger (net/http maxPostHandlerReadBytes); then
// it leaves the body to the handler. A body with more than a few creates ends with more
// whitespace than that: either every request in it was read before the first reply (only
// whitespace is discarded) or the rest is too big to discard and the gateway reads it all.
// Debian's etcd 3.5 (grpc-gateway v2) answers the first create so quickly that even the second
// line of a two-create body was discarded (its log: "invalid Read on closed Body"), about
// once a run: that watch waited QuietMs to be placed again, and a candidate that had just
// become first led, stepped down for want of its own-key watch, and led again. So every body
// with more than one create is padded; a single create is the body's first line and is
// always read before the reply.
constexpr int GoDiscardLimit = 256 * 1024;
constexpr int PadAboveCreates = 1;
// A stream's body holds this many creates at most (the gateway reads ~100 bytes each).
constexpr int MaxCreatesPerStream = 2048;
// etcd's default --max-txn-ops: an audit txn holds this many ranges at most.
constexpr int MaxOpsPerTxn = 128;
// Merging again too soon can chase its own spills; leave streams alone for a while.
constexpr int MergeCooldownMs = 2000;
} // namespace

// A request body that ends in \a pad spaces it does not store (a stream's body lives as long as
// the stream; a quarter of a megabyte of padding per stream would be most of a Client's memory).
class PaddedBody : public QIODevice
{
public:
    PaddedBody(QByteArray body, qint64 pad, QObject *parent)
        : QIODevice(parent), m_body(std::move(body)), m_size(m_body.size() + pad)
    {
        open(QIODevice::ReadOnly);
    }
    qint64 size() const override { return m_size; }

protected:
    qint64 readData(char *data, qint64 maxSize) override
    {
        const qint64 at = pos();
        const qint64 n = qMin(maxSize, m_size - at);
        if (n <= 0)
            return -1;
        const qint64 fromBody = qBound<qint64>(0, m_body.size() - at, n);
        if (fromBody > 0)
            memcpy(data, m_body.constData() + at, size_t(fromBody));
        memset(data + fromBody, ' ', size_t(n - fromBody));
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QByteArray m_body;
    qint64 m_size;
};

struct WatchStream
{
    QPointer<QNetworkReply> reply;
    QNetworkAccessManager *nam = nullptr;
    WatchStreamParser parser;
    QList<qint64> awaiting; // creates sent, not yet confirmed, in body order
    int owned = 0;          // watches this stream delivers
    int dropped = 0;        // watches cancelled locally but still open on the server
    int endpoint = 0;
    QByteArray token; // the auth token it was opened with
    bool settled = false;
    bool replacing = false; // its watches are being moved to a new stream
    QList<QPointer<GatewayReply>> audits; // one txn per MaxOpsPerTxn anchored watches
    QTimer quiet;
};

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

QNetworkAccessManager *WatchHub::namForNewStream()
{
    for (QNetworkAccessManager *nam : std::as_const(m_nams)) {
        int used = 0;
        for (const WatchStream *s : std::as_const(m_streams))
            used += s->nam == nam;
        if (used < StreamsPerNam)
            return nam;
    }
    m_nams.append(new QNetworkAccessManager(this));
    return m_nams.last();
}

void WatchHub::openStream(const QList<qint64> &ids)
{
    auto *s = new WatchStream;
    QByteArray body;
    for (qint64 id : ids) {
        const Watch *w = m_watches.value(id);
        QJsonObject create{{QStringLiteral("key"), Codec::encodeBytes(w->m_key)},
                           {QStringLiteral("start_revision"), Codec::encodeInt(w->m_next)},
                           {QStringLiteral("watch_id"), Codec::encodeInt(w->m_id)},
                           {QStringLiteral("progress_notify"), true}};
        if (!w->m_rangeEnd.isEmpty())
            create.insert(QStringLiteral("range_end"), Codec::encodeBytes(w->m_rangeEnd));
        if (w->m_prevKv)
            create.insert(QStringLiteral("prev_kv"), true);
        if (w->m_filter == Watch::Filter::NoDelete) // etcd drops the deletes: nothing is sent
            create.insert(QStringLiteral("filters"), QJsonArray{QStringLiteral("NODELETE")});
        body += QJsonDocument(QJsonObject{{QStringLiteral("create_request"), create}})
                        .toJson(QJsonDocument::Compact);
        body += '\n';
        s->awaiting.append(id);
    }
    // If answered, proof that the whole body was read (the gateway reads it in order). Not a
    // barrier: 3.5 may answer it before some of the creates' answers, drops it while any watch
    // replays history, and 3.5.22+ while any starts in the future (ours do); so streams settle
    // on the creates' own answers, and the quiet timer re-sends any the gateway dropped.
    body += "{\"progress_request\":{}}\n";
    s->endpoint = m_client->endpoints().current();
    s->token = m_client->auth().token();
    s->nam = namForNewStream();
    const QNetworkRequest request = m_client->makeRequest(m_client->endpoints().at(s->endpoint),
                                                          "/v3/watch", s->token);
    ++m_openings;
    m_streams.append(s);
    qCDebug(lcWatch) << "opening watch stream with" << ids.size() << "watches at" << where(s);
    if (ids.size() > PadAboveCreates) {
        auto *padded = new PaddedBody(body, GoDiscardLimit + 1024, nullptr);
        s->reply = s->nam->post(request, padded);
        padded->setParent(s->reply);
    } else {
        s->reply = s->nam->post(request, body);
    }
    connect(s->reply, &QNetworkReply::readyRead, this, [this, s] { onReadyRead(s); });
    connect(s->reply, &QNetworkReply::finished, this, [this, s] { onStreamFinished(s); });
    s->quiet.setSingleShot(true);
    connect(&s->quiet, &QTimer::timeout, this, [this, s] { onSettleTimeout(s); });
    s->quiet.start(FirstReplyMs);
}

void WatchHub::closeStream(WatchStream *s)
{
    if (m_merging == s)
        m_merging = nullptr;
    m_streams.removeAll(s);
    for (auto it = m_owner.begin(); it != m_owner.end();)
        it = it.value() == s ? m_owner.erase(it) : std::next(it);
    if (QNetworkReply *reply = s->reply) {
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
    for (const QPointer<GatewayReply> &audit : std::as_const(s->audits)) {
        if (audit) {
            audit->disconnect(this);
            audit->abort();
        }
    }
    delete s;
}

void WatchHub::onReadyRead(WatchStream *s)
{
    handleMessages(s, s->parser.feed(s->reply->readAll()));
}

void WatchHub::onStreamFinished(WatchStream *s)
{
    QNetworkReply *reply = s->reply;
    const QByteArray tail = reply->readAll();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status != 0 && status != 200) { // a unary-shaped error before the first message
        const GatewayFailure failure = GatewayErrors::fromReply(status, s->parser.pending() + tail);
        streamBroken(s, failure.error, QStringLiteral("HTTP %1: %2").arg(status).arg(failure.message));
        return;
    }
    if (!handleMessages(s, s->parser.feed(tail) + s->parser.finish()))
        return; // the stream is gone
    if (reply->error() == QNetworkReply::SslHandshakeFailedError)
        streamBroken(s, Error::TlsError, reply->errorString());
    else
        streamBroken(s, Error::ConnectionError, reply->error() == QNetworkReply::NoError
                                                        ? QStringLiteral("stream ended")
                                                        : reply->errorString());
}

void WatchHub::onSettleTimeout(WatchStream *s)
{
    if (s->awaiting.isEmpty())
        return;
    if (s->owned == 0 && s->dropped == 0) {
        streamBroken(s, Error::TimeoutError, QStringLiteral("no answer to watch creation"));
        return;
    }
    qCDebug(lcWatch) << s->awaiting.size() << "creates were dropped by the gateway; re-sending";
    for (qint64 id : std::as_const(s->awaiting))
        m_unassigned.append(id);
    s->awaiting.clear();
    releaseIfIdle(s);
    scheduleAssign();
    maybeMerge();
}

bool WatchHub::handleMessages(WatchStream *s, const QList<WatchMessage> &messages)
{
    const QPointer<QNetworkReply> alive = s->reply;
    for (const WatchMessage &m : messages) {
        switch (m.kind) {
        case WatchMessage::Kind::Error:
            streamBroken(s, m.error, m.errorString);
            return false;
        case WatchMessage::Kind::Created:
            // Only answers to our creates count as progress: a busy stream's events must not
            // keep postponing the verdict on creates the gateway dropped.
            handleCreated(s, m);
            if (m_streams.contains(s) && !s->awaiting.isEmpty()) {
                s->quiet.start(QuietMs);
            } else if (m_streams.contains(s)) {
                s->quiet.stop(); // every create answered: settled, whatever the progress answer does
                checkSettled();
            }
            break;
        case WatchMessage::Kind::Canceled:
            handleCanceled(s, m);
            break;
        case WatchMessage::Kind::Progress:
            s->settled = true; // our trailing progress_request: the whole body was read
            if (s->awaiting.isEmpty())
                s->quiet.stop();
            checkSettled();
            break;
        case WatchMessage::Kind::Events:
            handleEvents(s, m);
            break;
        }
        if (!m_streams.contains(s) || !alive)
            return false;
    }
    return true;
}

void WatchHub::handleCreated(WatchStream *s, const WatchMessage &m)
{
    if (s->awaiting.isEmpty()) {
        streamBroken(s, Error::ProtocolError, QStringLiteral("unexpected 'created' message"));
        return;
    }
    // Creates are answered in body order; a refused one says watch_id -1, so count them.
    const qint64 id = s->awaiting.takeFirst();
    const QPointer<Watch> w = m_watches.value(id);
    if (!w) {
        ++s->dropped;
        releaseIfIdle(s);
        return;
    }
    if (m.canceled) {
        const QString &reason = m.cancelReason;
        const Error error = GatewayErrors::fromCancelReason(reason).error;
        if (error == Error::AuthenticationError && !m_authRetried && m_client->auth().rejected(s->token)) {
            m_authRetried = true;
            m_unassigned.append(id);
            scheduleAssign();
            return;
        }
        endWatch(w);
        Q_EMIT w->failed(error, QStringLiteral("watch refused by %1: %2").arg(where(s), reason));
        return;
    }
    if (WatchStream *previous = m_owner.value(id); previous && previous != s) {
        --previous->owned; // moved here (merge): the old stream stops delivering it
        ++previous->dropped;
        releaseIfIdle(previous);
    }
    m_owner.insert(id, s);
    ++s->owned;
    m_backoffMs = 0;
    m_authRetried = false;
    if (!w->m_confirmed) {
        w->m_confirmed = true;
        Q_EMIT w->created();
    }
    if (w && !w->m_live) {
        w->m_live = true;
        Q_EMIT w->liveChanged(true);
    }
}

void WatchHub::handleCanceled(WatchStream *s, const WatchMessage &m)
{
    Watch *w = m_watches.value(m.watchId);
    if (!w || m_owner.value(m.watchId) != s)
        return; // a watch we dropped or moved
    endWatch(w);
    if (m.compactRevision > 0) {
        qCWarning(lcWatch) << "watch" << m.watchId << "compacted at" << m.compactRevision;
        Q_EMIT w->compacted(m.compactRevision);
    } else {
        Q_EMIT w->failed(GatewayErrors::fromCancelReason(m.cancelReason).error,
                         QStringLiteral("watch cancelled by %1: %2").arg(where(s), m.cancelReason));
    }
}

void WatchHub::handleEvents(WatchStream *s, const WatchMessage &m)
{
    Watch *w = m_watches.value(m.watchId);
    if (!w || m_owner.value(m.watchId) != s)
        return;
    QList<WatchEvent> events;
    events.reserve(m.events.size());
    for (const WatchEvent &e : m.events)
        if (e.kv.modRevision >= w->m_next) // drop anything already delivered
            events.append(e);
    if (events.isEmpty()) {
        if (m.events.isEmpty() && m.header.revision >= w->m_next) { // progress: nothing missed
            w->m_next = m.header.revision + 1;
            Q_EMIT w->progress(m.header.revision);
        }
        return;
    }
    w->m_next = events.last().kv.modRevision + 1;
    w->m_lastWasDelete = events.last().type == WatchEvent::Type::Delete;
    Q_EMIT eventsDelivered(w->m_key, events);
    Q_EMIT w->eventsReceived(events);
}

void WatchHub::endWatch(Watch *watch)
{
    watch->m_active = false;
    watch->m_live = false;
    m_watches.remove(watch->m_id);
    m_unassigned.removeAll(watch->m_id);
    if (WatchStream *s = m_owner.take(watch->m_id)) {
        --s->owned;
        releaseIfIdle(s);
    }
}

void WatchHub::releaseIfIdle(WatchStream *s)
{
    if (s->owned <= 0 && s->awaiting.isEmpty() && m_streams.contains(s))
        closeStream(s);
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

void WatchHub::streamBroken(WatchStream *s, Error error, const QString &message)
{
    const QString text = QStringLiteral("watch stream via %1: %2")
                                 .arg(s ? where(s) : m_client->endpoints().at(m_client->endpoints().current())
                                                             .toDisplayString(),
                                      message);
    QList<qint64> interrupted;
    if (s) {
        for (auto it = m_owner.cbegin(); it != m_owner.cend(); ++it)
            if (it.value() == s)
                interrupted.append(it.key());
        m_unassigned += interrupted;
        m_unassigned += s->awaiting;
        if (error == Error::ConnectionError || error == Error::Unavailable
            || error == Error::TimeoutError)
            m_client->markEndpointFailed(s->endpoint);
        closeStream(s);
    }
    if (error == Error::AuthenticationError)
        m_client->auth().rejected(s ? s->token : m_client->auth().token());
    m_wasSettled = false;
    const int delay = nextBackoffMs(m_backoffMs, 50, 2000);
    qCWarning(lcWatch).noquote() << text << "- resuming in" << delay << "ms";
    m_retryTimer.start(delay);
    Q_EMIT streamLost(error, text);
    setLive(interrupted, false);
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

// A stream whose connection went half-dead (bytes dropped, never reset) says nothing, and with
// HTTP/1.1 nothing can be sent on it to ask. So about once a second each stream's anchored
// watches are checked against etcd with one read-only txn (keys only): a key whose revisions
// show a change the stream has not delivered (within MissGraceMs), or an audit that hangs,
// gets every stream replaced (make-before-break: the watches resume elsewhere from where they
// were, nothing is lost).
// A key unchanged since the watch's resume point proves that nothing was missed up to the
// txn's revision, so the resume point moves there: a stream re-opened after a compaction then
// starts at a recent revision and is not refused as compacted.
void WatchHub::audit()
{
    for (WatchStream *s : std::as_const(m_streams)) {
        if (!s->audits.isEmpty() || s->replacing)
            continue;
        QList<qint64> ids;
        QJsonArray ops;
        auto send = [&] {
            GatewayReply *reply = m_client->txn({}, ops, {});
            reply->setTimeout(std::chrono::milliseconds(AuditTimeoutMs));
            s->audits.append(reply);
            onFinished(reply, this, [this, s, ids](GatewayReply *reply) {
                s->audits.removeAll(reply);
                onAudited(s, reply, ids);
            });
            ids.clear();
            ops = QJsonArray();
        };
        for (auto it = m_owner.cbegin(); it != m_owner.cend(); ++it) {
            const Watch *w = it.value() == s ? m_watches.value(it.key()) : nullptr;
            if (!w || !w->m_anchored)
                continue;
            RangeOptions o = RangeOptions::ofKey(w->m_key);
            o.keysOnly = true;
            ops.append(Codec::opRange(Codec::rangeRequest(o)));
            ids.append(w->m_id);
            if (ops.size() == MaxOpsPerTxn)
                send();
        }
        if (!ids.isEmpty())
            send();
    }
    if (std::none_of(m_watches.cbegin(), m_watches.cend(), [](const Watch *w) { return w->m_anchored; }))
        m_auditTimer.stop();
}

void WatchHub::onAudited(WatchStream *s, GatewayReply *reply, const QList<qint64> &ids)
{
    if (reply->error() == Error::TimeoutError) {
        replaceAllStreams(QStringLiteral("an audit got no answer within %1 ms").arg(AuditTimeoutMs));
        return;
    }
    if (reply->error() != Error::NoError)
        return; // etcd unreachable or refusing: the stream breaks or recovers on its own
    const TxnResult t = Codec::parseTxn(reply->json());
    const qint64 revision = t.header.revision;
    for (qsizetype i = 0; i < ids.size() && i < t.responses.size(); ++i) {
        Watch *w = m_watches.value(ids[i]);
        if (!w || m_owner.value(ids[i]) != s)
            continue;
        bool ok = false;
        const RangeResult r = Codec::parseRange(
                t.responses[i].toObject().value(QLatin1String("response_range")).toObject(), &ok);
        if (!ok)
            return;
        const qint64 modified = r.kvs.isEmpty() ? 0 : r.kvs.first().modRevision;
        if (!missed(w, modified, revision)) {
            if (w->m_next <= revision)
                w->m_next = revision + 1; // nothing happened to the key up to here
            continue;
        }
        // The change may be on its way: give the stream a moment to deliver it.
        const QPointer<Watch> watch = w;
        QTimer::singleShot(MissGraceMs, this, [this, watch, modified, revision] {
            if (watch && watch->m_active && missed(watch, modified, revision))
                replaceAllStreams(QStringLiteral("a stream has not delivered a change of %1 that "
                                                 "etcd showed at revision %2")
                                          .arg(QString::fromUtf8(watch->m_key)).arg(revision));
        });
        return;
    }
}

// Whether \a w has not delivered what a read at \a revision showed of its key: a modification
// at \a modified (0: the key was gone).
bool WatchHub::missed(const Watch *w, qint64 modified, qint64 revision)
{
    if (modified)
        return modified >= w->m_next;
    return !w->m_lastWasDelete && w->m_next <= revision;
}

// One stream found silent means its connection went half-dead, and whatever did that (a NAT,
// a load balancer, a proxy forgetting flows) has most likely done it to the Client's other
// connections too, including streams whose keys have not changed yet. So every stream is
// replaced, make-before-break: rare, and it costs one request per stream.
void WatchHub::replaceAllStreams(const QString &why)
{
    qCWarning(lcWatch).noquote() << "replacing every watch stream:" << why;
    const QList<WatchStream *> streams = m_streams;
    for (WatchStream *s : streams) {
        if (s->replacing)
            continue;
        s->replacing = true;
        ++m_replacements;
        for (auto it = m_owner.cbegin(); it != m_owner.cend(); ++it)
            if (it.value() == s && !m_unassigned.contains(it.key()))
                m_unassigned.append(it.key());
    }
    scheduleAssign();
}

QString WatchHub::where(const WatchStream *s) const
{
    return m_client->endpoints().at(s->endpoint).toDisplayString();
}

} // namespace Conclave
