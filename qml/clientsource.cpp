#include "clientsource.h"

namespace Conclave::Qml {

ClientSource::ClientSource() = default;

Conclave::Client *ClientSource::client()
{
    return m_connection ? m_connection->client() : &m_own;
}

void ClientSource::setEndpoints(const QList<QUrl> &endpoints)
{
    if (endpoints != m_own.endpoints())
        m_own.setEndpoints(endpoints);
}

} // namespace Conclave::Qml
