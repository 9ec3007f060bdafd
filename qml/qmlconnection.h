#pragma once

// QML's Connection: one Client (etcd endpoints, credentials, timeout) that several Electors and
// ElectionObservers share, as Electors of one Client share its lease and its connections.

#include <conclave/client.h>

#include "endpoints.h"

#include <QtCore/QObject>
#include <QtCore/QUrl>
#include <QtQml/qqmlregistration.h>

namespace Conclave::Qml {

class Connection : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(Connection)
    Q_PROPERTY(QVariant endpoints READ endpoints WRITE setEndpoints NOTIFY endpointsChanged)
    Q_PROPERTY(QString user READ user WRITE setUser NOTIFY userChanged)
    Q_PROPERTY(QString password READ password WRITE setPassword NOTIFY passwordChanged)
    Q_PROPERTY(int requestTimeout READ requestTimeout WRITE setRequestTimeout NOTIFY requestTimeoutChanged)
    Q_PROPERTY(QUrl currentEndpoint READ currentEndpoint NOTIFY currentEndpointChanged)
    Q_PROPERTY(Conclave::Error error READ error NOTIFY errorChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorChanged)

public:
    explicit Connection(QObject *parent = nullptr);

    Conclave::Client *client() const { return m_client; }

    QVariant endpoints() const { return endpointStrings(m_client->endpoints()); }
    void setEndpoints(const QVariant &endpoints);
    QString user() const { return m_user; }
    void setUser(const QString &user);
    QString password() const { return m_password; }
    void setPassword(const QString &password);
    int requestTimeout() const; // milliseconds
    void setRequestTimeout(int milliseconds);
    QUrl currentEndpoint() const { return m_client->currentEndpoint(); }
    Conclave::Error error() const { return m_client->error(); }
    QString errorString() const { return m_client->errorString(); }

Q_SIGNALS:
    void endpointsChanged();
    void userChanged();
    void passwordChanged();
    void requestTimeoutChanged();
    void currentEndpointChanged();
    void errorChanged();
    void errorOccurred(Conclave::Error error, const QString &message);

private:
    // A child, not a member: it outlives destroyed(), so whoever uses it can let go first.
    Conclave::Client *const m_client;
    QString m_user;
    QString m_password;
};

} // namespace Conclave::Qml
