// conclave-monitor at scale: E elections x C candidates (default 500 x 5, each candidate on
// its own lease, as separate processes would be), against a throwaway local etcd. Prints
// time to the first full view, update latency from an etcd change to the model, RSS, and the
// requests per second etcd serves for the monitor while nothing changes.
//   bench_monitor [elections, default 500] [candidates per election, default 5]
// Run with QT_QPA_PLATFORM=offscreen when there is no display.
#include <conclave/client.h>
#include <conclave/electiondirectory.h>

#include "candidatemodel.h"
#include "electionlistmodel.h"
#include "mainwindow.h"

#include "etcdtestenv.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QRegularExpression>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>
#include <QtWidgets/QApplication>

#include <algorithm>
#include <cstdio>

namespace {

QUrl g_base;
QNetworkAccessManager *g_nam = nullptr;

// One gateway call, waited for (the benchmark's own setup traffic, not the monitor's).
QJsonObject call(const char *path, const QJsonObject &body)
{
    QNetworkRequest request(g_base.resolved(QUrl(QString::fromLatin1(path))));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    QNetworkReply *reply = g_nam->post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!done.wait(30000) || reply->error() != QNetworkReply::NoError) {
        std::fprintf(stderr, "setup call %s failed: %s\n", path, qPrintable(reply->errorString()));
        std::exit(1);
    }
    const QJsonObject out = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    return out;
}

QString b64(const QString &s)
{
    return QString::fromLatin1(s.toUtf8().toBase64());
}

qint64 grant(int ttl)
{
    return call("/v3/lease/grant", {{QStringLiteral("TTL"), QString::number(ttl)}}).value(QLatin1String("ID")).toString().toLongLong();
}

void put(const QString &key, const QString &value, qint64 lease)
{
    call("/v3/kv/put", {{QStringLiteral("key"), b64(key)}, {QStringLiteral("value"), b64(value)},
                        {QStringLiteral("lease"), QString::number(lease)}});
}

// Requests etcd has finished serving, from its own Prometheus metrics.
double handledRequests(const QUrl &endpoint, QString *byMethod = nullptr)
{
    QNetworkReply *reply = g_nam->get(QNetworkRequest(endpoint.resolved(QUrl(QStringLiteral("/metrics")))));
    QSignalSpy done(reply, &QNetworkReply::finished);
    done.wait(30000);
    const QString text = QString::fromUtf8(reply->readAll());
    reply->deleteLater();
    static const QRegularExpression line(QStringLiteral(R"re(^grpc_server_handled_total\{[^}]*grpc_method="(\w+)"[^}]*\} (\S+)$)re"),
                                         QRegularExpression::MultilineOption);
    double total = 0;
    QMap<QString, double> methods;
    for (auto it = line.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        total += m.captured(2).toDouble();
        methods[m.captured(1)] += m.captured(2).toDouble();
    }
    if (byMethod) {
        QStringList parts;
        for (auto it = methods.cbegin(); it != methods.cend(); ++it)
            parts << QStringLiteral("%1=%2").arg(it.key()).arg(it.value());
        *byMethod = parts.join(QLatin1Char(' '));
    }
    return total;
}

long rssKiB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &l : f.readAll().split('\n'))
        if (l.startsWith("VmRSS:"))
            return l.mid(6).trimmed().split(' ').first().toLong();
    return -1;
}

void report(const char *what, QList<double> ms)
{
    std::sort(ms.begin(), ms.end());
    if (ms.isEmpty()) {
        std::printf("%-40s no samples\n", what);
        return;
    }
    auto at = [&](double q) { return ms.at(qMin(ms.size() - 1, qsizetype(q * ms.size()))); };
    std::printf("%-40s n=%-4lld median %7.2f ms  p90 %7.2f ms  max %7.2f ms\n", what,
                static_cast<long long>(ms.size()), at(0.5), at(0.9), ms.last());
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    const int elections = argc > 1 ? std::atoi(argv[1]) : 500;
    const int perElection = argc > 2 ? std::atoi(argv[2]) : 5;
    QNetworkAccessManager nam;
    g_nam = &nam;

    EtcdTestEnv etcd;
    if (!etcd.start()) {
        std::fprintf(stderr, "cannot start etcd: %s\n", qPrintable(etcd.errorString()));
        return 1;
    }
    g_base = etcd.endpoints().first();
    std::printf("etcd %s; %d elections x %d candidates, one lease each\n", qPrintable(g_base.toString()),
                elections, perElection);
    QElapsedTimer setup;
    setup.start();
    for (int e = 0; e < elections; ++e) {
        for (int c = 0; c < perElection; ++c) {
            const qint64 lease = grant(600);
            const QString id = QStringLiteral("svc%1-c%2").arg(e).arg(c);
            put(QStringLiteral("/bench/svc%1/%2").arg(e, 4, 10, QLatin1Char('0')).arg(QString::number(lease, 16)),
                QStringLiteral(R"({"conclave":1,"id":"%1","host":"10.0.%2.%3","port":8080})").arg(id).arg(e / 250).arg(e % 250),
                lease);
        }
    }
    std::printf("setup: %d keys on %d leases in %.1f s\n", elections * perElection, elections * perElection,
                setup.elapsed() / 1000.0);

    {
        // The library alone: one ElectionDirectory listing everything.
        Conclave::Client client;
        client.setEndpoints({g_base});
        Conclave::ElectionDirectory directory(&client);
        directory.setPrefix(QStringLiteral("/bench/"));
        QElapsedTimer t;
        t.start();
        directory.start();
        while (!directory.isSynced() && t.elapsed() < 120000)
            QTest::qWait(1);
        std::printf("ElectionDirectory alone: %lld elections listed in %lld ms\n",
                    static_cast<long long>(directory.elections().size()), static_cast<long long>(t.elapsed()));
    }

    const long rssBefore = rssKiB();
    Monitor::MainWindow::Options options;
    options.connection.setEndpoints(g_base.toString());
    options.prefix = QStringLiteral("/bench/");
    QElapsedTimer clock;
    clock.start();
    Monitor::MainWindow window(options);
    window.show();
    QSignalSpy complete(&window, &Monitor::MainWindow::dataComplete);
    qint64 syncedMs = -1;
    while (!window.isDataComplete() && clock.elapsed() < 120000) {
        QTest::qWait(5);
        if (syncedMs < 0 && window.directory()->isSynced())
            syncedMs = clock.elapsed();
    }
    const qint64 fullMs = clock.elapsed();
    std::printf("time to listing (all %lld elections in the model): %lld ms\n",
                static_cast<long long>(window.electionModel()->rowCount()), static_cast<long long>(syncedMs));
    std::printf("time to first full view (listing + TTLs of the %lld leases on screen): %lld ms\n",
                static_cast<long long>(window.directory()->trackedLeases().size()), static_cast<long long>(fullMs));
    std::printf("RSS: %ld KiB before the window, %ld KiB with the full view (+%ld KiB)\n", rssBefore, rssKiB(),
                rssKiB() - rssBefore);

    // Update latency: a new candidate joins an election; time until the list model says so.
    QList<double> latency;
    for (int i = 0; i < 50; ++i) {
        const int e = (i * 37) % elections;
        const QString name = QStringLiteral("/bench/svc%1").arg(e, 4, 10, QLatin1Char('0'));
        const int row = window.electionModel()->rowOf(name);
        const int before = window.electionModel()->data(window.electionModel()->index(row, Monitor::ElectionListModel::CandidatesColumn)).toInt();
        const qint64 lease = grant(600);
        QElapsedTimer t;
        t.start();
        put(name + QLatin1Char('/') + QString::number(lease, 16), QStringLiteral("late-joiner"), lease);
        while (window.electionModel()->data(window.electionModel()->index(row, Monitor::ElectionListModel::CandidatesColumn)).toInt() == before
               && t.elapsed() < 10000)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 1);
        latency << t.nsecsElapsed() / 1e6;
    }
    report("put -> elections model updated", latency);

    // Idle load: what etcd serves while nothing changes (the monitor's polls only).
    QTest::qWait(3000);
    QString before, after;
    const double r0 = handledRequests(g_base, &before);
    QElapsedTimer idle;
    idle.start();
    QTest::qWait(20000);
    const double r1 = handledRequests(g_base, &after);
    std::printf("idle: %.1f requests/s handled by etcd over %.0f s (TTL polls of the leases on screen + status)\n",
                (r1 - r0 - 1) / (idle.elapsed() / 1000.0), idle.elapsed() / 1000.0);
    std::printf("      tracked leases: %lld, poll budget %d/s\n",
                static_cast<long long>(window.directory()->trackedLeases().size()), window.directory()->leasePollRate());
    std::printf("RSS after 20 s idle: %ld KiB\n", rssKiB());
    std::printf("etcd counters before: %s\netcd counters after:  %s\n", qPrintable(before), qPrintable(after));
    return 0;
}
