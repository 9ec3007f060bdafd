#include "gatewayreply.h"

#include "gatewayerror.h"

#include "logging.h"

#include <QtCore/QJsonDocument>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QSslError>

namespace Conclave {

GatewayReply::GatewayReply(ClientPrivate *client, const QString &call, const QByteArray &path,
                           const QJsonObject &body, ClientPrivate::Retry retry, bool useToken)
    : QObject(client->q_ptr)
    , m_client(client)
    , m_call(call)
    , m_path(path)
    , m_body(QJsonDocument(body).toJson(QJsonDocument::Compact))
    , m_request(path == "/v3/kv/txn" ? body : QJsonObject())
    , m_retry(retry)
    , m_useToken(useToken)
    , m_endpointIndex(client->endpoints().current())
{
    client->requestStarted();
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &GatewayReply::onTimeout);
    // Never finish from inside the call that created us: start on the next event-loop turn.
    QMetaObject::invokeMethod(this, &GatewayReply::send, Qt::QueuedConnection);
}

GatewayReply::~GatewayReply()
{
    releaseSlot();
    if (!m_finished)
        m_client->requestFinished();
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
    }
}

ResponseHeader GatewayReply::header() const
{
    return Codec::parseHeader(m_json.value(QLatin1String("header")).toObject());
}

void GatewayReply::abort()
{
    if (m_finished)
        return;
    releaseSlot();
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
    }
    finish(Error::Cancelled, QStringLiteral("aborted"));
}

void GatewayReply::send()
{
    if (m_finished)
        return;
    const EndpointPool &pool = m_client->endpoints();
    if (pool.isEmpty()) {
        finish(Error::InvalidArgument, QStringLiteral("no endpoints configured"));
        return;
    }
    m_endpointIndex = pool.clamp(m_endpointIndex);
    m_endpoint = pool.at(m_endpointIndex);
    if (!m_useToken) {
        sendWithToken();
        return;
    }
    m_client->auth().withToken(this, [this] { sendWithToken(); },
                               [this](Error e, const QString &message) { finish(e, message); });
}

void GatewayReply::sendWithToken()
{
    if (m_finished || m_carried)
        return;
    if (std::exchange(m_reserved, false)) {
        transmit();
        return;
    }
    m_client->admit(this);
}

void GatewayReply::reserveSlot()
{
    m_holdsSlot = true;
    m_reserved = true;
}

void GatewayReply::finishCarried(const GatewayReply *batch, const QJsonObject &part)
{
    if (m_finished)
        return;
    takeTransportOf(batch);
    m_json = part;
    finish(Error::NoError, QString());
}

void GatewayReply::failCarried(const GatewayReply *batch, Error error, const QString &detail)
{
    if (m_finished)
        return;
    takeTransportOf(batch);
    m_grpcCode = batch->m_grpcCode;
    finish(error, detail);
}

// A batch's member answered by \a batch: where and how it was answered.
void GatewayReply::takeTransportOf(const GatewayReply *batch)
{
    m_carried = false;
    m_endpoint = batch->m_endpoint;
    m_endpointIndex = batch->m_endpointIndex;
    m_httpStatus = batch->m_httpStatus;
}

void GatewayReply::sendAlone()
{
    if (m_finished)
        return;
    m_carried = false;
    m_alone = true;
    sendWithToken();
}

void GatewayReply::releaseSlot()
{
    if (!m_holdsSlot)
        return;
    m_holdsSlot = false;
    m_client->release();
}

void GatewayReply::transmit()
{
    Q_ASSERT(!m_finished); // admit() and release() hand out places to live calls only
    m_holdsSlot = true;
    m_usedToken = m_useToken ? m_client->auth().token() : QByteArray();
    const QNetworkRequest request = m_client->makeRequest(m_endpoint, m_path, m_usedToken);
    qCDebug(lcGateway) << (m_plainGet ? "GET" : "POST") << m_path << "to" << m_endpoint.toDisplayString();
    m_sslErrors.clear();
    m_timedOut = false;
    m_reply = m_plainGet ? m_client->unaryNam()->get(request) : m_client->unaryNam()->post(request, m_body);
    m_client->countSent(m_call, m_plainGet ? 0 : m_body.size());
    connect(m_reply, &QNetworkReply::finished, this, &GatewayReply::onNetworkFinished);
    connect(m_reply, &QNetworkReply::sslErrors, this, [this](const QList<QSslError> &errors) {
        for (const QSslError &e : errors)
            m_sslErrors.append(e.errorString());
    });
    m_timer.start(m_timeout.count() > 0 ? m_timeout : m_client->timeout());
}

void GatewayReply::onTimeout()
{
    if (!m_reply)
        return;
    m_timedOut = true;
    m_reply->abort(); // finished() follows synchronously or queued; handled there
}

void GatewayReply::onNetworkFinished()
{
    // Any answer may find the lease past its step-down instant (a frozen process): Electors
    // step down first (client_p.h). Not before a lease's own calls: a renewal's answer that
    // comes late proves the lease alive until its send time + TTL, and must be read first.
    if (!m_urgent) {
        const QPointer<GatewayReply> self(this);
        m_client->aboutToDeliver(); // may step Electors down, and they may cancel this call
        if (!self || m_finished)
            return;
    }
    m_timer.stop();
    releaseSlot();
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    if (!reply)
        return;
    reply->deleteLater();
    const QByteArray body = reply->isOpen() ? reply->readAll() : QByteArray(); // closed if aborted
    m_client->countReceived(body.size());
    m_httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const auto netError = reply->error();
    if (m_timedOut) {
        qCWarning(lcGateway) << m_call << "timed out at" << m_endpoint.toDisplayString();
        m_client->connectionsSuspect(QStringLiteral("%1 got no answer within %2 ms")
                                             .arg(m_call).arg(m_timer.interval()));
        if (!retryElsewhere(true))
            finish(Error::TimeoutError,
                   QStringLiteral("no reply within %1 ms").arg(m_timer.interval()));
        return;
    }
    if (m_httpStatus == 0 || (netError != QNetworkReply::NoError && m_httpStatus < 300)) {
        handleTransportError(netError, reply->errorString());
        return;
    }
    if (m_httpStatus < 200 || m_httpStatus >= 300)
        handleHttpError(body);
    else
        handleSuccess(body);
}

void GatewayReply::handleTransportError(int networkError, const QString &text)
{
    using E = QNetworkReply::NetworkError;
    const auto e = E(networkError);
    if (e == E::SslHandshakeFailedError || !m_sslErrors.isEmpty()) {
        const QString why = m_sslErrors.isEmpty() ? text : m_sslErrors.join(QStringLiteral("; "));
        finish(Error::TlsError, QStringLiteral("TLS handshake failed: ") + why);
        return;
    }
    const bool notSent = e == E::ConnectionRefusedError || e == E::HostNotFoundError;
    const bool tlsAlert = text.contains(QLatin1String("SSL"), Qt::CaseInsensitive)
            || text.contains(QLatin1String("certificate"), Qt::CaseInsensitive);
    if (m_endpoint.scheme() == QLatin1String("https") && tlsAlert) {
        // A server that wants a client certificate we lack answers with a TLS alert.
        finish(Error::TlsError, QStringLiteral("TLS failed (does the server require a client "
                                               "certificate?): ")
                                    + text);
        return;
    }
    if (!retryElsewhere(!notSent))
        finish(e == E::TimeoutError ? Error::TimeoutError : Error::ConnectionError, text);
}

void GatewayReply::handleHttpError(const QByteArray &body)
{
    const GatewayFailure failure = GatewayErrors::fromReply(m_httpStatus, body);
    m_grpcCode = failure.grpcCode;
    const QString &message = failure.message;
    const Error error = failure.error;
    if (error == Error::AuthenticationError && m_useToken && !m_usedToken.isEmpty()
        && !m_authRetried && m_client->auth().rejected(m_usedToken)) {
        qCInfo(lcGateway) << "token rejected by" << m_endpoint.toDisplayString()
                          << "- authenticating again";
        m_authRetried = true;
        send();
        return;
    }
    if (error == Error::Unavailable) {
        // "no leader" is refused before anything is applied; other 5xx mean "outcome unknown".
        const bool notApplied = message.contains(QLatin1String("no leader"));
        if (retryElsewhere(!notApplied))
            return;
    }
    finish(error, QStringLiteral("HTTP %1: %2").arg(m_httpStatus).arg(message));
}

void GatewayReply::handleSuccess(const QByteArray &body)
{
    // Stream-shaped calls (lease keepalive) answer with one {"result":…} or {"error":…} line.
    const int nl = body.indexOf('\n');
    const QByteArray first = nl >= 0 ? body.left(nl) : body;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(first, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        finish(Error::ProtocolError,
               QStringLiteral("malformed reply (%1): %2")
                       .arg(parseError.errorString(), QString::fromUtf8(body.left(80)).simplified()));
        return;
    }
    QJsonObject obj = doc.object();
    if (GatewayErrors::isError(obj)) {
        handleHttpError(first);
        return;
    }
    if (obj.value(QLatin1String("result")).isObject())
        obj = obj.value(QLatin1String("result")).toObject();
    if (!m_plainGet && !obj.value(QLatin1String("header")).isObject()) {
        finish(Error::ProtocolError, QStringLiteral("reply has no header: ")
                                             + QString::fromUtf8(first.left(80)));
        return;
    }
    m_json = obj;
    m_client->markEndpointGood(m_endpointIndex);
    // A dead lease is not an HTTP error: keepalive omits TTL, timetolive says -1.
    // (timetolive rounds down: 0 means "under a second left", only -1 means gone.)
    const qint64 ttl = Codec::decodeInt(obj.value(QLatin1String("TTL")));
    if ((m_path.endsWith("/lease/keepalive") && ttl <= 0)
        || (m_path.endsWith("/lease/timetolive") && ttl < 0)) {
        finish(Error::LeaseLost, QStringLiteral("lease %1 is expired, revoked or unknown")
                                         .arg(obj.value(QLatin1String("ID")).toString()));
        return;
    }
    finish(Error::NoError, QString());
}

bool GatewayReply::retryElsewhere(bool mayHaveReachedEtcd)
{
    if (mayHaveReachedEtcd && m_retry != ClientPrivate::Retry::Always)
        return false;
    m_client->markEndpointFailed(m_endpointIndex);
    const EndpointPool &pool = m_client->endpoints();
    if (++m_attempts >= pool.size())
        return false;
    m_endpointIndex = pool.after(m_endpointIndex);
    qCInfo(lcGateway) << m_call << "failing over to" << pool.at(m_endpointIndex).toDisplayString();
    send();
    return true;
}

QString GatewayReply::describe(const QString &detail) const
{
    return QStringLiteral("%1 via %2: %3").arg(m_call, m_endpoint.toDisplayString(), detail);
}

void GatewayReply::finish(Error error, const QString &detail)
{
    Q_ASSERT(!m_finished);
    m_finished = true;
    m_client->requestFinished();
    m_timer.stop();
    m_error = error;
    if (error == Error::NoError)
        m_client->contacted();
    if (error != Error::NoError) {
        m_errorDetail = detail;
        m_errorString = describe(detail);
        if (error != Error::Cancelled)
            qCDebug(lcGateway) << m_errorString;
    }
    // Queued, so that abort() and immediate failures never call back into the caller.
    QMetaObject::invokeMethod(this, &GatewayReply::finished, Qt::QueuedConnection);
}

} // namespace Conclave
