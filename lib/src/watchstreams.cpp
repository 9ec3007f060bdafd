// One watch stream's life: the body of creates it is opened with, the replies it carries
// (created, cancelled, events), and its end (finished, broken, released when idle, or replaced
// when it may be half-dead).
#include "watchhub.h"
#include "watchhub_p.h"

#include "backoff.h"
#include "gatewayerror.h"
#include "gatewayreply.h"
#include "logging.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QSet>

#include <algorithm>

namespace Conclave {

using namespace WatchTuning;

void WatchHub::openStream(const QList<qint64> &ids)
{
    auto *s = new WatchStream;
    s->serial = ++m_streamSerial;
    s->endpoint = m_client->endpoints().current();
    s->token = m_client->auth().token();
    s->connection = new WatchConnection(this);
    s->connection->open(m_client->endpoints().at(s->endpoint), "/v3/watch",
                        m_client->requestHeaders(s->token), m_client->sslConfiguration());
    ++m_openings;
    m_streams.append(s);
    qCDebug(lcWatch) << "opening watch stream with" << ids.size() << "watches at" << where(s);
    connect(s->connection, &WatchConnection::readyRead, this, [this, s] { onReadyRead(s); });
    connect(s->connection, &WatchConnection::finished, this, [this, s] { onStreamFinished(s); });
    s->quiet.setSingleShot(true);
    connect(&s->quiet, &QTimer::timeout, this, [this, s] { onQuiet(s); });
    s->quiet.start(FirstReplyMs);
    sendCreates(s, ids);
}

// Appends creates to a stream's body: etcd answers them in order, on the same stream.
void WatchHub::sendCreates(WatchStream *s, const QList<qint64> &ids)
{
    QByteArray chunk;
    int inChunk = 0;
    for (qint64 id : ids) {
        const Watch *w = m_watches.value(id);
        Q_ASSERT(w); // callers place only watches that exist
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
        chunk += QJsonDocument(QJsonObject{{QStringLiteral("create_request"), create}})
                         .toJson(QJsonDocument::Compact);
        chunk += '\n';
        s->awaiting.append(id);
        if (++inChunk == CreatesPerChunk) {
            s->connection->send(std::exchange(chunk, {}));
            inChunk = 0;
        }
    }
    s->connection->send(chunk);
    m_createsSent += ids.size();
    if (!s->quiet.isActive())
        s->quiet.start(QuietMs);
}

// A watch of ours that etcd holds on \a s, no longer wanted.
void WatchHub::sendCancel(WatchStream *s, qint64 id)
{
    if (s->replacing)
        return; // the whole stream goes soon
    s->connection->send("{\"cancel_request\":{\"watch_id\":\"" + QByteArray::number(id) + "\"}}\n");
    ++m_cancelsSent;
}

void WatchHub::closeStream(WatchStream *s)
{
    m_streams.removeAll(s);
    for (auto it = m_owner.begin(); it != m_owner.end();)
        it = it.value() == s ? m_owner.erase(it) : std::next(it);
    m_bytesSent += s->connection->bytesSent();
    m_bytesReceived += s->connection->bytesReceived();
    s->connection->disconnect(this);
    s->connection->abort();
    s->connection->deleteLater();
    for (const QPointer<GatewayReply> &audit : std::as_const(s->audits)) {
        if (audit) {
            audit->disconnect(this);
            audit->abort();
        }
    }
    delete s;
}

// Whether \a s, whose \a connection was being served, is still open after aboutToDeliver()
// (Electors that stepped down may have let go of its last watch: closed, maybe freed).
bool WatchHub::stillOpen(WatchStream *s, const QPointer<WatchConnection> &connection) const
{
    return connection && m_streams.contains(s) && s->connection == connection;
}

void WatchHub::onReadyRead(WatchStream *s)
{
    const QPointer<WatchConnection> connection = s->connection;
    m_client->aboutToDeliver();
    if (!stillOpen(s, connection))
        return;
    s->lastRead.start();
    handleMessages(s, s->parser.feed(s->connection->readAll()));
}

void WatchHub::onStreamFinished(WatchStream *s)
{
    const QPointer<WatchConnection> served = s->connection;
    m_client->aboutToDeliver();
    if (!stillOpen(s, served))
        return;
    WatchConnection *connection = s->connection;
    const QByteArray tail = connection->readAll();
    const int status = connection->statusCode();
    if (status != 0 && status != 200) { // a unary-shaped error before the first message
        const GatewayFailure failure = GatewayErrors::fromReply(status, s->parser.pending() + tail);
        streamBroken(s, failure.error, QStringLiteral("HTTP %1: %2").arg(status).arg(failure.message));
        return;
    }
    if (!handleMessages(s, s->parser.feed(tail) + s->parser.finish()))
        return; // the stream is gone
    if (connection->failure() == WatchConnection::Failure::Tls)
        streamBroken(s, Error::TlsError, connection->errorString());
    else
        streamBroken(s, Error::ConnectionError, connection->failure() == WatchConnection::Failure::None
                                                        ? QStringLiteral("stream ended")
                                                        : connection->errorString());
}

// Creates that stay unanswered: on a stream that never answered, its connection is dead; on
// one that did, it went half-dead (a NAT or proxy forgot it), and whatever did that has most
// likely done it to the Client's other connections too.
void WatchHub::onQuiet(WatchStream *s)
{
    if (s->awaiting.isEmpty())
        return;
    if (s->replacing) { // its creates were placed again when it was replaced
        s->awaiting.clear();
        releaseIfIdle(s);
        return;
    }
    if (s->owned == 0) {
        streamBroken(s, Error::TimeoutError, QStringLiteral("no answer to watch creation"));
        return;
    }
    replaceAllStreams(QStringLiteral("%1 watch creates unanswered for %2 ms by %3")
                              .arg(s->awaiting.size()).arg(QuietMs).arg(where(s)));
}

bool WatchHub::handleMessages(WatchStream *s, const QList<WatchMessage> &messages)
{
    const quint64 serial = s->serial; // a stream closed meanwhile may have a successor at its address
    const auto gone = [&] { return !m_streams.contains(s) || s->serial != serial; };
    for (const WatchMessage &m : messages) {
        switch (m.kind) {
        case WatchMessage::Kind::Error:
            streamBroken(s, m.error, m.errorString);
            return false;
        case WatchMessage::Kind::Created:
            // Only answers to our creates count as progress: a busy stream's events must not
            // keep postponing the verdict on creates that go unanswered.
            handleCreated(s, m);
            if (!gone() && !s->awaiting.isEmpty()) {
                s->quiet.start(QuietMs);
            } else if (!gone()) {
                s->quiet.stop(); // every create answered: settled
                checkSettled();
            }
            break;
        case WatchMessage::Kind::Canceled:
            handleCanceled(s, m);
            break;
        case WatchMessage::Kind::Progress:
            break; // an answer to a progress_request: we send none
        case WatchMessage::Kind::Events:
            handleEvents(s, m);
            break;
        }
        if (gone())
            return false;
    }
    return true;
}

void WatchHub::handleCreated(WatchStream *s, const WatchMessage &m)
{
    if (s->awaiting.isEmpty()) {
        if (s->replacing)
            return; // a late answer to a create onQuiet() gave up on: placed elsewhere already
        streamBroken(s, Error::ProtocolError, QStringLiteral("unexpected 'created' message"));
        return;
    }
    // Creates are answered in body order; a refused one says watch_id -1, so count them.
    const qint64 id = s->awaiting.takeFirst();
    const QPointer<Watch> w = m_watches.value(id);
    if (!w || m_owner.value(id) == s) { // gone meanwhile, or a create sent twice (auth retry)
        if (!m.canceled && !w)
            sendCancel(s, id);
        releaseIfIdle(s);
        return;
    }
    if (s->replacing && !m.canceled) {
        // Placed again on a new stream when this one came under suspicion (replaceAllStreams):
        // a watch that settled here would never be audited or replaced again.
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
        --previous->owned; // moved here: the old stream stops delivering it
        sendCancel(previous, id);
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
    if (w && !w->isLive()) {
        w->m_live = true;
        w->m_suspect = false;
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
    if (w->m_anchored)
        for (const WatchEvent &e : std::as_const(events))
            if (e.kv.key == w->m_anchor)
                w->m_anchorGone = e.type == WatchEvent::Type::Delete;
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

// Marks \a s as being replaced and returns the watches it carries or was asked to create that
// are not in \a unassigned yet (they are added to it): placed on another stream, they leave it.
QList<qint64> WatchHub::takeOver(WatchStream *s, QSet<qint64> &unassigned)
{
    s->replacing = true;
    QList<qint64> ids;
    for (auto it = m_owner.cbegin(); it != m_owner.cend(); ++it)
        if (it.value() == s && !unassigned.contains(it.key())) {
            unassigned.insert(it.key());
            ids.append(it.key());
        }
    // Not confirmed yet: placed again too, unless cancelled meanwhile (its id stays in awaiting
    // until etcd answers its create, and goes with this stream). Taking one of those over put a
    // watch that no longer exists in a new stream's creates: conclave-shards crashed there (a
    // null Watch in sendCreates()) when 1,000 Electors re-followed as the Client changed endpoint.
    for (qint64 id : std::as_const(s->awaiting))
        if (m_watches.contains(id) && !unassigned.contains(id)) {
            unassigned.insert(id);
            ids.append(id);
        }
    return ids;
}

// One stream found silent, or one call that hangs, means a connection went half-dead, and
// whatever did that (a NAT, a load balancer, a proxy forgetting flows) has most likely done it
// to the Client's other connections too, including streams whose keys have not changed yet.
// So every stream is replaced, make-before-break: rare, and it costs one request per stream.
// Its watches are not live meanwhile (isLive(), without a signal): a candidate must not start
// to lead on a watch whose stream may be dead (the chaos run's seed 2304 led on one and learned
// of an operator's delete 0.85 s late), while a leader keeps leading on it until it breaks or
// its lease runs out, as it does while etcd is away (docs/election-protocol.md, quorum loss).
void WatchHub::replaceAllStreams(const QString &why)
{
    QList<qint64> moved;
    QSet<qint64> unassigned(m_unassigned.cbegin(), m_unassigned.cend());
    for (WatchStream *s : std::as_const(m_streams)) {
        // A stream that carries no confirmed watch yet (one opened by the last replacement, say)
        // is left alone: its creates are answered, or time out and are placed again. Replacing
        // it again on every hung call would open a stream per call while etcd hangs.
        if (s->replacing || s->owned == 0)
            continue;
        ++m_replacements;
        moved += takeOver(s, unassigned);
    }
    if (moved.isEmpty())
        return;
    qCWarning(lcWatch).noquote() << "replacing every watch stream:" << why;
    m_unassigned += moved;
    for (qint64 id : std::as_const(moved))
        if (Watch *w = m_watches.value(id))
            w->m_suspect = true;
    scheduleAssign();
}

} // namespace Conclave
