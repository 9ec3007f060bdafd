#pragma once

// Authenticator: the one owner of the user's credentials and etcd's auth token, used by unary
// calls and watch streams alike. A call asks for a token with withToken(); a call whose token
// etcd rejected reports it with rejected() and asks again (etcd drops idle simple tokens).

#include <conclave/conclaveglobal.h>

#include <QtCore/QObject>
#include <QtCore/QPointer>

#include <functional>

namespace Conclave {

class ClientPrivate;
class GatewayReply;

class Authenticator : public QObject
{
public:
    explicit Authenticator(ClientPrivate *client);

    void setCredentials(const QString &user, const QString &password);
    QString user() const { return m_user; }
    QString password() const { return m_password; }
    bool hasCredentials() const { return !m_user.isEmpty(); }
    //! The token to send (empty: none needed, or not known yet).
    QByteArray token() const { return m_token; }

    //! True when a request can go out now (no token needed, or one is at hand).
    bool isReady() const { return !needsToken(); }
    /*!
     * Runs \a proceed once a request can go out: at once when no token is needed or one is
     * at hand, else after authenticating (one authenticate call in flight for everybody).
     * \a failed(error, message) instead when authentication fails. Neither runs once
     * \a context is gone.
     */
    void withToken(QObject *context, std::function<void()> proceed,
                   std::function<void(Error, const QString &)> failed);
    /*!
     * etcd rejected \a used (expired or unknown): it is dropped so that the next withToken()
     * authenticates again. False when there is nothing to retry with (no credentials).
     */
    bool rejected(const QByteArray &used);
    //! Forget the token (new endpoints or credentials).
    void reset();

private:
    bool needsToken() const { return hasCredentials() && m_token.isEmpty() && !m_disabledOnServer; }
    GatewayReply *authenticate();

    ClientPrivate *const m_client;
    QString m_user;
    QString m_password;
    QByteArray m_token;
    bool m_disabledOnServer = false;
    QPointer<GatewayReply> m_inflight;
};

} // namespace Conclave
