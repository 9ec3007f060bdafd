#include <conclave/client.h>

#include "client_p.h"
#include "gatewayreply.h"
#include "logging.h"
#include "watchhub.h"

#include <algorithm>

#include <QtNetwork/QNetworkAccessManager>

namespace Conclave {

ClientPrivate::ClientPrivate(Client *q)
    : q_ptr(q)
    , authenticator(this)
{
}

ClientPrivate::~ClientPrivate() = default;

QNetworkAccessManager *ClientPrivate::unaryNam() const
{
    return externalNam ? externalNam.data() : ownNam;
}

QNetworkRequest ClientPrivate::makeRequest(const QUrl &endpoint, const QByteArray &path,
                                           const QByteArray &token) const
{
    QUrl url = endpoint;
    url.setPath(QString::fromLatin1(path));
    QNetworkRequest request(url);
    for (const auto &[name, value] : requestHeaders(token))
        request.setRawHeader(name, value);
    // Qt 6.4's HTTP/2 adds ~45 ms per request over TLS; HTTP/1.1 keeps TLS as fast as plain
    // HTTP (bench/bench_transport). Watches get their own manager, so the 6-connection
    // limit of HTTP/1.1 never starves unary calls.
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, allowHttp2);
    if (hasSsl && url.scheme() == QLatin1String("https"))
        request.setSslConfiguration(ssl);
    return request;
}

QList<QPair<QByteArray, QByteArray>> ClientPrivate::requestHeaders(const QByteArray &token) const
{
    QList<QPair<QByteArray, QByteArray>> headers{{"Content-Type", "application/json"},
        // Fail in ~1 ms on a member without a leader instead of hanging ~7 s (docs/etcd-gateway.md §4).
        {"Grpc-Metadata-Hasleader", "true"}};
    if (!token.isEmpty())
        headers.append({"Authorization", token});
    return headers;
}

QSslConfiguration ClientPrivate::sslConfiguration() const
{
    return hasSsl ? ssl : QSslConfiguration::defaultConfiguration();
}

void ClientPrivate::markEndpointFailed(int index)
{
    if (pool.markFailed(index))
        Q_EMIT q_ptr->currentEndpointChanged(pool.at(pool.current()));
}

void ClientPrivate::markEndpointGood(int index)
{
    if (pool.markGood(index))
        Q_EMIT q_ptr->currentEndpointChanged(pool.at(pool.current()));
}

void ClientPrivate::contacted()
{
    if (sinceContactTold.isValid() && sinceContactTold.elapsed() < 1000)
        return;
    sinceContactTold.start();
    lastContact = QDateTime::currentDateTimeUtc();
    Q_EMIT q_ptr->lastContactChanged(lastContact);
}

void ClientPrivate::requestFinished()
{
    // Told on the next turn of the event loop, and only if nothing was started meanwhile: a
    // program that leaves (the last call finishing, then a lease revoke starting) and quits on
    // idle() would otherwise quit with the revoke still on its way, and the key would stay
    // until the lease expires.
    if (--pending == 0 && !destroying)
        QMetaObject::invokeMethod(q_ptr, [this] {
            if (pending == 0 && !destroying)
                Q_EMIT q_ptr->idle();
        }, Qt::QueuedConnection);
}

void ClientPrivate::setError(Error e, const QString &message)
{
    error = e;
    errorString = message;
    qCWarning(lcGateway).noquote() << message;
    Q_EMIT q_ptr->errorOccurred(e, message);
}

GatewayReply *ClientPrivate::post(const QString &call, const QByteArray &path,
                                  const QJsonObject &body, Retry retry)
{
    return new GatewayReply(this, call, path, body, retry);
}

GatewayReply *ClientPrivate::range(const RangeOptions &options)
{
    return post(QStringLiteral("range"), "/v3/kv/range", Codec::rangeRequest(options),
                Retry::Always);
}

GatewayReply *ClientPrivate::put(const QByteArray &key, const QByteArray &value, qint64 lease,
                                 bool prevKv)
{
    return post(QStringLiteral("put"), "/v3/kv/put", Codec::putRequest(key, value, lease, prevKv),
                Retry::IfNotSent);
}

GatewayReply *ClientPrivate::deleteRange(const QByteArray &key, const QByteArray &rangeEnd,
                                         bool prevKv)
{
    return post(QStringLiteral("deleterange"), "/v3/kv/deleterange",
                Codec::deleteRequest(key, rangeEnd, prevKv), Retry::IfNotSent);
}

GatewayReply *ClientPrivate::txn(const QList<Compare> &compares, const QJsonArray &success,
                                 const QJsonArray &failure)
{
    // A guarded txn is safe to send again: if the first attempt applied, the compare fails
    // and the failure branch tells the caller what is there now.
    GatewayReply *reply = post(QStringLiteral("txn"), "/v3/kv/txn",
                               Codec::txnRequest(compares, success, failure),
                               compares.isEmpty() ? Retry::IfNotSent : Retry::Always);
    reply->setBatchable(!compares.isEmpty());
    return reply;
}

GatewayReply *ClientPrivate::readTxn(const QJsonArray &ranges)
{
    GatewayReply *reply = post(QStringLiteral("txn"), "/v3/kv/txn", Codec::txnRequest({}, ranges, {}),
                               Retry::Always);
    reply->setBatchable(true);
    return reply;
}

GatewayReply *ClientPrivate::leaseGrant(qint64 ttlSeconds)
{
    return post(QStringLiteral("lease grant"), "/v3/lease/grant",
                {{QStringLiteral("TTL"), Codec::encodeInt(ttlSeconds)}}, Retry::IfNotSent);
}

GatewayReply *ClientPrivate::leaseKeepAlive(qint64 leaseId)
{
    GatewayReply *reply = post(QStringLiteral("lease keepalive"), "/v3/lease/keepalive",
                               {{QStringLiteral("ID"), Codec::encodeInt(leaseId)}}, Retry::Always);
    reply->setUrgent(true); // a renewal stuck behind a burst of reads could cost the lease
    return reply;
}

// An urgent call has one more place, so that it never waits behind calls that hang on a
// half-dead connection until their deadline.
bool ClientPrivate::hasRoomFor(const GatewayReply *reply) const
{
    return onWire < MaxUnaryOnWire + (reply->isUrgent() ? 1 : 0);
}

void ClientPrivate::admit(GatewayReply *reply)
{
    if (hasRoomFor(reply)) {
        dispatch(reply);
        return;
    }
    if (reply->isUrgent()) {
        qsizetype at = 0;
        while (at < waiting.size() && waiting.at(at) && waiting.at(at)->isUrgent())
            ++at;
        waiting.insert(at, reply);
    } else {
        waiting.append(reply);
    }
}

void ClientPrivate::release()
{
    --onWire;
    while (!destroying && !waiting.isEmpty()) {
        const QPointer<GatewayReply> next = waiting.first();
        if (next && !next->isFinished() && !hasRoomFor(next))
            return;
        waiting.removeFirst();
        if (next && !next->isFinished())
            dispatch(next); // with the txns behind it that may share its batch
    }
}

GatewayReply *ClientPrivate::leaseRevoke(qint64 leaseId)
{
    GatewayReply *reply = post(QStringLiteral("lease revoke"), "/v3/lease/revoke",
                               {{QStringLiteral("ID"), Codec::encodeInt(leaseId)}}, Retry::IfNotSent);
    // It deletes every key of the lease at once: the leavers' own deletes waiting behind it
    // (many Electors leaving together) have nothing left to do.
    reply->setUrgent(true);
    return reply;
}

GatewayReply *ClientPrivate::leaseTimeToLive(qint64 leaseId, bool withKeys)
{
    QJsonObject body{{QStringLiteral("ID"), Codec::encodeInt(leaseId)}};
    if (withKeys)
        body.insert(QStringLiteral("keys"), true);
    return post(QStringLiteral("lease timetolive"), "/v3/lease/timetolive", body, Retry::Always);
}

GatewayReply *ClientPrivate::leases()
{
    return post(QStringLiteral("lease leases"), "/v3/lease/leases", {}, Retry::Always);
}

GatewayReply *ClientPrivate::status()
{
    return post(QStringLiteral("status"), "/v3/maintenance/status", {}, Retry::Always);
}

GatewayReply *ClientPrivate::version()
{
    auto *reply = new GatewayReply(this, QStringLiteral("version"), "/version", {}, Retry::Always, false);
    reply->setPlainGet(true);
    return reply;
}

WatchHub *ClientPrivate::watchHub()
{
    if (!hub)
        hub = new WatchHub(this);
    return hub;
}

void ClientPrivate::connectionsSuspect(const QString &why)
{
    if (hub)
        hub->replaceAllStreams(why);
}

Client::Client(QObject *parent)
    : QObject(parent)
    , d_ptr(std::make_unique<ClientPrivate>(this))
{
    Q_D(Client);
    d->ownNam = new QNetworkAccessManager(this);
}

Client::~Client()
{
    Q_D(Client);
    d->destroying = true;
    // Everything that points back at d goes before d does (children die after it).
    delete d->hub;
    d->hub = nullptr;
    for (const QPointer<QObject> &dependent : std::as_const(d->dependents))
        delete dependent.data();
    qDeleteAll(findChildren<GatewayReply *>(Qt::FindDirectChildrenOnly));
}

QDateTime Client::lastContact() const
{
    return d_func()->lastContact;
}

QList<QUrl> Client::endpoints() const
{
    Q_D(const Client);
    return d->pool.all();
}

static QString endpointProblem(const QUrl &url)
{
    if (!url.isValid())
        return QStringLiteral("not a valid URL");
    if (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))
        return QStringLiteral("scheme must be http or https");
    if (url.host().isEmpty())
        return QStringLiteral("no host");
    if (url.port() <= 0)
        return QStringLiteral("no port (etcd's client port is usually 2379)");
    if (!url.path().isEmpty() && url.path() != QLatin1String("/"))
        return QStringLiteral("a path is not allowed");
    return {};
}

void Client::setEndpoints(const QList<QUrl> &endpoints)
{
    Q_D(Client);
    if (endpoints.isEmpty()) {
        QMetaObject::invokeMethod(this, [d] {
            d->setError(Error::InvalidArgument, QStringLiteral("no etcd endpoints given"));
        }, Qt::QueuedConnection);
        return;
    }
    for (const QUrl &url : endpoints) {
        const QString problem = endpointProblem(url);
        if (!problem.isEmpty()) {
            const QString message = QStringLiteral("invalid etcd endpoint \"%1\": %2")
                                            .arg(url.toString(), problem);
            QMetaObject::invokeMethod(this, [d, message] {
                d->setError(Error::InvalidArgument, message);
            }, Qt::QueuedConnection);
            return;
        }
    }
    if (endpoints == d->pool.all())
        return;
    d->pool.set(endpoints);
    d->authenticator.reset();
    Q_EMIT endpointsChanged(endpoints);
    Q_EMIT currentEndpointChanged(endpoints.first());
}

void ClientPrivate::configureLike(Client *other, const QList<QUrl> &endpoints, std::chrono::milliseconds maxTimeout) const
{
    other->setEndpoints(endpoints);
    if (authenticator.hasCredentials())
        other->setCredentials(authenticator.user(), authenticator.password());
    if (hasSsl)
        other->setSslConfiguration(ssl);
    other->setRequestTimeout(std::min(requestTimeout, maxTimeout));
}

QUrl Client::currentEndpoint() const
{
    Q_D(const Client);
    return d->pool.at(d->pool.current());
}

void Client::setCredentials(const QString &user, const QString &password)
{
    Q_D(Client);
    d->authenticator.setCredentials(user, password);
}

QString Client::user() const
{
    Q_D(const Client);
    return d->authenticator.user();
}

void Client::setSslConfiguration(const QSslConfiguration &configuration)
{
    Q_D(Client);
    d->ssl = configuration;
    d->hasSsl = true;
}

QSslConfiguration Client::sslConfiguration() const
{
    Q_D(const Client);
    return d->sslConfiguration();
}

void Client::setRequestTimeout(std::chrono::milliseconds timeout)
{
    Q_D(Client);
    if (timeout.count() <= 0) {
        qCWarning(lcGateway) << "ignoring a non-positive request timeout";
        return;
    }
    d->requestTimeout = timeout;
}

std::chrono::milliseconds Client::requestTimeout() const
{
    Q_D(const Client);
    return d->requestTimeout;
}

void Client::setNetworkAccessManager(QNetworkAccessManager *manager)
{
    Q_D(Client);
    d->externalNam = manager;
}

QNetworkAccessManager *Client::networkAccessManager() const
{
    Q_D(const Client);
    return d->unaryNam();
}

int Client::pendingRequests() const
{
    Q_D(const Client);
    return d->pending;
}

Error Client::error() const
{
    Q_D(const Client);
    return d->error;
}

QString Client::errorString() const
{
    Q_D(const Client);
    return d->errorString;
}

} // namespace Conclave
