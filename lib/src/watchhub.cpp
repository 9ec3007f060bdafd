#include "watchhub.h"

#include "gatewayreply.h"
#include "logging.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QRandomGenerator>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>

namespace Conclave {

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
    , m_nam(new QNetworkAccessManager(this))
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &WatchHub::restart);
}

WatchHub::~WatchHub()
{
    closeStream();
    for (Watch *w : std::as_const(m_watches))
        w->m_hub = nullptr;
}

Watch *WatchHub::watch(const QByteArray &key, const QByteArray &rangeEnd, qint64 startRevision,
                       bool prevKv, QObject *parent)
{
    auto *w = new Watch(this, m_nextId++, parent);
    w->m_key = key;
    w->m_rangeEnd = rangeEnd;
    w->m_next = qMax<qint64>(0, startRevision);
    w->m_prevKv = prevKv;
    m_watches.insert(w->m_id, w);
    qCDebug(lcWatch) << "watch" << w->m_id << "from revision" << w->m_next;
    scheduleRestart();
    return w;
}

bool WatchHub::isStreaming() const
{
    return m_stream && m_awaitingCreated.isEmpty();
}

void WatchHub::remove(qint64 id)
{
    if (m_watches.remove(id))
        scheduleRestart(); // cancels it on the server side too
}

void WatchHub::scheduleRestart()
{
    if (m_restartScheduled)
        return;
    m_restartScheduled = true;
    // Coalesce every change made in this event-loop turn into one re-opening.
    QMetaObject::invokeMethod(this, &WatchHub::restart, Qt::QueuedConnection);
}

void WatchHub::restart()
{
    m_restartScheduled = false;
    m_retryTimer.stop();
    closeStream();
    if (m_watches.isEmpty())
        return;
    for (Watch *w : std::as_const(m_watches)) {
        if (w->m_next == 0) {
            probeRevision();
            return;
        }
    }
    if (m_client->needsToken()) {
        GatewayReply *auth = m_client->authenticate();
        connect(auth, &GatewayReply::finished, this, [this, auth] {
            if (!m_client->token.isEmpty() || m_client->authDisabledOnServer)
                openStream();
            else
                streamBroken(auth->error(), auth->errorString());
        });
        return;
    }
    openStream();
}

// A watch "from now" starts at the current revision + 1: starting at the current revision is
// delivered ~100 ms late by etcd 3.4 (etcd-gateway.md, §6.4 notes).
void WatchHub::probeRevision()
{
    if (m_probe)
        return;
    Watch *first = nullptr;
    for (Watch *w : std::as_const(m_watches))
        if (w->m_next == 0 && (!first || w->m_id < first->m_id))
            first = w;
    RangeOptions options;
    options.key = first->m_key;
    options.countOnly = true;
    m_probe = m_client->range(options);
    const QPointer<Watch> probed = first;
    connect(m_probe, &GatewayReply::finished, this, [this, probed, reply = m_probe.data()] {
        reply->deleteLater();
        m_probe = nullptr;
        if (reply->error() == Error::PermissionDenied || reply->error() == Error::InvalidArgument) {
            if (probed) {
                endWatch(probed);
                Q_EMIT probed->failed(reply->error(), reply->errorString());
            }
            scheduleRestart();
            return;
        }
        if (reply->error() != Error::NoError) {
            streamBroken(reply->error(), reply->errorString());
            return;
        }
        const qint64 next = reply->header().revision + 1;
        for (Watch *w : std::as_const(m_watches))
            if (w->m_next == 0)
                w->m_next = next;
        restart();
    });
}

void WatchHub::openStream()
{
    QByteArray body;
    m_awaitingCreated.clear();
    QList<qint64> ids = m_watches.keys();
    std::sort(ids.begin(), ids.end());
    for (qint64 id : std::as_const(ids)) {
        const Watch *w = m_watches.value(id);
        QJsonObject create{{QStringLiteral("key"), Codec::encodeBytes(w->m_key)},
                           {QStringLiteral("start_revision"), Codec::encodeInt(w->m_next)},
                           {QStringLiteral("watch_id"), Codec::encodeInt(w->m_id)},
                           {QStringLiteral("progress_notify"), true}};
        if (!w->m_rangeEnd.isEmpty())
            create.insert(QStringLiteral("range_end"), Codec::encodeBytes(w->m_rangeEnd));
        if (w->m_prevKv)
            create.insert(QStringLiteral("prev_kv"), true);
        body += QJsonDocument(QJsonObject{{QStringLiteral("create_request"), create}})
                        .toJson(QJsonDocument::Compact);
        body += '\n';
        m_awaitingCreated.append(id);
    }
    m_streamEndpoint = m_client->current;
    QNetworkRequest request = m_client->makeRequest(m_streamEndpoint, "/v3/watch");
    if (!m_client->token.isEmpty())
        request.setRawHeader("Authorization", m_client->token);
    m_buffer.clear();
    ++m_openings;
    qCDebug(lcWatch) << "opening watch stream with" << ids.size() << "watches at" << where();
    m_stream = m_nam->post(request, body);
    connect(m_stream, &QNetworkReply::readyRead, this, &WatchHub::onReadyRead);
    connect(m_stream, &QNetworkReply::finished, this, &WatchHub::onStreamFinished);
}

void WatchHub::closeStream()
{
    if (m_probe) {
        m_probe->disconnect(this);
        m_probe->abort();
        m_probe->deleteLater();
        m_probe = nullptr;
    }
    if (!m_stream)
        return;
    QNetworkReply *stream = m_stream;
    m_stream = nullptr;
    stream->disconnect(this);
    stream->abort();
    stream->deleteLater();
    m_buffer.clear();
    m_awaitingCreated.clear();
}

void WatchHub::onReadyRead()
{
    QPointer<QNetworkReply> stream = m_stream;
    if (!stream)
        return;
    m_buffer += stream->readAll();
    qsizetype start = 0;
    for (qsizetype nl; stream == m_stream && (nl = m_buffer.indexOf('\n', start)) >= 0;
         start = nl + 1)
        handleLine(m_buffer.mid(start, nl - start));
    if (stream != m_stream)
        return; // the stream was closed while handling a line
    m_buffer.remove(0, start);
    if (m_buffer.size() > MaxLineBytes)
        streamBroken(Error::ProtocolError,
                     QStringLiteral("watch message exceeds %1 bytes").arg(MaxLineBytes));
}

void WatchHub::onStreamFinished()
{
    QNetworkReply *stream = m_stream;
    if (!stream)
        return;
    m_buffer += stream->readAll();
    if (!m_buffer.trimmed().isEmpty()) {
        // The last object (an in-stream error) may come without a trailing newline.
        const QByteArray rest = m_buffer;
        m_buffer.clear();
        const QJsonObject obj = QJsonDocument::fromJson(rest).object();
        const int status = stream->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status != 200 && !obj.isEmpty()) {
            const QString message = obj.value(QLatin1String("message")).toString();
            const int code = obj.value(QLatin1String("code")).toInt();
            streamBroken(Codec::classify(status, code, message),
                         QStringLiteral("HTTP %1: %2").arg(status).arg(message));
            return;
        }
        handleLine(rest);
        if (stream != m_stream)
            return;
    }
    const int status = stream->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (stream->error() == QNetworkReply::SslHandshakeFailedError)
        streamBroken(Error::TlsError, stream->errorString());
    else if (status != 0 && status != 200)
        streamBroken(Codec::classify(status, 0, QString()), QStringLiteral("HTTP %1").arg(status));
    else
        streamBroken(Error::ConnectionError,
                     stream->error() == QNetworkReply::NoError ? QStringLiteral("stream ended")
                                                               : stream->errorString());
}

void WatchHub::handleLine(const QByteArray &line)
{
    if (line.trimmed().isEmpty())
        return;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &parseError);
    if (!doc.isObject()) {
        streamBroken(Error::ProtocolError, QStringLiteral("malformed watch message (%1)")
                                                   .arg(parseError.errorString()));
        return;
    }
    const QJsonObject obj = doc.object();
    if (obj.value(QLatin1String("error")).isObject()) {
        const QJsonObject err = obj.value(QLatin1String("error")).toObject();
        const QString message = err.value(QLatin1String("message")).toString();
        streamBroken(Codec::classify(err.value(QLatin1String("http_code")).toInt(),
                                     err.value(QLatin1String("grpc_code")).toInt(), message),
                     message);
        return;
    }
    const QJsonObject result = obj.value(QLatin1String("result")).toObject();
    bool idOk = false;
    const qint64 watchId = Codec::decodeInt(result.value(QLatin1String("watch_id")), &idOk);
    if (result.isEmpty() || !idOk) {
        streamBroken(Error::ProtocolError, QStringLiteral("watch message without a result"));
        return;
    }
    if (result.value(QLatin1String("created")).toBool())
        handleCreated(result, watchId);
    else if (result.value(QLatin1String("canceled")).toBool())
        handleCanceled(result, watchId);
    else
        handleEvents(result, watchId);
}

void WatchHub::handleCreated(const QJsonObject &result, qint64 watchId)
{
    if (m_awaitingCreated.isEmpty()) {
        streamBroken(Error::ProtocolError, QStringLiteral("unexpected 'created' message"));
        return;
    }
    // Creates are answered in order; a refused one says watch_id -1, so count them.
    const qint64 id = m_awaitingCreated.takeFirst();
    QPointer<Watch> w = m_watches.value(id);
    if (result.value(QLatin1String("canceled")).toBool()) {
        const QString reason = result.value(QLatin1String("cancel_reason")).toString();
        const Error error = Codec::classify(0, reason.contains(QLatin1String("PermissionDenied"))
                                                       ? 7 : 0, reason);
        if (error == Error::AuthenticationError && !m_client->user.isEmpty() && !m_authRetried) {
            m_authRetried = true;
            m_client->invalidateToken(m_client->token);
            scheduleRestart();
            return;
        }
        if (w) {
            endWatch(w);
            Q_EMIT w->failed(error == Error::GatewayError ? Error::PermissionDenied : error,
                             QStringLiteral("watch refused by %1: %2").arg(where(), reason));
        }
        return;
    }
    if (watchId != id)
        qCWarning(lcWatch) << "created watch" << watchId << "expected" << id;
    if (m_awaitingCreated.isEmpty()) {
        m_backoffMs = 0;
        m_authRetried = false;
        Q_EMIT streamOpened();
    }
    if (w && !w->m_confirmed) {
        w->m_confirmed = true;
        Q_EMIT w->created();
    }
}

void WatchHub::handleCanceled(const QJsonObject &result, qint64 watchId)
{
    Watch *w = m_watches.value(watchId);
    if (!w)
        return; // a watch we dropped
    const qint64 compactRevision = Codec::decodeInt(result.value(QLatin1String("compact_revision")));
    const QString reason = result.value(QLatin1String("cancel_reason")).toString();
    endWatch(w);
    if (compactRevision > 0) {
        qCWarning(lcWatch) << "watch" << watchId << "compacted at" << compactRevision;
        Q_EMIT w->compacted(compactRevision);
    } else {
        Q_EMIT w->failed(Codec::classify(0, 0, reason),
                         QStringLiteral("watch cancelled by %1: %2").arg(where(), reason));
    }
}

void WatchHub::handleEvents(const QJsonObject &result, qint64 watchId)
{
    Watch *w = m_watches.value(watchId);
    if (!w)
        return;
    const qint64 revision = Codec::parseHeader(result.value(QLatin1String("header")).toObject())
                                    .revision;
    const QJsonArray array = result.value(QLatin1String("events")).toArray();
    QList<WatchEvent> events;
    events.reserve(array.size());
    for (const QJsonValue &v : array) {
        bool ok = false;
        WatchEvent e = Codec::parseEvent(v.toObject(), &ok);
        if (!ok) {
            streamBroken(Error::ProtocolError, QStringLiteral("malformed watch event"));
            return;
        }
        if (e.kv.modRevision >= w->m_next) // drop anything already delivered
            events.append(e);
    }
    if (events.isEmpty()) {
        if (array.isEmpty() && revision >= w->m_next) { // progress: nothing missed up to here
            w->m_next = revision + 1;
            Q_EMIT w->progress(revision);
        }
        return;
    }
    w->m_next = events.last().kv.modRevision + 1;
    Q_EMIT w->eventsReceived(events);
}

void WatchHub::endWatch(Watch *watch)
{
    watch->m_active = false;
    m_watches.remove(watch->m_id);
}

void WatchHub::streamBroken(Error error, const QString &message)
{
    closeStream();
    const QString text = QStringLiteral("watch stream via %1: %2").arg(where(), message);
    if (error == Error::ConnectionError || error == Error::Unavailable
        || error == Error::TimeoutError)
        m_client->markEndpointFailed(m_streamEndpoint);
    if (error == Error::AuthenticationError)
        m_client->invalidateToken(m_client->token);
    m_backoffMs = qBound(50, m_backoffMs * 2, 2000);
    const int delay = m_backoffMs / 2 + int(QRandomGenerator::global()->bounded(m_backoffMs / 2 + 1));
    qCWarning(lcWatch).noquote() << text << "- reconnecting in" << delay << "ms";
    m_retryTimer.start(delay);
    Q_EMIT streamLost(error, text);
}

QString WatchHub::where() const
{
    return m_client->endpoints.value(m_streamEndpoint).toDisplayString();
}

} // namespace Conclave
