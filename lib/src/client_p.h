#pragma once

#include <functional>

#include <conclave/client.h>

#include "authenticator.h"
#include "codec.h"
#include "endpointpool.h"

#include <QtCore/QDateTime>
#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QPointer>
#include <QtCore/QSet>
#include <QtNetwork/QNetworkRequest>

namespace Conclave {

class GatewayReply;
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
    //! Several ranges at one revision (a txn with no compare and only reads: safe to repeat).
    GatewayReply *readTxn(const QJsonArray &ranges);
    GatewayReply *leaseGrant(qint64 ttlSeconds);
    GatewayReply *leaseKeepAlive(qint64 leaseId);
    GatewayReply *leaseRevoke(qint64 leaseId);
    GatewayReply *leaseTimeToLive(qint64 leaseId, bool withKeys = false);
    GatewayReply *leases();
    GatewayReply *status();
    //! GET /version: {"etcdserver":"3.5.30","etcdcluster":"3.5.0"}; needs no permission on any
    //! version (maintenance/status is root-only on 3.5.28-3.5.31, 3.6.9-3.6.11, 3.4.42+).
    GatewayReply *version();

    WatchHub *watchHub();
    /*!
     * A call got no answer in time (\a why): its connection may be half-dead (bytes dropped,
     * never reset), and whatever did that (a NAT, a load balancer, a proxy forgetting flows)
     * has most likely done it to the Client's other connections too. The watch hub replaces
     * its streams, and no watch counts as live until a new stream confirms it.
     */
    void connectionsSuspect(const QString &why);

    /*!
     * Makes \a other reach \a endpoints the way this Client reaches its own: the same
     * credentials, TLS configuration and request timeout (capped at \a maxTimeout). Its own
     * connections and token: a member of a cluster using simple tokens accepts only its own.
     */
    void configureLike(Client *other, const QList<QUrl> &endpoints, std::chrono::milliseconds maxTimeout) const;

    //! \a dependent (an upper layer's object holding calls of this Client: the lease sessions)
    //! is deleted when the Client is, before the transport goes.
    void deleteBeforeTransport(QObject *dependent) { dependents.append(dependent); }

    /*!
     * The upper layers' objects that exist once per Client (the lease sessions, the campaign
     * registry, the lag meter), children of the Client, found by type in O(1). findChild()
     * asked every child — with 10,000 Electors on a Client, each Elector's lookups cost
     * O(n): 15% of a 10,000-election handover's CPU went to qt_metacast.
     */
    template<typename T, typename Make>
    T *companion(Make make)
    {
        QPointer<QObject> &slot = companions[&T::staticMetaObject];
        if (!slot)
            slot = make();
        return static_cast<T *>(slot.data());
    }

    /*!
     * Runs before any answer or watch event is handed on. The election layer sets it: a lease
     * whose right to lead has run out (a process frozen past its TTL) is given up before the
     * backlog that arrived meanwhile is handled, so that every Elector of a large Client steps
     * down at once on waking, not one by one as its events come (tst_elector::frozenLeaderStepsDownBeforeItsBacklog).
     */
    std::function<void()> beforeDelivery;
    void aboutToDeliver() const
    {
        if (beforeDelivery)
            beforeDelivery();
    }

    // Plumbing shared by GatewayReply and WatchHub.
    QNetworkRequest makeRequest(const QUrl &endpoint, const QByteArray &path,
                                const QByteArray &token) const;
    //! The headers every call sends (content type, the leader requirement, \a token).
    QList<QPair<QByteArray, QByteArray>> requestHeaders(const QByteArray &token) const;
    //! The TLS configuration for the Client's https endpoints.
    QSslConfiguration sslConfiguration() const;
    QNetworkAccessManager *unaryNam() const;
    EndpointPool &endpoints() { return pool; }
    Authenticator &auth() { return authenticator; }
    std::chrono::milliseconds timeout() const { return requestTimeout; }
    //! \a index could not be reached / answered: the pool's preference moves (and is told).
    void markEndpointFailed(int index);
    void markEndpointGood(int index);
    /*!
     * HTTP/1.1 takes one connection per call on the wire, and QNAM opens up to 6 per host: at
     * most MaxUnaryOnWire calls are on the wire at once, so a Client holds at most that many
     * unary connections however many Electors use it (one more for an urgent call when all
     * are busy). The others wait in order, urgent ones (lease keepalives, revokes) first; a
     * call's own deadline starts when it goes on the wire.
     */
    static constexpr int MaxUnaryOnWire = 3;
    void admit(GatewayReply *reply); //!< reply->transmit() now, or once a call leaves the wire
    void release();                  //!< a call left the wire
    //! Counts unary calls in flight; Client::idle() when the last one finishes.
    void requestStarted() { ++pending; }
    void requestFinished();
    //! What the Client's unary calls cost so far (benchmarks): calls put on the wire (retries
    //! included), per call name, and the bytes of their request and answer bodies.
    struct Traffic
    {
        qint64 calls = 0;
        qint64 bodyBytesSent = 0;
        qint64 bodyBytesReceived = 0;
        QHash<QString, qint64> callsByName;
    };
    const Traffic &traffic() const { return unaryTraffic; }
    void countSent(const QString &call, qint64 bodyBytes)
    {
        ++unaryTraffic.calls;
        ++unaryTraffic.callsByName[call];
        unaryTraffic.bodyBytesSent += bodyBytes;
    }
    void countReceived(qint64 bodyBytes) { unaryTraffic.bodyBytesReceived += bodyBytes; }
    //! etcd answered successfully: lastContact moves (and is told) at most once a second.
    void contacted();
    bool isDestroying() const { return destroying; }
    void setHttp2Allowed(bool on) { allowHttp2 = on; }
    void setError(Error error, const QString &message);

    Client *const q_ptr;

private:
    friend class Client;
    EndpointPool pool;
    Authenticator authenticator;
    QSslConfiguration ssl;
    bool hasSsl = false;
    std::chrono::milliseconds requestTimeout{5000};
    bool allowHttp2 = false; // off: see makeRequest(); bench_transport flips it to compare
    QNetworkAccessManager *ownNam = nullptr;
    QPointer<QNetworkAccessManager> externalNam;
    WatchHub *hub = nullptr;
    QList<QPointer<QObject>> dependents;
    QHash<const QMetaObject *, QPointer<QObject>> companions;
    int pending = 0;
    bool hasRoomFor(const GatewayReply *reply) const;
    // txnbatch.cpp: \a first goes on the wire, with the txns waiting that may share its batch.
    void dispatch(GatewayReply *first);
    void batchFinished(GatewayReply *batch, const QList<QPointer<GatewayReply>> &members);
    bool failUnknownLease(GatewayReply *batch, const QList<QPointer<GatewayReply>> &members);
    int onWire = 0;
    Traffic unaryTraffic;
    QList<QPointer<GatewayReply>> waiting; // for a place on the wire
    bool destroying = false;
    Error error = Error::NoError;
    QString errorString;
    QDateTime lastContact;
    QElapsedTimer sinceContactTold;
    Q_DECLARE_PUBLIC(Client)
};

} // namespace Conclave
