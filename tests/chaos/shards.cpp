// conclave-shards: one process joined to many elections on one Client, as a sharded service
// runs them; the candidate of conclave-chaos --shards (docs/chaos.md).
//   conclave-shards --endpoints URL[,URL...] --prefix P --count N --id ID --ttl SECONDS
// joins P0000 ... P<N-1> as ID and prints one JSON line per role change:
//   {"event":"role","election":K,"role":"leader","fencing":T,"mono_ns":NS}
// ("ready" once every election has a place), and leaves every election on SIGINT/SIGTERM.
#include <conclave/client.h>
#include <conclave/elector.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QSocketNotifier>
#include <QtCore/QTimer>
#include <QtCore/QUrl>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <unistd.h>
#include <vector>

using Conclave::Elector;

namespace {

int signalPipe[2];

void emitLine(QJsonObject object)
{
    using namespace std::chrono;
    object.insert(QStringLiteral("mono_ns"),
                  qint64(duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count()));
    const QByteArray line = QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fflush(stdout);
}

QString roleName(Elector::Role role)
{
    switch (role) {
    case Elector::Role::Leader:
        return QStringLiteral("leader");
    case Elector::Role::Follower:
        return QStringLiteral("follower");
    case Elector::Role::NotAMember:
        break;
    }
    return QStringLiteral("not-a-member");
}

int usage(const QString &message)
{
    std::fprintf(stderr, "conclave-shards: %s\n", qPrintable(message));
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.addOptions({{QStringLiteral("endpoints"), QStringLiteral("etcd endpoints, comma-separated"), QStringLiteral("urls")},
                  {QStringLiteral("prefix"), QStringLiteral("election name prefix"), QStringLiteral("prefix")},
                  {QStringLiteral("count"), QStringLiteral("elections"), QStringLiteral("n")},
                  {QStringLiteral("id"), QStringLiteral("candidate id"), QStringLiteral("id")},
                  {QStringLiteral("ttl"), QStringLiteral("lease TTL"), QStringLiteral("seconds")}});
    if (!p.parse(app.arguments()))
        return usage(p.errorText());
    bool countOk = false, ttlOk = false;
    const int count = p.value(QStringLiteral("count")).toInt(&countOk);
    const int ttl = p.value(QStringLiteral("ttl")).toInt(&ttlOk);
    if (!countOk || count < 1 || !ttlOk || ttl < 2 || p.value(QStringLiteral("prefix")).isEmpty()
        || p.value(QStringLiteral("id")).isEmpty() || p.value(QStringLiteral("endpoints")).isEmpty())
        return usage(QStringLiteral("--endpoints, --prefix, --count N >= 1, --id and --ttl S >= 2 are required"));
    QList<QUrl> endpoints;
    for (const QString &url : p.value(QStringLiteral("endpoints")).split(QLatin1Char(','), Qt::SkipEmptyParts))
        endpoints << QUrl(url);

    Conclave::Client client;
    client.setEndpoints(endpoints);
    std::vector<std::unique_ptr<Elector>> electors;
    int placed = 0; // elections where we have a place (leader or follower)
    bool ready = false;
    for (int k = 0; k < count; ++k) {
        auto e = std::make_unique<Elector>(&client);
        e->setElectionName(p.value(QStringLiteral("prefix")) + QStringLiteral("%1").arg(k, 4, 10, QLatin1Char('0')));
        e->setCandidateId(p.value(QStringLiteral("id")));
        e->setTtl(std::chrono::seconds(ttl));
        Elector *raw = e.get();
        auto last = std::make_shared<Elector::Role>(Elector::Role::NotAMember);
        QObject::connect(raw, &Elector::roleChanged, &app, [raw, k, last, &placed, &ready, count](Elector::Role role) {
            placed += (role != Elector::Role::NotAMember) - (*last != Elector::Role::NotAMember);
            *last = role;
            emitLine({{QStringLiteral("event"), QStringLiteral("role")},
                      {QStringLiteral("election"), k},
                      {QStringLiteral("role"), roleName(role)},
                      {QStringLiteral("fencing"), role == Elector::Role::Leader ? QJsonValue(raw->fencingToken()) : QJsonValue()}});
            if (!ready && placed == count) {
                ready = true;
                emitLine({{QStringLiteral("event"), QStringLiteral("ready")}});
            }
        });
        electors.push_back(std::move(e));
    }

    if (::pipe(signalPipe) != 0)
        return 1;
    auto onSignal = [](int) { const char c = 1; [[maybe_unused]] auto n = ::write(signalPipe[1], &c, 1); };
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    QSocketNotifier signalNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &app, [&] {
        signalNotifier.setEnabled(false);
        for (const auto &e : electors)
            e->leave();
        // The leave is one revoke of the shared lease; give it a moment, then go.
        QTimer::singleShot(1000, &app, &QCoreApplication::quit);
    });
    for (const auto &e : electors)
        e->campaign();
    return app.exec();
}
