// conclave-monitor: every election in an etcd cluster, live; resign, evict, revoke.
// Headless modes (--once, --resign) need no display; --screenshot renders the window once
// its data has loaded (QT_QPA_PLATFORM=offscreen works).
#include "electionlistmodel.h"
#include "mainwindow.h"
#include "snapshot.h"

#include <conclave/client.h>
#include <conclave/conclave_version.h>
#include <conclave/electiondirectory.h>
#include <conclave/operation.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QSettings>
#include <QtCore/QTimer>
#include <QtWidgets/QApplication>
#include <QtWidgets/QInputDialog>

#include <cstdio>
#include <iostream>
#include <string>
#include <utility>
#include <termios.h>
#include <unistd.h>

namespace {

int fail(const QString &message, int code = 1)
{
    std::fprintf(stderr, "conclave-monitor: %s\n", qPrintable(message));
    return code;
}

// A one-shot command stops on what the library would retry forever, too: a certificate that
// does not verify and replies it cannot read will not change within the command's life.
bool fatal(Conclave::Error e)
{
    return Conclave::isPermanent(e) || e == Conclave::Error::TlsError
            || e == Conclave::Error::ProtocolError;
}

QString readPasswordFromTerminal(const QString &user)
{
    std::fprintf(stderr, "Password for %s: ", qPrintable(user));
    termios old{};
    const bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        termios quiet = old;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
    return QString::fromStdString(line);
}

// Runs until the directory has listed everything and read every candidate's lease, or the
// deadline passes. Returns an error message, empty on success.
QString loadAll(Conclave::ElectionDirectory &dir, int timeoutMs, bool needLeases)
{
    QEventLoop loop;
    QString error;
    QElapsedTimer clock;
    clock.start();
    QObject::connect(&dir, &Conclave::ElectionDirectory::errorOccurred, &loop,
                     [&](Conclave::Error e, const QString &message) {
                         error = message;
                         if (fatal(e) && !dir.isSynced())
                             loop.exit(1);
                     });
    QTimer poll;
    poll.setInterval(20);
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (clock.elapsed() > timeoutMs) {
            loop.exit(dir.isSynced() ? 0 : 2);
            return;
        }
        if (!dir.isSynced())
            return;
        QSet<qint64> leases;
        for (const QString &name : dir.elections())
            for (const Conclave::LeaderInfo &c : dir.candidates(name))
                leases.insert(c.leaseId());
        if (!needLeases) {
            loop.exit(0);
            return;
        }
        if (leases != dir.trackedLeases())
            dir.setTrackedLeases(leases);
        for (const qint64 lease : std::as_const(leases))
            if (dir.leaseStatus(lease).state == Conclave::LeaseStatus::State::Unknown)
                return;
        loop.exit(0);
    });
    poll.start();
    dir.setLeasePollRate(2000);
    dir.start();
    const int rc = loop.exec();
    if (rc == 0)
        return {};
    if (rc == 2)
        return QStringLiteral("no listing within %1 s%2").arg(timeoutMs / 1000)
                .arg(error.isEmpty() ? QString() : QStringLiteral(": ") + error);
    return error;
}

QString textSnapshot(const QJsonObject &snap)
{
    QString out = QStringLiteral("revision %1, etcd %2\n").arg(snap.value(QLatin1String("revision")).toInteger())
                          .arg(snap.value(QLatin1String("etcd_version")).toString());
    for (const QJsonValue &e : snap.value(QLatin1String("elections")).toArray()) {
        const QJsonObject o = e.toObject();
        out += QStringLiteral("%1  [%2]\n").arg(o.value(QLatin1String("name")).toString(),
                                               o.value(QLatin1String("status")).toString());
        for (const QJsonValue &c : o.value(QLatin1String("candidates")).toArray()) {
            const QJsonObject k = c.toObject();
            out += QStringLiteral("  %1 %2  lease %3  ttl %4/%5  fencing %6\n")
                           .arg(k.value(QLatin1String("role")).toString(), -8)
                           .arg(k.value(QLatin1String("id")).toString(), k.value(QLatin1String("lease")).toString())
                           .arg(k.value(QLatin1String("ttl")).toInteger())
                           .arg(k.value(QLatin1String("granted_ttl")).toInteger())
                           .arg(k.value(QLatin1String("fencing")).toInteger());
        }
    }
    return out;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication::setOrganizationName(QStringLiteral("Conclave"));
    QCoreApplication::setApplicationName(QStringLiteral("conclave-monitor"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CONCLAVE_VERSION_STRING));
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);

    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
            "Shows every etcd election (Conclave, Go clientv3/concurrency, etcdctl elect): leaders, queues, live lease TTLs, handovers."));
    p.addHelpOption();
    p.addVersionOption();
    p.addOptions(Conclave::ConnectionSettings::commandLineOptions());
    p.addOptions({
            {QStringLiteral("prefix"), QStringLiteral("only elections under this key prefix (default: the whole keyspace)"), QStringLiteral("prefix")},
            {QStringLiteral("read-only"), QStringLiteral("never write: resign, evict and revoke are disabled")},
            {QStringLiteral("once"), QStringLiteral("print one snapshot and exit (no window)")},
            {QStringLiteral("json"), QStringLiteral("with --once: print the snapshot as JSON")},
            {QStringLiteral("resign"), QStringLiteral("resign the leader of this election (guarded), report the next leader, exit"), QStringLiteral("election")},
            {QStringLiteral("screenshot"), QStringLiteral("render the window to this PNG once data has loaded, then exit"), QStringLiteral("file")},
            {QStringLiteral("screenshot-after"), QStringLiteral("with --screenshot: seconds to stay live after the data has loaded, before rendering (default 1)"), QStringLiteral("seconds")},
            {QStringLiteral("select"), QStringLiteral("election to select at start"), QStringLiteral("election")},
            {QStringLiteral("timeout"), QStringLiteral("seconds to wait for etcd in --once/--resign/--screenshot (default 10)"), QStringLiteral("seconds")},
    });
    if (!p.parse(arguments))
        return fail(p.errorText() + QStringLiteral("\n(see --help)"), 2);
    if (p.isSet(QStringLiteral("help")) || p.isSet(QStringLiteral("version"))) {
        QCoreApplication app(argc, argv);
        if (p.isSet(QStringLiteral("version")))
            p.showVersion();
        p.showHelp(0);
    }
    if (!p.positionalArguments().isEmpty())
        return fail(QStringLiteral("unexpected argument %1 (see --help)").arg(p.positionalArguments().first()), 2);
    if (p.isSet(QStringLiteral("json")) && !p.isSet(QStringLiteral("once")))
        return fail(QStringLiteral("--json goes with --once"), 2);
    if (p.isSet(QStringLiteral("screenshot-after")) && !p.isSet(QStringLiteral("screenshot")))
        return fail(QStringLiteral("--screenshot-after goes with --screenshot"), 2);
    if (p.isSet(QStringLiteral("resign")) && p.isSet(QStringLiteral("read-only")))
        return fail(QStringLiteral("--resign writes; it cannot be combined with --read-only"), 2);
    bool ok = true;
    const int timeoutS = p.isSet(QStringLiteral("timeout")) ? p.value(QStringLiteral("timeout")).toInt(&ok) : 10;
    if (!ok || timeoutS < 1 || timeoutS > 3600)
        return fail(QStringLiteral("--timeout must be 1..3600 seconds"), 2);
    const double shotAfterS = p.isSet(QStringLiteral("screenshot-after")) ? p.value(QStringLiteral("screenshot-after")).toDouble(&ok) : 1.0;
    if (!ok || shotAfterS < 0 || shotAfterS > 3600)
        return fail(QStringLiteral("--screenshot-after must be 0..3600 seconds"), 2);

    // Connection: command line, then ETCDCTL_* (both in fromCommandLine), then what the
    // monitor remembered, then etcdctl's default endpoint.
    Conclave::ConnectionSettings connection = Conclave::ConnectionSettings::fromCommandLine(p);
    const QSettings remembered;
    if (connection.endpoints().isEmpty()) {
        connection.setEndpoints(remembered.value(QStringLiteral("connection/endpoints"), QStringLiteral("http://127.0.0.1:2379")).toString());
        if (connection.caCertificateFile().isEmpty())
            connection.setCaCertificateFile(remembered.value(QStringLiteral("connection/cacert")).toString());
        if (connection.certificateFile().isEmpty())
            connection.setCertificateFile(remembered.value(QStringLiteral("connection/cert")).toString());
        if (connection.keyFile().isEmpty())
            connection.setKeyFile(remembered.value(QStringLiteral("connection/key")).toString());
        if (connection.user().isEmpty())
            connection.setUser(remembered.value(QStringLiteral("connection/user")).toString());
    }
    QString problem;
    if (connection.endpointUrls(&problem).isEmpty())
        return fail(problem, 2);
    const QString prefix = p.value(QStringLiteral("prefix"));
    const bool headless = p.isSet(QStringLiteral("once")) || p.isSet(QStringLiteral("resign"));

    if (headless) {
        QCoreApplication app(argc, argv);
        if (!connection.user().isEmpty() && connection.password().isEmpty()) {
            if (!isatty(STDIN_FILENO))
                return fail(QStringLiteral("no password for %1: set ETCDCTL_PASSWORD or use --user USER:PASSWORD").arg(connection.user()), 2);
            connection.setPassword(readPasswordFromTerminal(connection.user()));
        }
        Conclave::Client client;
        if (!connection.applyTo(&client, &problem))
            return fail(problem, 2);
        client.setRequestTimeout(std::chrono::seconds(qMin(timeoutS, 5)));
        Conclave::ElectionDirectory dir(&client);
        dir.setPrefix(prefix);
        const QString error = loadAll(dir, timeoutS * 1000, p.isSet(QStringLiteral("once")));
        if (!error.isEmpty())
            return fail(QStringLiteral("cannot read elections from %1: %2").arg(connection.endpoints(), error));

        if (p.isSet(QStringLiteral("once"))) {
            const QJsonObject snap = Monitor::snapshot(dir);
            const QByteArray out = p.isSet(QStringLiteral("json"))
                    ? QJsonDocument(snap).toJson(QJsonDocument::Indented)
                    : textSnapshot(snap).toUtf8();
            std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
            return 0;
        }

        const QString name = p.value(QStringLiteral("resign"));
        if (!dir.contains(name))
            return fail(QStringLiteral("no election \"%1\"%2").arg(name, prefix.isEmpty() ? QString() : QStringLiteral(" under prefix \"%1\"").arg(prefix)));
        const Conclave::LeaderInfo leader = dir.leader(name);
        if (!leader.isValid())
            return fail(QStringLiteral("election \"%1\" has no leader to resign").arg(name));
        QEventLoop loop;
        Conclave::Handover seen;
        bool handedOver = false;
        QObject::connect(&dir, &Conclave::ElectionDirectory::handoverRecorded, &loop, [&](const Conclave::Handover &h) {
            if (h.election == name && h.previous.fencingToken() == leader.fencingToken()) {
                seen = h;
                handedOver = true;
                loop.exit(0);
            }
        });
        std::unique_ptr<Conclave::Operation> op(dir.resignLeader(name));
        QObject::connect(op.get(), &Conclave::Operation::finished, &loop, [&] {
            if (op->error() != Conclave::Error::NoError)
                loop.exit(1);
        });
        QTimer::singleShot(timeoutS * 1000, &loop, [&] { loop.exit(op->isFinished() ? 0 : 3); });
        const int rc = loop.exec();
        if (rc == 1)
            return fail(op->errorString());
        if (rc == 3)
            return fail(QStringLiteral("resign of %1 in %2: no answer within %3 s (outcome unknown)").arg(leader.id(), name).arg(timeoutS));
        std::printf("resigned %s from %s (fencing token %lld)", qPrintable(leader.id()), qPrintable(name),
                    static_cast<long long>(leader.fencingToken()));
        if (handedOver)
            std::printf("; new leader: %s\n", seen.next.isValid() ? qPrintable(seen.next.id()) : "(none)");
        else
            std::printf("; no new leader seen within %d s\n", timeoutS);
        return 0;
    }

    QApplication app(argc, argv);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/conclave-monitor.svg")));
    if (!connection.user().isEmpty() && connection.password().isEmpty()) {
        bool given = false;
        const QString password = QInputDialog::getText(nullptr, QStringLiteral("conclave-monitor"),
                                                       QStringLiteral("Password for etcd user %1:").arg(connection.user()),
                                                       QLineEdit::Password, {}, &given);
        if (!given)
            return fail(QStringLiteral("no password given"), 2);
        connection.setPassword(password);
    }
    Monitor::MainWindow::Options options;
    options.connection = connection;
    options.prefix = prefix;
    options.readOnly = p.isSet(QStringLiteral("read-only"));
    options.remember = !p.isSet(QStringLiteral("screenshot"));
    Monitor::MainWindow window(options);
    const QString select = p.value(QStringLiteral("select"));
    if (!select.isEmpty()) {
        auto trySelect = [&window, select] {
            if (window.selectedElection() != select)
                window.selectElection(select);
        };
        QObject::connect(window.electionModel(), &QAbstractItemModel::rowsInserted, &window, trySelect);
    }
    window.show();

    if (p.isSet(QStringLiteral("screenshot"))) {
        const QString file = p.value(QStringLiteral("screenshot"));
        int exitCode = 0;
        bool shot = false;
        auto shoot = [&] {
            if (std::exchange(shot, true))
                return;
            const bool complete = window.isDataComplete();
            if (!window.grab().save(file, "PNG")) {
                fail(QStringLiteral("cannot write %1").arg(file));
                exitCode = 1;
            } else if (!complete) {
                fail(QStringLiteral("wrote %1, but the data had not fully loaded within %2 s").arg(file).arg(timeoutS));
                exitCode = 1;
            }
            app.exit(exitCode);
        };
        QObject::connect(&window, &Monitor::MainWindow::dataComplete, &app, [&] {
            // Stay live a while: TTL bars, the status line and any handover repaint first.
            QTimer::singleShot(qRound(shotAfterS * 1000) + 200, &app, shoot);
        });
        QTimer::singleShot(timeoutS * 1000 + qRound(shotAfterS * 1000), &app, shoot);
    }
    return app.exec();
}
