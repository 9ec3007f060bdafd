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
    ConnectionSettings(const ConnectionSettings &other);
    ConnectionSettings &operator=(const ConnectionSettings &other);
    ~ConnectionSettings();

    //! Comma-separated URLs as typed (validated by applyTo()); defaultEndpoint() unless set.
    QString endpoints() const;
    void setEndpoints(const QString &endpoints);
    QString caCertificateFile() const;
    void setCaCertificateFile(const QString &path);
    QString certificateFile() const;
    void setCertificateFile(const QString &path);
    QString keyFile() const;
    void setKeyFile(const QString &path);
    QString user() const;
    void setUser(const QString &user);
    QString password() const;
    void setPassword(const QString &password);

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
    static ConnectionSettings fromEnvironment();

private:
    QSharedDataPointer<ConnectionSettingsData> d;
};

} // namespace Conclave
