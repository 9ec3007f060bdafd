#include "monitorsettings.h"

#include <QtCore/QSettings>

namespace Monitor {

void rememberConnection(const Conclave::ConnectionSettings &connection)
{
    QSettings s;
    s.setValue(QStringLiteral("connection/endpoints"), connection.endpoints());
    s.setValue(QStringLiteral("connection/cacert"), connection.caCertificateFile());
    s.setValue(QStringLiteral("connection/cert"), connection.certificateFile());
    s.setValue(QStringLiteral("connection/key"), connection.keyFile());
    s.setValue(QStringLiteral("connection/user"), connection.user()); // never the password
}

Conclave::ConnectionSettings rememberedConnection()
{
    const QSettings s;
    Conclave::ConnectionSettings c;
    c.setEndpoints(s.value(QStringLiteral("connection/endpoints"),
                           Conclave::ConnectionSettings::defaultEndpoint()).toString());
    c.setCaCertificateFile(s.value(QStringLiteral("connection/cacert")).toString());
    c.setCertificateFile(s.value(QStringLiteral("connection/cert")).toString());
    c.setKeyFile(s.value(QStringLiteral("connection/key")).toString());
    c.setUser(s.value(QStringLiteral("connection/user")).toString());
    return c;
}

} // namespace Monitor
