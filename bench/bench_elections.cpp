// Many elections in one process: N Electors (default 1000) on ONE Client, each in its own
// election, against a throwaway local etcd. Prints, once they have settled: how long that took,
// the TCP connections the process holds to etcd, its resident memory, and how many leases the
// Electors use. Three phases, the first in a process of its own and the other two in another
// (so that a phase's memory figure does not carry the heap of the one before):
//   1. leading: every Elector is alone in its election and leads;
//   2. following: a helper process (this program again, --hold) holds every election first, so
//      every Elector waits behind one leader (its own key, the leader's and a claim range watched);
//   3. handover: the helper leaves (SIGINT), and every Elector takes over.
//   bench_elections [N]     (internal: --lead N <endpoint>, --follow N <endpoint>, --hold N <endpoint>)

#include <conclave/client.h>
#include <conclave/elector.h>

#include "benchloop.h"
#include "client_p.h"
#include "etcdtestenv.h"
#include "watchhub.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QFile>
#include <QtCore/QProcess>
#include <QtCore/QSet>
#include <QtCore/QSocketNotifier>
#include <QtCore/QTimer>

#include <cstdio>
#include <memory>
#include <signal.h>
#include <unistd.h>

using namespace Conclave;

namespace {

constexpr int WaitMs = 120000;

using Bench::pause;
using Bench::waitFor;

QString electionName(int i)
{
    return QStringLiteral("bench/many/e%1").arg(i, 4, 10, QLatin1Char('0'));
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
        QFile f(QString::fromLatin1(table));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        f.readLine(); // header
        while (!f.atEnd()) {
            const QList<QByteArray> cols = f.readLine().simplified().split(' ');
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

double rssMb(const char *field = "VmRSS:")
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(field))
            return line.mid(int(qstrlen(field))).simplified().split(' ').value(0).toDouble() / 1024.0;
    return -1;
}

struct Fleet
{
    Client client;
    std::vector<std::unique_ptr<Elector>> electors;

    Fleet(const QList<QUrl> &endpoints, int n)
    {
        client.setEndpoints(endpoints);
        for (int i = 0; i < n; ++i) {
            auto e = std::make_unique<Elector>(&client);
            e->setElectionName(electionName(i));
            e->setCandidateId(QStringLiteral("bench-%1").arg(i));
            e->setTtl(std::chrono::seconds(10));
            electors.push_back(std::move(e));
        }
    }
    void campaign()
    {
        for (auto &e : electors)
            e->campaign();
    }
    int count(Elector::Role role) const
    {
        int n = 0;
        for (const auto &e : electors)
            n += e->role() == role;
        return n;
    }
    int leases() const
    {
        QSet<qint64> ids;
        for (const auto &e : electors)
            ids.insert(e->leaseId());
        return int(ids.size());
    }
    bool settled() const { return ClientPrivate::get(const_cast<Client *>(&client))->watchHub()->isSettled(); }
    //! Every Elector leaves; returns once the Client's calls (deletes, the revoke) are answered.
    void leaveAll()
    {
        for (auto &e : electors)
            e->leave();
        waitFor([&] { return client.pendingRequests() == 0; }, 10000);
    }
};

bool report(const char *phase, Fleet &fleet, Elector::Role role, const QElapsedTimer &since, int port)
{
    const int n = int(fleet.electors.size());
    const bool inRole = waitFor([&] { return fleet.count(role) == n; }, WaitMs);
    const double roleMs = double(since.elapsed());
    const bool ok = inRole && waitFor([&] { return fleet.settled(); }, WaitMs);
    const double ms = double(since.elapsed());
    if (!ok) {
        std::printf("%-10s NOT SETTLED after %.0f s: %d of %d in role\n", phase, ms / 1000, fleet.count(role), n);
        return false;
    }
    // Let the hub finish moving watches onto fewer streams (merges wait for a cooldown).
    pause(5000);
    WatchHub *hub = ClientPrivate::get(&fleet.client)->watchHub();
    std::printf("%-10s %5d Electors in role after %6.0f ms, settled after %6.0f ms | TCP connections to etcd %2d | watch streams %2d "
                "(opened so far %4d), watches %5d | RSS %5.1f MB (peak %5.1f) | leases %d\n",
                phase, n, roleMs, ms, connectionsTo(port), hub->streamCount(), hub->streamOpenings(),
                hub->watchCount(), rssMb(), rssMb("VmHWM:"), fleet.leases());
    std::fflush(stdout);
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
int lead(int n, const QList<QUrl> &endpoints, int port)
{
    QElapsedTimer t;
    t.start();
    Fleet fleet(endpoints, n);
    fleet.campaign();
    if (!report("leading", fleet, Elector::Role::Leader, t, port))
        return 1;
    fleet.leaveAll();
    return 0;
}

// Phases 2 and 3 in a process of its own (its memory figure is not the first phase's heap):
// a helper holds every election, this process's Electors follow, then take over.
int follow(int n, const QList<QUrl> &endpoints, int port)
{
    QProcess holder;
    holder.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    holder.start(QCoreApplication::applicationFilePath(),
                 {QStringLiteral("--hold"), QString::number(n), endpoints.first().toString()});
    if (!holder.waitForStarted() || !waitFor([&] { return holder.canReadLine(); }, WaitMs)) {
        std::fprintf(stderr, "bench_elections: the helper did not take the elections\n");
        return 1;
    }
    QElapsedTimer t;
    t.start();
    Fleet fleet(endpoints, n);
    fleet.campaign();
    if (!report("following", fleet, Elector::Role::Follower, t, port))
        return 1;
    t.start();
    ::kill(pid_t(holder.processId()), SIGINT);
    if (!report("handover", fleet, Elector::Role::Leader, t, port))
        return 1;
    holder.waitForFinished();
    return 0;
}

int runPhase(const QString &phase, int n, const QUrl &endpoint)
{
    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedChannels);
    child.start(QCoreApplication::applicationFilePath(), {phase, QString::number(n), endpoint.toString()});
    if (!child.waitForStarted() || !waitFor([&] { return child.state() == QProcess::NotRunning; }, 10 * WaitMs))
        return 1;
    return child.exitStatus() == QProcess::NormalExit ? child.exitCode() : 1;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() == 4 && args.at(1).startsWith(QLatin1String("--"))) {
        const int n = args.at(2).toInt();
        const QUrl endpoint(args.at(3));
        if (args.at(1) == QLatin1String("--hold"))
            return hold(n, endpoint);
        if (args.at(1) == QLatin1String("--lead"))
            return lead(n, {endpoint}, endpoint.port());
        if (args.at(1) == QLatin1String("--follow"))
            return follow(n, {endpoint}, endpoint.port());
    }
    bool ok = true;
    const int n = args.size() > 1 ? args.at(1).toInt(&ok) : 1000;
    if (!ok || n < 1) {
        std::fprintf(stderr, "usage: bench_elections [number of elections, default 1000]\n");
        return 2;
    }
    EtcdTestEnv etcd;
    if (!etcd.start()) {
        std::fprintf(stderr, "bench_elections: %s\n", qPrintable(etcd.errorString()));
        return 1;
    }
    std::printf("%d elections, one Elector each on one Client in one process (a fresh process for the "
                "leading phase and one for following + handover); etcd 3.4 on loopback; RSS of this "
                "process (the same program) with no Client: %.1f MB\n", n, rssMb());
    std::fflush(stdout);
    if (runPhase(QStringLiteral("--lead"), n, etcd.endpoint(0)) != 0)
        return 1;
    return runPhase(QStringLiteral("--follow"), n, etcd.endpoint(0));
}
