// The smallest Conclave program: join an election, print every role and leader change.
// Connects where etcdctl would ($ETCDCTL_ENDPOINTS etc., default http://127.0.0.1:2379).
#include <conclave/client.h>
#include <conclave/connectionsettings.h>
#include <conclave/elector.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QDebug>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    // README snippet begins
    Conclave::Client client;
    const Conclave::ConnectionSettings settings = Conclave::ConnectionSettings::fromEnvironment();
    QString problem;
    if (!settings.applyTo(&client, &problem))
        qFatal("%s", qPrintable(problem));

    Conclave::Elector elector(&client);
    elector.setElectionName(QStringLiteral("examples/minimal"));
    QObject::connect(&elector, &Conclave::Elector::roleChanged, [](Conclave::Elector::Role role) {
        qInfo() << "role:" << role;
    });
    QObject::connect(&elector, &Conclave::Elector::leaderChanged, [](const Conclave::LeaderInfo &leader) {
        qInfo() << "leader:" << (leader.isValid() ? leader.id() : QStringLiteral("(none)"));
    });
    QObject::connect(&elector, &Conclave::Elector::errorOccurred, [](Conclave::Error, const QString &message) {
        qWarning() << "error:" << message;
    });
    elector.campaign();
    // README snippet ends
    return app.exec();
}
