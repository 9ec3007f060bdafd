#include "qmlconnection.h"

namespace Conclave::Qml {

Connection::Connection(QObject *parent)
    : QObject(parent)
    , m_client(new Conclave::Client(this))
{
    connect(m_client, &Client::currentEndpointChanged, this, &Connection::currentEndpointChanged);
    connect(m_client, &Client::errorOccurred, this, [this](Conclave::Error error, const QString &message) {
        Q_EMIT errorChanged();
        Q_EMIT errorOccurred(error, message);
    });
}

void Connection::componentComplete()
{
    m_complete = true;
    apply();
}

// Everything at once, as etcdctl takes its options: nothing changes when one setting is bad.
void Connection::apply()
{
    if (!m_complete)
        return;
    QString problem;
    if (m_settings.applyTo(m_client, &problem))
        problem.clear();
    if (problem == m_problem)
        return;
    m_problem = problem;
    Q_EMIT errorChanged();
    if (!problem.isEmpty())
        Q_EMIT errorOccurred(Conclave::Error::InvalidArgument, problem);
}

QVariant Connection::endpoints() const
{
    return m_settings.endpoints().split(QLatin1Char(','), Qt::SkipEmptyParts);
}

void Connection::setEndpoints(const QVariant &value)
{
    const QString endpoints = endpointStrings(endpointList(value)).join(QLatin1Char(','));
    if (endpoints == m_settings.endpoints())
        return;
    m_settings.setEndpoints(endpoints);
    apply();
    Q_EMIT endpointsChanged();
}

void Connection::setCaCertificateFile(const QString &path)
{
    if (path == m_settings.caCertificateFile())
        return;
    m_settings.setCaCertificateFile(path);
    apply();
    Q_EMIT tlsChanged();
}

void Connection::setCertificateFile(const QString &path)
{
    if (path == m_settings.certificateFile())
        return;
    m_settings.setCertificateFile(path);
    apply();
    Q_EMIT tlsChanged();
}

void Connection::setKeyFile(const QString &path)
{
    if (path == m_settings.keyFile())
        return;
    m_settings.setKeyFile(path);
    apply();
    Q_EMIT tlsChanged();
}

void Connection::setUser(const QString &user)
{
    if (user == m_settings.user())
        return;
    m_settings.setUser(user);
    apply();
    Q_EMIT userChanged();
}

void Connection::setPassword(const QString &password)
{
    if (password == m_settings.password())
        return;
    m_settings.setPassword(password);
    apply();
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

Conclave::Error Connection::error() const
{
    return m_problem.isEmpty() ? m_client->error() : Conclave::Error::InvalidArgument;
}

QString Connection::errorString() const
{
    return m_problem.isEmpty() ? m_client->errorString() : m_problem;
}

} // namespace Conclave::Qml
