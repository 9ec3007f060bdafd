// conclave-widgets: a small window showing this instance's role, the current leader and its
// fencing token, with a Resign button. Connects where etcdctl would ($ETCDCTL_ENDPOINTS,
// --endpoints, …; default http://127.0.0.1:2379).
//   conclave-widgets [--election NAME] [--id ID] [etcdctl connection options]
#include <conclave/client.h>
#include <conclave/connectionsettings.h>
#include <conclave/elector.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QDebug>
#include <QtWidgets/QApplication>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QWidget>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QCommandLineParser p;
    p.addHelpOption();
    p.addOptions(Conclave::ConnectionSettings::commandLineOptions());
    p.addOptions({{QStringLiteral("election"), QStringLiteral("election name (default examples/widgets)"), QStringLiteral("name"), QStringLiteral("examples/widgets")},
                  {QStringLiteral("id"), QStringLiteral("candidate id (default hostname:pid)"), QStringLiteral("id")}});
    p.process(app);
    Conclave::ConnectionSettings settings = Conclave::ConnectionSettings::fromCommandLine(p);
    Conclave::Client client;
    QString problem;
    if (!settings.applyTo(&client, &problem)) {
        QMessageBox::critical(nullptr, QStringLiteral("conclave-widgets"), problem);
        return 2;
    }

    Conclave::Elector elector(&client);
    elector.setElectionName(p.value(QStringLiteral("election")));
    if (p.isSet(QStringLiteral("id")))
        elector.setCandidateId(p.value(QStringLiteral("id")));

    QWidget window;
    window.setWindowTitle(QStringLiteral("%1 in %2").arg(elector.candidateId(), elector.electionName()));
    auto *form = new QFormLayout(&window);
    auto *role = new QLabel(QStringLiteral("joining…"));
    auto *leader = new QLabel(QStringLiteral("(unknown)"));
    auto *token = new QLabel(QStringLiteral("-"));
    auto *error = new QLabel;
    error->setStyleSheet(QStringLiteral("color: #b71c1c"));
    error->setWordWrap(true);
    auto *resign = new QPushButton(QStringLiteral("Resign"));
    resign->setEnabled(false);
    form->addRow(QStringLiteral("This instance:"), new QLabel(elector.candidateId()));
    form->addRow(QStringLiteral("Role:"), role);
    form->addRow(QStringLiteral("Leader:"), leader);
    form->addRow(QStringLiteral("Fencing token:"), token);
    form->addRow(resign);
    form->addRow(error);

    QObject::connect(&elector, &Conclave::Elector::roleChanged, &window, [&](Conclave::Elector::Role r) {
        const char *names[] = {"not a member", "follower", "LEADER"};
        role->setText(QString::fromLatin1(names[int(r)]));
        resign->setEnabled(r == Conclave::Elector::Role::Leader);
        qInfo() << "role:" << r;
    });
    QObject::connect(&elector, &Conclave::Elector::leaderChanged, &window, [&](const Conclave::LeaderInfo &l) {
        leader->setText(l.isValid() ? l.id() : QStringLiteral("(none)"));
        qInfo() << "leader:" << (l.isValid() ? l.id() : QStringLiteral("(none)"));
    });
    QObject::connect(&elector, &Conclave::Elector::fencingTokenChanged, &window, [&](qint64 t) {
        token->setText(t ? QString::number(t) : QStringLiteral("-"));
    });
    QObject::connect(&elector, &Conclave::Elector::errorOccurred, &window, [&](Conclave::Error, const QString &m) {
        error->setText(m);
    });
    QObject::connect(resign, &QPushButton::clicked, &elector, &Conclave::Elector::resign);

    window.show();
    elector.campaign();
    return app.exec();
}
