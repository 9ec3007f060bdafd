// Many elections in one process: N Electors on ONE Client, each in its own election, against a
// throwaway local etcd (a fresh one per N). For each N, three phases, the first in a process of
// its own and the other two in another (so that a phase's memory figure does not carry the heap
// of the one before):
//   1. leading: every Elector is alone in its election and leads;
//   2. following: a helper process (this program again, --hold) holds every election first, so
//      every Elector waits behind one leader;
//   3. handover: the helper leaves (SIGINT), and every Elector takes over;
// then the floor: the same unary calls and watches the leading phase made, sent by the bench
// straight through the Client's transport without Electors (the best this machine and etcd
// allow for that work).
// Per phase it measures: time until every Elector is in role and until every watch is
// confirmed, the most TCP connections to etcd seen (sampled every SampleMs), resident memory, the
// CPU time of this process (less the sampling's own: reading /proc/net/tcp every 50 ms was up to
// a third of it) and of etcd, unary calls, watch streams opened, watch creates, and
// bytes; then prints one table for all N so that the growth is read off one run.
//   bench_elections [N[,N...]]   (default 100,1000,3000,10000)

#include <conclave/client.h>
#include <conclave/elector.h>

#include "benchloop.h"
#include "client_p.h"
#include "election.h"
#include "etcdtestenv.h"
#include "gatewayreply.h"
#include "watchhub.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QProcess>
#include <QtCore/QSet>
#include <QtCore/QSocketNotifier>
#include <QtCore/QTimer>

#include <cstdio>
#include <memory>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace Conclave;

namespace {

constexpr int WaitMs = 180000;
// How often the connections to etcd are counted while a phase runs (the figure is the maximum).
constexpr int SampleMs = 50;

using Bench::waitFor;

QString electionName(int i)
{
    return QStringLiteral("bench/many/e%1").arg(i, 5, 10, QLatin1Char('0'));
}

// Established TCP connections of this process whose remote port is \a port (from /proc).
int connectionsTo(int port)
{
    QSet<QByteArray> inodes;
    const QDir fds(QStringLiteral("/proc/self/fd"));
    for (const QString &fd : fds.entryList(QDir::System | QDir::NoDotAndDotDot)) {
        const QString target = QFile::symLinkTarget(fds.filePath(fd));
        if (target.contains(QLatin1String("socket:[")))
            inodes.insert(target.section(QLatin1Char('['), 1).chopped(1).toLatin1());
    }
    int n = 0;
    for (const char *table : {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
        // Read whole: the kernel renders the table of the whole network namespace again on
        // every read() from the position reached, so reading it line by line costs O(lines²)
        // of system time (27 s of it in a 34 s run while a chaos run had thousands of sockets).
        QFile f(QString::fromLatin1(table));
        if (!f.open(QIODevice::ReadOnly | QIODevice::Unbuffered))
            continue;
        QByteArray all;
        for (QByteArray part; !(part = f.read(1 << 20)).isEmpty();)
            all += part;
        const QList<QByteArray> lines = all.split('\n');
        for (qsizetype i = 1; i < lines.size(); ++i) { // line 0 is the header
            const QList<QByteArray> cols = lines.at(i).simplified().split(' ');
            if (cols.size() < 10)
                continue;
            const bool established = cols.at(3) == "01";
            const int remotePort = cols.at(2).mid(cols.at(2).indexOf(':') + 1).toInt(nullptr, 16);
            if (established && remotePort == port && inodes.contains(cols.at(9)))
                ++n;
        }
    }
    return n;
}

double statusMb(const char *field)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(field))
            return line.mid(int(qstrlen(field))).simplified().split(' ').value(0).toDouble() / 1024.0;
    return -1;
}

// CPU time (user + system) of this process, in ms.
double selfCpuMs()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000.0 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000.0;
}

// CPU time of the calling thread, in ms.
double threadCpuMs()
{
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

// CPU time (user + system) of process \a pid, in ms (-1 if unknown).
double processCpuMs(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (pid <= 0 || !f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray stat = f.readAll();
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    // After the name: state(0) ... utime is field 14 of the whole line, i.e. index 11 here.
    return (fields.value(11).toDouble() + fields.value(12).toDouble()) * 1000.0 / double(sysconf(_SC_CLK_TCK));
}

struct Fleet
{
    Client client;
    std::vector<std::unique_ptr<Elector>> electors;
    // How many are in each role, kept from roleChanged: the wait for "all in role" checks it
    // every millisecond, and a loop over 10,000 Electors each time was the bench's own CPU,
    // counted in the process's figure.
    std::vector<Elector::Role> roles;
    QHash<int, int> inRole;

    Fleet(const QList<QUrl> &endpoints, int n)
    {
        client.setEndpoints(endpoints);
        for (int i = 0; i < n; ++i) {
            auto e = std::make_unique<Elector>(&client);
            e->setElectionName(electionName(i));
            e->setCandidateId(QStringLiteral("bench-%1").arg(i));
            e->setTtl(std::chrono::seconds(10));
            roles.push_back(e->role());
            ++inRole[int(e->role())];
            QObject::connect(e.get(), &Elector::roleChanged, &client, [this, i](Elector::Role r) {
                --inRole[int(roles[size_t(i)])];
                ++inRole[int(r)];
                roles[size_t(i)] = r;
            });
            electors.push_back(std::move(e));
        }
    }
    void campaign()
    {
        for (auto &e : electors)
            e->campaign();
    }
    int count(Elector::Role role) const { return inRole.value(int(role)); }
    int leases() const
    {
        QSet<qint64> ids;
        for (const auto &e : electors)
            ids.insert(e->leaseId());
        return int(ids.size());
    }
    //! Every Elector leaves; returns once the Client's calls (deletes, the revoke) are answered.
    void leaveAll()
    {
        for (auto &e : electors)
            e->leave();
        waitFor([&] { return client.pendingRequests() == 0; }, 30000);
    }
};

// What one phase cost: taken at its start, printed at its end.
struct Meter
{
    Client *client;
    qint64 etcdPid;
    int port;
    QElapsedTimer clock;
    double cpu0, etcdCpu0;
    ClientPrivate::Traffic traffic0;
    qint64 streamBytesOut0, streamBytesIn0, creates0, cancels0;
    int openings0;
    int maxConnections = 0;
    QTimer sampler;
    double samplerCpuMs = 0; // the sampling's own CPU (reading /proc/net/tcp): not the Client's

    Meter(Client *c, qint64 pid, int etcdPort) : client(c), etcdPid(pid), port(etcdPort)
    {
        const ClientPrivate *d = ClientPrivate::get(client);
        WatchHub *hub = ClientPrivate::get(client)->watchHub();
        traffic0 = d->traffic();
        streamBytesOut0 = hub->bytesSent();
        streamBytesIn0 = hub->bytesReceived();
        creates0 = hub->createsSent();
        cancels0 = hub->cancelsSent();
        openings0 = hub->streamOpenings();
        cpu0 = selfCpuMs();
        etcdCpu0 = processCpuMs(etcdPid);
        QObject::connect(&sampler, &QTimer::timeout, [this] {
            const double before = threadCpuMs();
            maxConnections = std::max(maxConnections, connectionsTo(port));
            samplerCpuMs += threadCpuMs() - before;
        });
        sampler.start(SampleMs);
        clock.start();
    }
    // One line for the parent: "@@ phase n key=value ...".
    void print(const char *phase, int n, double roleMs, double settledMs, const QString &extra = {})
    {
        sampler.stop();
        maxConnections = std::max(maxConnections, connectionsTo(port));
        const ClientPrivate *d = ClientPrivate::get(client);
        WatchHub *hub = ClientPrivate::get(client)->watchHub();
        const ClientPrivate::Traffic &t = d->traffic();
        QStringList calls;
        for (auto it = t.callsByName.cbegin(); it != t.callsByName.cend(); ++it)
            if (const qint64 k = it.value() - traffic0.callsByName.value(it.key()))
                calls << QStringLiteral("%1:%2").arg(it.key()).arg(k).replace(QLatin1Char(' '), QLatin1Char('_'));
        std::printf("@@ %s %d role_ms=%.0f settled_ms=%.0f conns=%d rss_mb=%.1f peak_mb=%.1f cpu_ms=%.0f "
                    "etcd_cpu_ms=%.0f calls=%lld streams=%d creates=%lld cancels=%lld bytes_out=%lld bytes_in=%lld by_call=%s %s\n",
                    phase, n, roleMs, settledMs, maxConnections, statusMb("VmRSS:"), statusMb("VmHWM:"),
                    selfCpuMs() - cpu0 - samplerCpuMs, processCpuMs(etcdPid) - etcdCpu0, t.calls - traffic0.calls,
                    hub->streamOpenings() - openings0, hub->createsSent() - creates0,
                    hub->cancelsSent() - cancels0,
                    (t.bodyBytesSent - traffic0.bodyBytesSent) + (hub->bytesSent() - streamBytesOut0),
                    (t.bodyBytesReceived - traffic0.bodyBytesReceived) + (hub->bytesReceived() - streamBytesIn0),
                    qPrintable(calls.join(QLatin1Char(','))), qPrintable(extra));
        std::fflush(stdout);
    }
};

bool measure(const char *phase, Fleet &fleet, Elector::Role role, Meter &meter)
{
    const int n = int(fleet.electors.size());
    WatchHub *hub = ClientPrivate::get(&fleet.client)->watchHub();
    const bool inRole = waitFor([&] { return fleet.count(role) == n; }, WaitMs);
    const double roleMs = double(meter.clock.elapsed());
    const bool ok = inRole && waitFor([&] { return hub->isSettled(); }, WaitMs);
    const double settledMs = double(meter.clock.elapsed());
    if (!ok) {
        std::printf("@@ %s %d FAILED not settled after %.0f s: %d of %d in role\n", phase, n,
                    settledMs / 1000, fleet.count(role), n);
        std::fflush(stdout);
        return false;
    }
    meter.print(phase, n, roleMs, settledMs, QStringLiteral("leases=%1").arg(fleet.leases()));
    return true;
}

// The helper: holds every election, says "ready", leaves on SIGINT.
int hold(int n, const QUrl &endpoint)
{
    static int pipeFds[2];
    if (::pipe(pipeFds) != 0)
        return 1;
    ::signal(SIGINT, [](int) { (void)!::write(pipeFds[1], "x", 1); });
    Fleet fleet({endpoint}, n);
    fleet.campaign();
    if (!waitFor([&] { return fleet.count(Elector::Role::Leader) == n; }, WaitMs))
        return 1;
    std::printf("ready\n");
    std::fflush(stdout);
    QSocketNotifier sigint(pipeFds[0], QSocketNotifier::Read);
    QEventLoop loop;
    QObject::connect(&sigint, &QSocketNotifier::activated, &loop, [&] {
        sigint.setEnabled(false); // the pipe stays readable: do not fire again during leaveAll()
        loop.quit();
    });
    loop.exec();
    fleet.leaveAll(); // like conclave-candidate: the revoke goes out before the process ends
    return 0;
}

// Phase 1 in a process of its own: every Elector alone in its election, leading.
int lead(int n, const QUrl &endpoint, qint64 etcdPid)
{
    Fleet fleet({endpoint}, n);
    Meter meter(&fleet.client, etcdPid, endpoint.port());
    fleet.campaign();
    if (!measure("leading", fleet, Elector::Role::Leader, meter))
        return 1;
    fleet.leaveAll();
    return 0;
}

// Phases 2 and 3 in a process of their own: a helper holds every election, this process's
// Electors follow, then take over.
int follow(int n, const QUrl &endpoint, qint64 etcdPid)
{
    QProcess holder;
    holder.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    holder.start(QCoreApplication::applicationFilePath(),
                 {QStringLiteral("--hold"), QString::number(n), endpoint.toString()});
    if (!holder.waitForStarted() || !waitFor([&] { return holder.canReadLine(); }, WaitMs)) {
        std::fprintf(stderr, "bench_elections: the helper did not take the elections\n");
        return 1;
    }
    Fleet fleet({endpoint}, n);
    {
        Meter meter(&fleet.client, etcdPid, endpoint.port());
        fleet.campaign();
        if (!measure("following", fleet, Elector::Role::Follower, meter))
            return 1;
    }
    Meter meter(&fleet.client, etcdPid, endpoint.port());
    ::kill(pid_t(holder.processId()), SIGINT);
    if (!measure("handover", fleet, Elector::Role::Leader, meter))
        return 1;
    holder.waitForFinished();
    fleet.leaveAll();
    return 0;
}

// The floor: the leading phase's work without Electors. One lease; per election the Elector's
// join txn (put the candidate's key under the lease if absent, else read it), its read of its
// place in the queue (own key, predecessor, head and second, at one revision), and a watch on
// its own key and one on the election's prefix; all at once, through the same Client transport
// (3 unary calls on the wire).
int floor(int n, const QUrl &endpoint, qint64 etcdPid)
{
    Client client;
    client.setEndpoints({endpoint});
    ClientPrivate *d = ClientPrivate::get(&client);
    Meter meter(&client, etcdPid, endpoint.port());
    GatewayReply *grant = d->leaseGrant(10);
    if (!waitFor([&] { return grant->isFinished(); }, WaitMs) || grant->error() != Error::NoError) {
        std::printf("@@ floor %d FAILED lease grant\n", n);
        return 1;
    }
    const qint64 lease = Codec::decodeInt(grant->json().value(QLatin1String("ID")));
    std::vector<std::unique_ptr<Watch>> watches;
    int done = 0;
    int failed = 0;
    // The answers' context: gone before the counters and the watches they touch. (A txn sent
    // twice, its first answer late, finished while the Client was destroyed after this function
    // returned: bench_elections crashed at the end of the floor at 30,000.)
    QObject scope;
    for (int i = 0; i < n; ++i) {
        const QString name = electionName(i);
        const QByteArray prefix = Election::prefix(name);
        const QByteArray key = Election::candidateKey(name, lease);
        const QList<Compare> ifAbsent{Compare::incarnation(key, 0)};
        GatewayReply *join = d->txn(ifAbsent, {Codec::opPut(Codec::putRequest(key, "bench", lease))},
                                    {Codec::opRange(Codec::rangeRequest(RangeOptions::ofKey(key)))});
        QObject::connect(join, &GatewayReply::finished, &scope, [&, d, join, name, prefix, key] {
            join->deleteLater();
            if (join->error() != Error::NoError) {
                ++failed;
                return;
            }
            const qint64 created = join->header().revision;
            RangeOptions own = RangeOptions::ofKey(key);
            own.keysOnly = true;
            QJsonArray ranges;
            for (const RangeOptions &o : {own, Election::predecessorRange(name, created), Election::headAndSecondRange(name)})
                ranges.append(Codec::opRange(Codec::rangeRequest(o)));
            GatewayReply *read = d->readTxn(ranges);
            QObject::connect(read, &GatewayReply::finished, &scope, [&, d, read, prefix, key] {
                read->deleteLater();
                if (read->error() != Error::NoError) {
                    ++failed;
                    return;
                }
                const qint64 next = read->header().revision + 1;
                Watch *own = d->watchHub()->watch(key, {}, next, false, nullptr);
                Watch *all = d->watchHub()->watch(prefix, Codec::prefixEnd(prefix), next, false, nullptr);
                watches.emplace_back(own);
                watches.emplace_back(all);
                ++done;
            });
        });
    }
    const bool ok = waitFor([&] { return done + failed == n; }, WaitMs);
    const double roleMs = double(meter.clock.elapsed());
    const bool settled = ok && waitFor([&] { return d->watchHub()->isSettled(); }, WaitMs);
    if (!settled || failed) {
        std::printf("@@ floor %d FAILED %d of %d joined, %d failed\n", n, done, n, failed);
        return 1;
    }
    meter.print("floor", n, roleMs, double(meter.clock.elapsed()));
    GatewayReply *revoke = d->leaseRevoke(lease);
    waitFor([&] { return revoke->isFinished(); }, 10000);
    return 0;
}

struct Row
{
    QHash<QString, QString> values;
    bool failed = false;
    QString raw;
};

int runPhase(const QString &phase, int n, const QUrl &endpoint, qint64 etcdPid, QList<Row> &rows)
{
    QProcess child;
    // Warnings reach the terminal; the Electors' info lines (a role change each) would bury them.
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (!env.contains(QStringLiteral("QT_LOGGING_RULES")))
        env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("conclave.*.info=false"));
    child.setProcessEnvironment(env);
    child.start(QCoreApplication::applicationFilePath(),
                {phase, QString::number(n), endpoint.toString(), QString::number(etcdPid)});
    if (!child.waitForStarted())
        return 1;
    if (!waitFor([&] { return child.state() == QProcess::NotRunning; }, 10 * WaitMs))
        return 1;
    for (const QByteArray &line : child.readAllStandardOutput().split('\n')) {
        if (!line.startsWith("@@ "))
            continue;
        const QList<QByteArray> words = line.split(' ');
        Row row;
        row.raw = QString::fromUtf8(line.mid(3));
        row.values.insert(QStringLiteral("phase"), QString::fromUtf8(words.value(1)));
        row.values.insert(QStringLiteral("n"), QString::fromUtf8(words.value(2)));
        row.failed = words.value(3) == "FAILED";
        for (const QByteArray &w : words.mid(3))
            if (const qsizetype eq = w.indexOf('='); eq > 0)
                row.values.insert(QString::fromUtf8(w.left(eq)), QString::fromUtf8(w.mid(eq + 1)));
        std::printf("  %s\n", qPrintable(row.raw));
        std::fflush(stdout);
        rows.append(row);
    }
    return child.exitStatus() == QProcess::NormalExit ? child.exitCode() : 1;
}

void printTable(const QList<Row> &rows)
{
    std::printf("\n%-9s %6s | %9s %9s | %5s | %7s %7s | %8s %9s | %9s %9s | %7s %7s | %8s %8s | %s\n",
                "phase", "n", "in role s", "settled s", "conns", "RSS MB", "peak MB", "CPU s", "CPU ms/el",
                "etcd CPU s", "etcd ms/el", "calls/el", "creates/el", "B out/el", "B in/el", "streams opened");
    for (const Row &r : rows) {
        const double n = r.values.value(QStringLiteral("n")).toDouble();
        if (r.failed) {
            std::printf("%-9s %6.0f | %s\n", qPrintable(r.values.value(QStringLiteral("phase"))), n, qPrintable(r.raw));
            continue;
        }
        auto v = [&](const char *k) { return r.values.value(QLatin1String(k)).toDouble(); };
        std::printf("%-9s %6.0f | %9.2f %9.2f | %5.0f | %7.1f %7.1f | %8.2f %9.2f | %9.2f %9.2f | %7.2f %7.2f | %8.0f %8.0f | %.0f\n",
                    qPrintable(r.values.value(QStringLiteral("phase"))), n, v("role_ms") / 1000, v("settled_ms") / 1000,
                    v("conns"), v("rss_mb"), v("peak_mb"), v("cpu_ms") / 1000, v("cpu_ms") / n,
                    v("etcd_cpu_ms") / 1000, v("etcd_cpu_ms") / n, v("calls") / n, v("creates") / n,
                    v("bytes_out") / n, v("bytes_in") / n, v("streams"));
    }
    std::printf("(CPU: user + system of the Electors' process less its connection sampling, and of etcd, during the phase; calls: unary "
                "calls on the wire; bytes: unary request and answer bodies plus everything on the watch "
                "streams; conns: most TCP connections to etcd seen, sampled every %d ms)\n", SampleMs);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() >= 4 && args.at(1).startsWith(QLatin1String("--"))) {
        const int n = args.at(2).toInt();
        const QUrl endpoint(args.at(3));
        const qint64 etcdPid = args.value(4).toLongLong();
        if (args.at(1) == QLatin1String("--hold"))
            return hold(n, endpoint);
        if (args.at(1) == QLatin1String("--lead"))
            return lead(n, endpoint, etcdPid);
        if (args.at(1) == QLatin1String("--follow"))
            return follow(n, endpoint, etcdPid);
        if (args.at(1) == QLatin1String("--floor"))
            return floor(n, endpoint, etcdPid);
    }
    QList<int> sizes;
    for (const QString &s : (args.size() > 1 ? args.at(1) : QStringLiteral("100,1000,3000,10000")).split(QLatin1Char(','))) {
        bool ok = false;
        const int n = s.toInt(&ok);
        if (!ok || n < 1 || n > 100000) {
            std::fprintf(stderr, "usage: bench_elections [N[,N...]]  (numbers of elections from 1 to 100000; "
                                 "default 100,1000,3000,10000)\n");
            return 2;
        }
        sizes << n;
    }
    std::printf("One Elector per election, all on one Client in one process; a fresh etcd (%s) on loopback "
                "per size; RSS of this program with no Client: %.1f MB\n",
                qPrintable(EtcdTestEnv::etcdBinary()), statusMb("VmRSS:"));
    QList<Row> rows;
    int status = 0;
    for (int n : sizes) {
        EtcdTestEnv etcd;
        if (!etcd.start()) {
            std::fprintf(stderr, "bench_elections: %s\n", qPrintable(etcd.errorString()));
            return 1;
        }
        std::printf("%d elections:\n", n);
        std::fflush(stdout);
        for (const char *phase : {"--lead", "--follow", "--floor"})
            status |= runPhase(QLatin1String(phase), n, etcd.endpoint(0), etcd.pid(0), rows);
    }
    printTable(rows);
    return status;
}
