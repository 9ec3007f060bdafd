#include "qmlconnection.h"


namespace Conclave::Qml {

Connection::Connection(QObject *parent)
    : QObject(parent)
    , m_client(new Conclave::Client(this))
{
    connect(m_client, &Client::endpointsChanged, this, &Connection::endpointsChanged);
    connect(m_client, &Client::currentEndpointChanged, this, &Connection::currentEndpointChanged);
    connect(m_client, &Client::errorOccurred, this, [this](Conclave::Error error, const QString &message) {
        Q_EMIT errorChanged();
        Q_EMIT errorOccurred(error, message);
    });
}

void Connection::setEndpoints(const QVariant &value)
{
    const QList<QUrl> endpoints = endpointList(value);
    if (endpoints != m_client->endpoints())
        m_client->setEndpoints(endpoints); // an invalid URL is reported through errorOccurred
}

void Connection::setUser(const QString &user)
{
    if (user == m_user)
        return;
    m_user = user;
    m_client->setCredentials(m_user, m_password);
    Q_EMIT userChanged();
}

void Connection::setPassword(const QString &password)
{
    if (password == m_password)
        return;
    m_password = password;
    m_client->setCredentials(m_user, m_password);
    Q_EMIT passwordChanged();
}

int Connection::requestTimeout() const
{
    return int(m_client->requestTimeout().count());
}

void Connection::setRequestTimeout(int milliseconds)
{
    if (milliseconds == requestTimeout())
        return;
    m_client->setRequestTimeout(std::chrono::milliseconds(milliseconds));
    Q_EMIT requestTimeoutChanged();
}

} // namespace Conclave::Qml
