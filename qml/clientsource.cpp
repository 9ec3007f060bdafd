#include "clientsource.h"

namespace Conclave::Qml {

ClientSource::ClientSource() = default;

Conclave::Client *ClientSource::client()
{
    return m_connection ? m_connection->client() : &m_own;
}

void ClientSource::setConnection(Connection *connection, QObject *context,
                                 const std::function<void()> &switched)
{
    QObject::disconnect(m_watch);
    m_connection = connection;
    if (connection) {
        m_watch = QObject::connect(connection, &QObject::destroyed, context, [this, switched] {
            m_connection = nullptr;
            switched();
        });
    }
    switched();
}

void ClientSource::setEndpoints(const QList<QUrl> &endpoints)
{
    if (endpoints != m_own.endpoints())
        m_own.setEndpoints(endpoints);
}

} // namespace Conclave::Qml
