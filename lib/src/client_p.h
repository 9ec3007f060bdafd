#pragma once

#include <conclave/client.h>

#include "codec.h"

#include <QtCore/QHash>
#include <QtCore/QPointer>
#include <QtCore/QSet>
#include <QtNetwork/QNetworkRequest>

namespace Conclave {

class GatewayReply;
class LeaseSession;
class WatchHub;

class ClientPrivate
{
public:
    explicit ClientPrivate(Client *q);
    ~ClientPrivate();
    static ClientPrivate *get(Client *client) { return client->d_func(); }

    enum class Retry {
        IfNotSent, //!< retry on another endpoint only when the request cannot have reached etcd
        Always,    //!< idempotent, or guarded by a txn compare: retry on any transport failure
    };

    // Unary calls; each returns a reply parented to the Client that finishes exactly once.
    GatewayReply *post(const QString &call, const QByteArray &path, const QJsonObject &body,
                       Retry retry);
    GatewayReply *range(const RangeOptions &options);
    GatewayReply *put(const QByteArray &key, const QByteArray &value, qint64 lease = 0,
                      bool prevKv = false);
    GatewayReply *deleteRange(const QByteArray &key, const QByteArray &rangeEnd = {},
                              bool prevKv = false);
    GatewayReply *txn(const QList<Compare> &compares, const QJsonArray &success,
                      const QJsonArray &failure);
    GatewayReply *leaseGrant(qint64 ttlSeconds);
    GatewayReply *leaseKeepAlive(qint64 leaseId);
    GatewayReply *leaseRevoke(qint64 leaseId);
    GatewayReply *leaseTimeToLive(qint64 leaseId, bool withKeys = false);
    GatewayReply *leases();
    GatewayReply *status();

    WatchHub *watchHub();

    // One lease per TTL, shared by every Elector of this Client that asks for that TTL.
    LeaseSession *acquireSession(qint64 ttlSeconds);
    void releaseSession(LeaseSession *session);
    // Election names an Elector of this Client campaigns in (two would share one key).
    QSet<QString> campaigning;

    // Plumbing shared by GatewayReply and WatchHub.
    QNetworkRequest makeRequest(int endpointIndex, const QByteArray &path) const;
    QNetworkAccessManager *unaryNam() const;
    bool needsToken() const;
    GatewayReply *authenticate();  // the one in flight, or a new one
    void invalidateToken(const QByteArray &used);
    void markEndpointFailed(int index);
    void setError(Error error, const QString &message);

    Client *const q_ptr;
    QList<QUrl> endpoints;
    int current = 0;
    QString user;
    QString password;
    QByteArray token;
    bool authDisabledOnServer = false;
    QSslConfiguration ssl;
    bool hasSsl = false;
    std::chrono::milliseconds timeout{5000};
    bool allowHttp2 = false; // off: see makeRequest(); bench_transport flips it to compare
    QNetworkAccessManager *ownNam = nullptr;
    QPointer<QNetworkAccessManager> externalNam;
    QPointer<GatewayReply> authReply;
    WatchHub *hub = nullptr;
    QHash<qint64, QPair<LeaseSession *, int>> sessions;
    int pending = 0;
    bool destroying = false;
    Error error = Error::NoError;
    QString errorString;
    Q_DECLARE_PUBLIC(Client)
};

} // namespace Conclave
