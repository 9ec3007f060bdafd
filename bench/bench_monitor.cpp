// conclave-monitor at scale: E elections x C candidates (default 500 x 5, each candidate on
// its own lease, as separate processes would be), against a throwaway local etcd, with H
// handovers per election recorded over the last 24 h in the history file (default 24: 12,000).
// Prints time to the first full view and to its first paint, to the history's arrival in it
// (read on a thread while the elections are listed), the leadership chart's and the
// list's repaint times, update latency from an etcd change to the model, RSS, and the requests
// per second etcd serves for the monitor while nothing changes.
//   bench_monitor [elections, default 500] [candidates per election, default 5] [handovers per election, default 24]
// Run with QT_QPA_PLATFORM=offscreen when there is no display.
#include <conclave/client.h>
#include <conclave/electiondirectory.h>

#include "candidatemodel.h"
#include "electionlistmodel.h"
#include "historystore.h"
#include "leadershipchart.h"
#include "mainwindow.h"

#include "etcdtestenv.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QRegularExpression>
#include <QtCore/QTemporaryDir>
#include <QtWidgets/QTableView>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>
#include <QtWidgets/QApplication>

#include <QtCore/QDir>
#include <QtCore/QFileInfo>

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

// Writes \a perElection handovers per election, spread over the last 24 h, to the history file
// the monitor will read for this cluster; the last one in each election names its real leader.
int writeHistory(const QString &endpoint, const QString &prefix, int elections, int perElection, int candidates,
                 const QHash<QString, Conclave::LeaderInfo> &leaders)
{
    const QString file = Monitor::HistoryStore::fileFor(endpoint, prefix);
    QDir().mkpath(QFileInfo(file).absolutePath());
    QFile out(file);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return 0;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QList<Conclave::Handover> all;
    qint64 fencing = 1;
    for (int e = 0; e < elections; ++e) {
        const QString name = QStringLiteral("/bench/svc%1").arg(e, 4, 10, QLatin1Char('0'));
        Conclave::LeaderInfo previous;
        for (int i = 0; i < perElection; ++i) {
            Conclave::Handover h;
            h.election = name;
            // Evenly over the last 24 h (the first a minute inside it), each election shifted a little.
            h.at = now.addMSecs(-qint64(perElection - i) * 24 * 3600 * 1000 / perElection + 60000 + e * 97);
            const QString id = QStringLiteral("svc%1-c%2").arg(e).arg((i + 1) % candidates);
            h.next = i == perElection - 1 && leaders.contains(name)
                    ? leaders.value(name)
                    : Conclave::LeaderInfo::fromKeyValue((name + QStringLiteral("/%1").arg(fencing, 0, 16)).toUtf8(),
                                                         Conclave::LeaderInfo::encodeValue(id, QStringLiteral("10.0.0.1"), 8080, {}),
                                                         fencing, fencing, h.at);
            ++fencing;
            h.previous = previous;
            h.cause = i == 0 ? Conclave::Handover::Cause::Elected
                             : (i % 3 == 0 ? Conclave::Handover::Cause::LeaseExpired : Conclave::Handover::Cause::Resigned);
            previous = h.next;
            all.append(h);
        }
    }
    std::sort(all.begin(), all.end(), [](const Conclave::Handover &a, const Conclave::Handover &b) { return a.at < b.at; });
    for (const Conclave::Handover &h : all)
        out.write(QJsonDocument(Monitor::HistoryStore::toJson(h)).toJson(QJsonDocument::Compact) + '\n');
    return int(all.size());
}

// Milliseconds per synchronous repaint of \a widget, \a n times.
QList<double> repaintTimes(QWidget *widget, int n)
{
    QList<double> ms;
    for (int i = 0; i < n; ++i) {
        QElapsedTimer t;
        t.start();
        widget->repaint();
        ms << t.nsecsElapsed() / 1e6;
    }
    return ms;
}

int main(int argc, char **argv)
{
    // The history file goes to a throwaway data directory, not the user's.
    QTemporaryDir data;
    qputenv("XDG_DATA_HOME", data.path().toLocal8Bit());
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Conclave"));
    QApplication::setApplicationName(QStringLiteral("bench_monitor"));
    const int elections = argc > 1 ? std::atoi(argv[1]) : 500;
    const int perElection = argc > 2 ? std::atoi(argv[2]) : 5;
    const int handoversPerElection = argc > 3 ? std::atoi(argv[3]) : 24;
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
    QHash<QString, Conclave::LeaderInfo> leaders;
    for (int e = 0; e < elections; ++e) {
        for (int c = 0; c < perElection; ++c) {
            const qint64 lease = grant(600);
            const QString id = QStringLiteral("svc%1-c%2").arg(e).arg(c);
            const QString key = QStringLiteral("/bench/svc%1/%2").arg(e, 4, 10, QLatin1Char('0')).arg(QString::number(lease, 16));
            const QString value = QStringLiteral(R"({"conclave":1,"id":"%1","host":"10.0.%2.%3","port":8080})").arg(id).arg(e / 250).arg(e % 250);
            put(key, value, lease);
            if (c == 0)
                leaders.insert(key.section(QLatin1Char('/'), 0, -2),
                               Conclave::LeaderInfo::fromKeyValue(key.toUtf8(), value.toUtf8(), lease, 0, QDateTime::currentDateTimeUtc()));
        }
    }
    std::printf("setup: %d keys on %d leases in %.1f s\n", elections * perElection, elections * perElection,
                setup.elapsed() / 1000.0);
    const int recorded = writeHistory(g_base.toString(), QStringLiteral("/bench/"), elections, handoversPerElection,
                                      perElection, leaders);
    std::printf("history: %d handovers over the last 24 h in %s (%lld KiB)\n", recorded,
                qPrintable(Monitor::HistoryStore::fileFor(g_base.toString(), QStringLiteral("/bench/"))),
                static_cast<long long>(QFileInfo(Monitor::HistoryStore::fileFor(g_base.toString(), QStringLiteral("/bench/"))).size() / 1024));
    {
        QElapsedTimer t;
        t.start();
        Monitor::HistoryStore store(Monitor::HistoryStore::fileFor(g_base.toString(), QStringLiteral("/bench/")));
        store.load();
        std::printf("history file read alone: %lld handovers in %lld ms\n", static_cast<long long>(store.handovers().size()),
                    static_cast<long long>(t.elapsed()));
    }

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
    {
        // The first paint of the whole window with everything in it (the chart of the selected
        // election over 24 h, the strips of the visible rows).
        window.chart()->setSpan(Monitor::LeadershipChart::MaxSpan);
        QElapsedTimer paint;
        paint.start();
        window.repaint();
        std::printf("first paint of the full view: %lld ms to data + %.1f ms to paint = %.1f ms after the window was created\n",
                    static_cast<long long>(fullMs), paint.nsecsElapsed() / 1e6, fullMs + paint.nsecsElapsed() / 1e6);
    }
    {
        // The history is read on a thread of its own (HistoryStore::loadInBackground): the
        // strips and the chart gain the last 24 h when it is in.
        while (window.history()->isLoading() && clock.elapsed() < 120000)
            QTest::qWait(5);
        const qint64 historyMs = clock.elapsed();
        QElapsedTimer paint;
        paint.start();
        window.repaint();
        std::printf("history in the view: %lld handovers %lld ms after the window was created (+ %.1f ms to paint)\n",
                    static_cast<long long>(window.history()->handovers().size()), static_cast<long long>(historyMs),
                    paint.nsecsElapsed() / 1e6);
    }
    std::printf("RSS: %ld KiB before the window, %ld KiB with the full view (+%ld KiB)\n", rssBefore, rssKiB(),
                rssKiB() - rssBefore);
    {
        const QString busy = QStringLiteral("/bench/svc0007");
        window.selectElection(busy);
        QCoreApplication::processEvents();
        const Monitor::LeadershipPicture picture = window.chart()->picture();
        std::printf("chart of %s over 24 h: %lld lanes, %lld terms, %lld markers\n", qPrintable(busy),
                    static_cast<long long>(picture.lanes.size()), static_cast<long long>(picture.spans.size()),
                    static_cast<long long>(picture.markers.size()));
        report("chart repaint (24 h)", repaintTimes(window.chart(), 200));
        window.chart()->setSpan(std::chrono::minutes(15));
        report("chart repaint (15 min)", repaintTimes(window.chart(), 200));
        QElapsedTimer rebuild;
        rebuild.start();
        for (int i = 0; i < 200; ++i)
            window.chart()->refresh();
        std::printf("%-40s %.3f ms each\n", "chart picture rebuilt (refresh)", rebuild.nsecsElapsed() / 1e6 / 200);
        window.chart()->setSpan(Monitor::LeadershipChart::MaxSpan);
        report("elections list repaint (strips, 24 h)", repaintTimes(window.electionView()->viewport(), 50));
    }

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
