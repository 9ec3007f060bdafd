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
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>

#include <algorithm>

namespace Conclave {

using namespace WatchTuning;

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
    if (s->replacing) { // its creates were placed again when it was replaced
        s->awaiting.clear();
        releaseIfIdle(s);
        return;
    }
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
    if (s->replacing && !m.canceled) {
        // Placed again on a new stream when this one came under suspicion (replaceAllStreams):
        // a watch that settled here would never be audited or replaced again.
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
    for (WatchStream *s : std::as_const(m_streams)) {
        // A stream that carries no confirmed watch yet (one opened by the last replacement, say)
        // is left alone: its creates are answered, or time out and are placed again. Replacing
        // it again on every hung call would open a stream per call while etcd hangs.
        if (s->replacing || s->owned == 0)
            continue;
        s->replacing = true;
        ++m_replacements;
        for (auto it = m_owner.cbegin(); it != m_owner.cend(); ++it)
            if (it.value() == s && !m_unassigned.contains(it.key()))
                moved.append(it.key());
        for (qint64 id : std::as_const(s->awaiting)) // not confirmed yet: placed again too
            if (!m_unassigned.contains(id) && !moved.contains(id))
                moved.append(id);
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
