#include "authenticator.h"

#include "client_p.h"
#include "gatewayreply.h"
#include "logging.h"

namespace Conclave {

Authenticator::Authenticator(ClientPrivate *client)
    : m_client(client)
{
}

void Authenticator::setCredentials(const QString &user, const QString &password)
{
    m_user = user;
    m_password = password;
    m_disabledOnServer = false;
    m_token.clear();
}

void Authenticator::reset()
{
    m_token.clear();
}

bool Authenticator::rejected(const QByteArray &used)
{
    if (!used.isEmpty() && m_token == used)
        m_token.clear();
    return hasCredentials();
}

void Authenticator::withToken(QObject *context, std::function<void()> proceed,
                              std::function<void(Error, const QString &)> failed)
{
    if (!needsToken()) {
        proceed();
        return;
    }
    GatewayReply *auth = authenticate();
    QObject::connect(auth, &GatewayReply::finished, context,
                     [this, auth, proceed = std::move(proceed), failed = std::move(failed)] {
        if (!m_token.isEmpty() || m_disabledOnServer)
            proceed();
        else
            failed(auth->error(), QStringLiteral("authentication failed: ") + auth->errorString());
    });
}

GatewayReply *Authenticator::authenticate()
{
    if (m_inflight && !m_inflight->isFinished())
        return m_inflight;
    auto *reply = new GatewayReply(m_client, QStringLiteral("authenticate"), "/v3/auth/authenticate",
                                   {{QStringLiteral("name"), m_user},
                                    {QStringLiteral("password"), m_password}},
                                   ClientPrivate::Retry::Always, false);
    m_inflight = reply;
    // Connected before any caller's handler, so the token is in place when they run.
    onFinished(reply, this, [this](GatewayReply *reply) {
        if (reply->error() == Error::NoError) {
            m_token = reply->json().value(QLatin1String("token")).toString().toUtf8();
            qCDebug(lcGateway) << "authenticated as" << m_user;
        } else if (reply->errorString().contains(QLatin1String("authentication is not enabled"))) {
            qCInfo(lcGateway) << "credentials given but auth is not enabled on the server";
            m_disabledOnServer = true;
        } else {
            m_client->setError(reply->error() == Error::InvalidArgument ? Error::AuthenticationError
                                                                         : reply->error(),
                               reply->errorString());
        }
    });
    return reply;
}

} // namespace Conclave
