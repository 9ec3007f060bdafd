#pragma once

#include <conclave/conclaveglobal.h>

#include <QtCore/QList>
#include <QtCore/QDateTime>
#include <QtCore/QObject>
#include <QtCore/QUrl>
#include <QtNetwork/QSslConfiguration>

#include <chrono>
#include <memory>

QT_BEGIN_NAMESPACE
class QNetworkAccessManager;
QT_END_NAMESPACE

namespace Conclave {

class ClientPrivate;

/*!
 * \class Conclave::Client
 * The connection to one etcd cluster through its v3 JSON gateway: endpoints (tried in order,
 * failing over), TLS, credentials and timeouts. Electors and observers created on one Client
 * share its connections, its watch stream and its lease session.
 *
 * \code
 * Conclave::Client client;
 * client.setEndpoints({QUrl(QStringLiteral("http://127.0.0.1:2379"))});
 * client.setCredentials(QStringLiteral("app"), password);   // optional
 * \endcode
 *
 * Configure it before use; a change applies to requests started afterwards. All work runs in
 * the thread the Client lives in, driven by its event loop; nothing blocks.
 */
class CONCLAVE_EXPORT Client : public QObject
{
    Q_OBJECT
    //! The property of endpoints(), setEndpoints(); changes are signalled by endpointsChanged().
    Q_PROPERTY(QList<QUrl> endpoints READ endpoints WRITE setEndpoints NOTIFY endpointsChanged)
    //! The property of currentEndpoint(); changes are signalled by currentEndpointChanged().
    Q_PROPERTY(QUrl currentEndpoint READ currentEndpoint NOTIFY currentEndpointChanged)
    //! The property of lastContact(); changes are signalled by lastContactChanged().
    Q_PROPERTY(QDateTime lastContact READ lastContact NOTIFY lastContactChanged)

public:
    //! A Client with no endpoints yet: setEndpoints() before the first Elector campaigns.
    explicit Client(QObject *parent = nullptr);
    ~Client() override;

    //! The member URLs requests may go to, in order of preference.
    QList<QUrl> endpoints() const;
    /*!
     * Sets the client URLs of the cluster's members (http:// or https://, host and port, no
     * path). Invalid URLs are refused with errorOccurred(InvalidArgument) and leave the
     * previous endpoints in place.
     */
    void setEndpoints(const QList<QUrl> &endpoints);
    //! The endpoint requests go to now; it moves on when a member cannot be reached.
    QUrl currentEndpoint() const;

    //! User and password for etcd auth; a token is fetched and renewed transparently.
    void setCredentials(const QString &user, const QString &password);
    //! The etcd user (empty: no authentication).
    QString user() const;

    //! CA, client certificate and key for https:// endpoints; peer verification stays on.
    void setSslConfiguration(const QSslConfiguration &configuration);
    //! The configuration given, or Qt's default one.
    QSslConfiguration sslConfiguration() const;

    //! How long one unary request may take before it fails with TimeoutError (default 5 s).
    void setRequestTimeout(std::chrono::milliseconds timeout);
    //! See setRequestTimeout().
    std::chrono::milliseconds requestTimeout() const;

    /*!
     * Uses \a manager (not owned) for unary requests instead of a private one. Watch
     * streams always use a private manager so that they can never starve unary calls
     * of QNetworkAccessManager's six connections per host.
     */
    void setNetworkAccessManager(QNetworkAccessManager *manager);
    //! The manager unary requests use (the Client's own unless one was given).
    QNetworkAccessManager *networkAccessManager() const;

    //! Requests sent and not yet answered (e.g. the key deletion of a leaving Elector).
    int pendingRequests() const;
    /*!
     * When etcd last answered a request of this Client successfully (UTC; invalid before the
     * first), to within a second: lastContactChanged() comes at most once a second. A
     * successful answer needs a member with a quorum behind it for every write and every
     * linearizable read; while campaigning, lease renewals come every TTL/3.
     */
    QDateTime lastContact() const;

    //! The last client-level error (configuration, authentication); sticky until the next one.
    Conclave::Error error() const;
    //! The last error in words (empty without one).
    QString errorString() const;

Q_SIGNALS:
    //! setEndpoints() replaced the endpoints.
    void endpointsChanged(const QList<QUrl> &endpoints);
    //! Requests go to another member now (failover, or new endpoints).
    void currentEndpointChanged(const QUrl &endpoint);
    //! A client-level error: invalid configuration, authentication failed.
    void errorOccurred(Conclave::Error error, const QString &message);
    //! pendingRequests() dropped to zero: a clean moment to exit after Elector::leave().
    void idle();
    //! See lastContact().
    void lastContactChanged(const QDateTime &lastContact);

private:
    Q_DISABLE_COPY_MOVE(Client)
    Q_DECLARE_PRIVATE(Client)
    std::unique_ptr<ClientPrivate> const d_ptr;
};

} // namespace Conclave
