#pragma once

// Where a QML Elector or ElectionObserver gets its Client: the Connection it was given, or a
// Client of its own on its `endpoints` when it was given none.

#include "endpoints.h"
#include "qmlconnection.h"

#include <QtCore/QPointer>

#include <memory>

namespace Conclave::Qml {

class ClientSource
{
public:
    ClientSource();

    Conclave::Client *client();
    Connection *connection() const { return m_connection; }
    //! Uses \a connection's Client from now on (its own again with nullptr).
    void setConnection(Connection *connection) { m_connection = connection; }
    QList<QUrl> endpoints() const { return m_own.endpoints(); }
    //! The endpoints of its own Client (used while no Connection is given).
    void setEndpoints(const QList<QUrl> &endpoints);
    Conclave::Client *ownClient() { return &m_own; }

private:
    QPointer<Connection> m_connection;
    Conclave::Client m_own;
};

} // namespace Conclave::Qml
