#include <conclave/client.h>
#include <conclave/connectionsettings.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QFile>
#include <QtNetwork/QSslCertificate>
#include <QtNetwork/QSslConfiguration>
#include <QtNetwork/QSslKey>

namespace Conclave {

class ConnectionSettingsData : public QSharedData
{
public:
    QString endpoints = ConnectionSettings::defaultEndpoint();
    QString caCert;
    QString cert;
    QString key;
    QString user;
    QString password;
};

ConnectionSettings::ConnectionSettings() : d(new ConnectionSettingsData) {}
ConnectionSettings::ConnectionSettings(const ConnectionSettings &other) = default;
ConnectionSettings &ConnectionSettings::operator=(const ConnectionSettings &other) = default;
ConnectionSettings::~ConnectionSettings() = default;

QString ConnectionSettings::endpoints() const { return d->endpoints; }
void ConnectionSettings::setEndpoints(const QString &endpoints) { d->endpoints = endpoints; }
QString ConnectionSettings::caCertificateFile() const { return d->caCert; }
void ConnectionSettings::setCaCertificateFile(const QString &path) { d->caCert = path; }
QString ConnectionSettings::certificateFile() const { return d->cert; }
void ConnectionSettings::setCertificateFile(const QString &path) { d->cert = path; }
QString ConnectionSettings::keyFile() const { return d->key; }
void ConnectionSettings::setKeyFile(const QString &path) { d->key = path; }
QString ConnectionSettings::user() const { return d->user; }
QString ConnectionSettings::password() const { return d->password; }
void ConnectionSettings::setPassword(const QString &password) { d->password = password; }

// etcdctl accepts `--user name:password`; split it so that user() never holds a password.
void ConnectionSettings::setUser(const QString &user)
{
    const qsizetype colon = user.indexOf(QLatin1Char(':'));
    if (colon < 0) {
        d->user = user;
        return;
    }
    d->user = user.left(colon);
    d->password = user.mid(colon + 1);
}

QList<QUrl> ConnectionSettings::endpointUrls(QString *problem) const
{
    QList<QUrl> urls;
    const QStringList parts = d->endpoints.split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString &part : parts) {
        const QUrl url(part.trimmed(), QUrl::StrictMode);
        const bool ok = url.isValid() && url.port() > 0 && !url.host().isEmpty()
                && (url.scheme() == QLatin1String("http") || url.scheme() == QLatin1String("https"))
                && (url.path().isEmpty() || url.path() == QLatin1String("/"));
        if (!ok) {
            if (problem)
                *problem = QStringLiteral("invalid endpoint \"%1\" (expected http[s]://host:port)")
                                   .arg(part.trimmed());
            return {};
        }
        urls.append(url);
    }
    if (urls.isEmpty() && problem)
        *problem = QStringLiteral("no endpoints given (use --endpoints or ETCDCTL_ENDPOINTS)");
    return urls;
}

bool ConnectionSettings::applyTo(Client *client, QString *problem) const
{
    QString why;
    const QList<QUrl> urls = endpointUrls(&why);
    if (urls.isEmpty()) {
        if (problem)
            *problem = why;
        return false;
    }
    auto fail = [problem](const QString &message) {
        if (problem)
            *problem = message;
        return false;
    };
    const bool wantsTls = !d->caCert.isEmpty() || !d->cert.isEmpty() || !d->key.isEmpty();
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    if (!d->caCert.isEmpty()) {
        const auto cas = QSslCertificate::fromPath(d->caCert);
        if (cas.isEmpty())
            return fail(QStringLiteral("no certificate readable in --cacert %1").arg(d->caCert));
        ssl.setCaCertificates(cas);
    }
    if (!d->cert.isEmpty() || !d->key.isEmpty()) {
        const auto certs = QSslCertificate::fromPath(d->cert);
        QFile keyFile(d->key);
        if (d->cert.isEmpty() || d->key.isEmpty() || certs.isEmpty()
            || !keyFile.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("--cert and --key must both name readable PEM files"));
        const QByteArray pem = keyFile.readAll();
        QSslKey key(pem, QSsl::Rsa);
        if (key.isNull())
            key = QSslKey(pem, QSsl::Ec);
        if (key.isNull())
            return fail(QStringLiteral("cannot read the private key in %1").arg(d->key));
        ssl.setLocalCertificate(certs.first());
        ssl.setPrivateKey(key);
    }
    client->setEndpoints(urls);
    if (wantsTls)
        client->setSslConfiguration(ssl);
    if (!d->user.isEmpty())
        client->setCredentials(d->user, d->password);
    return true;
}

QList<QCommandLineOption> ConnectionSettings::commandLineOptions()
{
    return {
        {QStringLiteral("endpoints"), QStringLiteral("etcd URLs, comma-separated ($ETCDCTL_ENDPOINTS)"), QStringLiteral("urls")},
        {QStringLiteral("cacert"), QStringLiteral("CA bundle that signed etcd's certificate ($ETCDCTL_CACERT)"), QStringLiteral("file")},
        {QStringLiteral("cert"), QStringLiteral("client certificate ($ETCDCTL_CERT)"), QStringLiteral("file")},
        {QStringLiteral("key"), QStringLiteral("client key ($ETCDCTL_KEY)"), QStringLiteral("file")},
        {QStringLiteral("user"), QStringLiteral("USER[:PASSWORD] ($ETCDCTL_USER, $ETCDCTL_PASSWORD)"), QStringLiteral("user")},
    };
}

QString ConnectionSettings::defaultEndpoint()
{
    return QStringLiteral("http://127.0.0.1:2379");
}

// The option if given, else the variable if set (even to nothing), else \a fallback. An
// explicitly empty endpoint list thus stays empty and is reported as such by applyTo().
static QString pick(const QCommandLineParser *parser, const char *name, const char *env,
                    const QString &fallback = {})
{
    const QString option = QLatin1String(name);
    if (parser && parser->isSet(option))
        return parser->value(option);
    return qEnvironmentVariableIsSet(env) ? qEnvironmentVariable(env) : fallback;
}

static ConnectionSettings pickAll(const QCommandLineParser *parser)
{
    ConnectionSettings s;
    s.setEndpoints(pick(parser, "endpoints", "ETCDCTL_ENDPOINTS", ConnectionSettings::defaultEndpoint()));
    s.setCaCertificateFile(pick(parser, "cacert", "ETCDCTL_CACERT"));
    s.setCertificateFile(pick(parser, "cert", "ETCDCTL_CERT"));
    s.setKeyFile(pick(parser, "key", "ETCDCTL_KEY"));
    s.setPassword(qEnvironmentVariable("ETCDCTL_PASSWORD"));
    s.setUser(pick(parser, "user", "ETCDCTL_USER"));
    return s;
}

ConnectionSettings ConnectionSettings::fromCommandLine(const QCommandLineParser &parser)
{
    return pickAll(&parser);
}

ConnectionSettings ConnectionSettings::fromEnvironment()
{
    return pickAll(nullptr);
}

} // namespace Conclave
