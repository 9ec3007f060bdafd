#pragma once

#include <conclave/conclaveglobal.h>

#include <QtCore/QCommandLineOption>
#include <QtCore/QList>
#include <QtCore/QSharedDataPointer>
#include <QtCore/QStringList>
#include <QtCore/QUrl>

QT_BEGIN_NAMESPACE
class QCommandLineParser;
QT_END_NAMESPACE

namespace Conclave {

class Client;
class ConnectionSettingsData;

/*!
 * \class Conclave::ConnectionSettings
 * How to reach etcd, spelled the way etcdctl spells it: `--endpoints`, `--cacert`, `--cert`,
 * `--key`, `--user USER[:PASSWORD]`, with `ETCDCTL_ENDPOINTS`, `ETCDCTL_CACERT`,
 * `ETCDCTL_CERT`, `ETCDCTL_KEY`, `ETCDCTL_USER` and `ETCDCTL_PASSWORD` as fallbacks, and
 * etcdctl's default endpoint `http://127.0.0.1:2379` when neither names one. Tools
 * built on Conclave (conclave-candidate, conclave-monitor) share it so that one set of
 * options works everywhere.
 * \code
 * QCommandLineParser parser;
 * parser.addOptions(Conclave::ConnectionSettings::commandLineOptions());
 * parser.process(app);
 * Conclave::ConnectionSettings settings = Conclave::ConnectionSettings::fromCommandLine(parser);
 * QString problem;
 * if (!settings.applyTo(&client, &problem))
 *     qFatal("%s", qPrintable(problem));
 * \endcode
 */
class CONCLAVE_EXPORT ConnectionSettings
{
public:
    ConnectionSettings();
    ConnectionSettings(const ConnectionSettings &other);            //!< copies (implicitly shared)
    ConnectionSettings &operator=(const ConnectionSettings &other); //!< copies (implicitly shared)
    ~ConnectionSettings();

    //! Comma-separated URLs as typed (validated by applyTo()); defaultEndpoint() unless set.
    QString endpoints() const;
    void setEndpoints(const QString &endpoints);    //!< `--endpoints`, `ETCDCTL_ENDPOINTS`
    QString caCertificateFile() const;              //!< PEM file of the CA that signed the members' certificates
    void setCaCertificateFile(const QString &path); //!< `--cacert`, `ETCDCTL_CACERT`
    QString certificateFile() const;                //!< PEM client certificate (client-certificate auth)
    void setCertificateFile(const QString &path);   //!< `--cert`, `ETCDCTL_CERT`
    QString keyFile() const;                        //!< PEM key of the client certificate
    void setKeyFile(const QString &path);           //!< `--key`, `ETCDCTL_KEY`
    QString user() const;                           //!< etcd user (empty: no etcd auth)
    void setUser(const QString &user);              //!< `--user USER[:PASSWORD]`, `ETCDCTL_USER`
    QString password() const;                       //!< the user's password (never stored by Conclave)
    void setPassword(const QString &password);      //!< from `--user USER:PASSWORD` or `ETCDCTL_PASSWORD`

    //! The endpoints parsed; an empty list and \a problem set when any is not http[s]://host:port.
    QList<QUrl> endpointUrls(QString *problem = nullptr) const;

    //! Configures \a client; false with \a problem set (nothing changed) when an option is bad.
    bool applyTo(Conclave::Client *client, QString *problem) const;

    //! `http://127.0.0.1:2379`, etcdctl's default.
    static QString defaultEndpoint();
    //! `--endpoints`, `--cacert`, `--cert`, `--key`, `--user`.
    static QList<QCommandLineOption> commandLineOptions();
    //! From a parser given commandLineOptions(); unset options fall back to the environment.
    static ConnectionSettings fromCommandLine(const QCommandLineParser &parser);
    //! From etcdctl's variables (`ETCDCTL_ENDPOINTS`, `_CACERT`, `_CERT`, `_KEY`, `_USER`, `_PASSWORD`).
    static ConnectionSettings fromEnvironment();

private:
    QSharedDataPointer<ConnectionSettingsData> d;
};

} // namespace Conclave
