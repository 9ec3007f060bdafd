#pragma once

// Where a QML Elector or ElectionObserver gets its Client: the Connection it was given, or a
// Client of its own on its `endpoints` when it was given none.

#include "endpoints.h"
#include "qmlconnection.h"

#include <QtCore/QPointer>

#include <functional>

#include <memory>

namespace Conclave::Qml {

class ClientSource
{
public:
    ClientSource();

    Conclave::Client *client();
    Connection *connection() const { return m_connection; }
    /*!
     * Uses \a connection's Client from now on (its own again with nullptr), then calls
     * \a switched (which rebuilds what used the old Client). Should the Connection be destroyed,
     * its own Client is used again and \a switched called once more: the Connection's Client is
     * its child, still alive when destroyed() is emitted, so its users let go of it first.
     */
    void setConnection(Connection *connection, QObject *context, const std::function<void()> &switched);
    QList<QUrl> endpoints() const { return m_own.endpoints(); }
    //! The endpoints of its own Client (used while no Connection is given).
    void setEndpoints(const QList<QUrl> &endpoints);
    Conclave::Client *ownClient() { return &m_own; }

private:
    QPointer<Connection> m_connection;
    QMetaObject::Connection m_watch;
    Conclave::Client m_own;
};

} // namespace Conclave::Qml
