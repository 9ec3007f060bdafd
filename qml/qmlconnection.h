#pragma once

// QML's Connection: one Client (etcd endpoints, TLS files, credentials, timeout) that several
// Electors and ElectionObservers share, as Electors of one Client share its lease and its
// connections. Its settings are applied as etcdctl's are (Conclave::ConnectionSettings), once the
// object is complete and at every change after.

#include "endpoints.h"

#include <conclave/client.h>
#include <conclave/connectionsettings.h>

#include <QtCore/QObject>
#include <QtCore/QUrl>
#include <QtQml/QQmlParserStatus>
#include <QtQml/qqmlregistration.h>

namespace Conclave::Qml {

class Connection : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_NAMED_ELEMENT(Connection)
    Q_PROPERTY(QVariant endpoints READ endpoints WRITE setEndpoints NOTIFY endpointsChanged)
    Q_PROPERTY(QString caCertificateFile READ caCertificateFile WRITE setCaCertificateFile NOTIFY tlsChanged)
    Q_PROPERTY(QString certificateFile READ certificateFile WRITE setCertificateFile NOTIFY tlsChanged)
    Q_PROPERTY(QString keyFile READ keyFile WRITE setKeyFile NOTIFY tlsChanged)
    Q_PROPERTY(QString user READ user WRITE setUser NOTIFY userChanged)
    Q_PROPERTY(QString password READ password WRITE setPassword NOTIFY passwordChanged)
    Q_PROPERTY(int requestTimeout READ requestTimeout WRITE setRequestTimeout NOTIFY requestTimeoutChanged)
    Q_PROPERTY(QUrl currentEndpoint READ currentEndpoint NOTIFY currentEndpointChanged)
    Q_PROPERTY(Conclave::Error error READ error NOTIFY errorChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorChanged)

public:
    explicit Connection(QObject *parent = nullptr);

    Conclave::Client *client() const { return m_client; }

    //! As given; etcdctl's http://127.0.0.1:2379 when none is.
    QVariant endpoints() const;
    void setEndpoints(const QVariant &endpoints);
    QString caCertificateFile() const { return m_settings.caCertificateFile(); }
    void setCaCertificateFile(const QString &path);
    QString certificateFile() const { return m_settings.certificateFile(); }
    void setCertificateFile(const QString &path);
    QString keyFile() const { return m_settings.keyFile(); }
    void setKeyFile(const QString &path);
    QString user() const { return m_settings.user(); }
    void setUser(const QString &user);
    QString password() const { return m_settings.password(); }
    void setPassword(const QString &password);
    int requestTimeout() const; // milliseconds
    void setRequestTimeout(int milliseconds);
    QUrl currentEndpoint() const { return m_client->currentEndpoint(); }
    //! A setting that could not be applied (InvalidArgument), else the Client's last error.
    Conclave::Error error() const;
    QString errorString() const;

    void classBegin() override {}
    void componentComplete() override;

Q_SIGNALS:
    void endpointsChanged();
    void tlsChanged();
    void userChanged();
    void passwordChanged();
    void requestTimeoutChanged();
    void currentEndpointChanged();
    void errorChanged();
    void errorOccurred(Conclave::Error error, const QString &message);

private:
    void apply();

    // A child, not a member: it outlives destroyed(), so whoever uses it can let go first.
    Conclave::Client *const m_client;
    Conclave::ConnectionSettings m_settings;
    QString m_problem; // why the settings could not be applied
    bool m_complete = false;
};

} // namespace Conclave::Qml
