// How long a handover takes, and what it costs etcd, for conclave-candidate processes and
// `etcdctl elect` processes side by side on one throwaway etcd: N candidates in one election
// each, the leader leaves (SIGINT: leave and exit; or `resign`: back of the queue), rounds
// alternate between the two. A handover is timed from the moment this program signals the
// leader to the moment it reads the next leader's announcement (the same pipe path for both
// tools). etcd's own /metrics give the bytes and messages it sent per handover, less what the
// same candidates cost while idle for as long.
//   bench_handover [rounds at N=2 (default 20)] [rounds at larger N (default 5)] [sizes (default 2,10,100)]
// With BENCH_HANDOVER_LOGS=<dir>, each conclave-candidate's stderr (its log) goes to <dir>/<election>-<id>.log.

#include <conclave/client.h>
#include <conclave/electionobserver.h>

#include "benchloop.h"
#include "etcdtestenv.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QEventLoop>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtCore/QTimer>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <signal.h>

namespace {

constexpr int WaitMs = 30000;
constexpr int SettleMs = 300; // after the new leader: followers' own reads finish in this

qint64 nowNs()
{
    using namespace std::chrono;
    return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

using Bench::pause;
using Bench::waitFor;

struct Metrics
{
    double bytes = 0;
    double messages = 0;
};

Metrics readMetrics(QNetworkAccessManager &nam, const QUrl &endpoint)
{
    QUrl url = endpoint;
    url.setPath(QStringLiteral("/metrics"));
    std::unique_ptr<QNetworkReply> reply(nam.get(QNetworkRequest(url)));
    waitFor([&] { return reply->isFinished(); }, WaitMs);
    Metrics m;
    const QList<QByteArray> lines = reply->readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("etcd_network_client_grpc_sent_bytes_total "))
            m.bytes += line.mid(line.indexOf(' ') + 1).toDouble();
        else if (line.startsWith("grpc_server_msg_sent_total{"))
            m.messages += line.mid(line.lastIndexOf(' ') + 1).toDouble();
    }
    return m;
}

// N candidates of one tool in one election, kept at N across rounds.
class Field : public QObject
{
public:
    enum class Tool { Conclave, Etcdctl };

    Field(Tool tool, EtcdTestEnv &etcd, const QString &election)
        : m_tool(tool), m_etcd(etcd), m_election(election)
    {
        m_client.setEndpoints(etcd.endpoints());
        m_observer = std::make_unique<Conclave::ElectionObserver>(&m_client);
        m_observer->setElectionName(election);
        m_observer->start();
    }
    ~Field() override
    {
        for (auto &c : m_procs) {
            c.process->disconnect(this);
            ::kill(pid_t(c.process->processId()), SIGKILL);
            c.process->waitForFinished(2000);
        }
    }
    QString name() const { return m_tool == Tool::Conclave ? QStringLiteral("conclave") : QStringLiteral("etcdctl"); }
    int queued() const { return int(m_observer->candidates().size()); }

    bool fill(int n)
    {
        while (int(m_procs.size()) < n) {
            if (!add())
                return false;
            const int want = int(m_procs.size());
            if (!waitFor([&] { return queued() == want; }, WaitMs))
                return false;
        }
        return waitFor([&] { return leader() != nullptr; }, WaitMs);
    }

    //! The leader leaves (SIGINT) or resigns; the ns from the signal to the next leader's line.
    qint64 handover(bool resign)
    {
        Proc *old = leader();
        if (!old)
            return -1;
        m_announcedAt = 0;
        old->leading = false;
        // When the old leader's key leaves the queue, as this program's observer sees it: a slow
        // handover says whether the key outlived the signal or the next leader was late.
        qint64 keyGoneAt = 0;
        const QString oldId = QString::fromLatin1(old->proposal);
        const QMetaObject::Connection watching = connect(m_observer.get(), &Conclave::ElectionObserver::candidatesChanged, this, [&] {
            const QList<Conclave::LeaderInfo> queue = m_observer->candidates();
            if (!keyGoneAt && std::none_of(queue.cbegin(), queue.cend(), [&](const Conclave::LeaderInfo &c) { return c.id() == oldId; }))
                keyGoneAt = nowNs();
        });
        const qint64 t0 = nowNs();
        if (!qEnvironmentVariableIsEmpty("BENCH_HANDOVER_LOGS")) // the candidates' logs' clock
            std::fprintf(stderr, "bench_handover: %s %s: %s to %s at %.6f s\n", qPrintable(m_election),
                         qPrintable(name()), resign ? "resign" : "SIGINT", old->proposal.constData(), double(t0) / 1e9);
        if (resign)
            old->process->write("resign\n");
        else
            ::kill(pid_t(old->process->processId()), SIGINT);
        const bool announced = waitFor([&] { return m_announcedAt != 0; }, WaitMs);
        disconnect(watching);
        if (!announced)
            return -1;
        if (m_announcedAt - t0 > 1'000'000'000)
            std::fprintf(stderr, "bench_handover: slow handover in %s (%s, %s): next leader after %.0f ms; "
                         "the old leader's key left the queue after %s\n",
                         qPrintable(m_election), qPrintable(name()), resign ? "resign" : "SIGINT",
                         double(m_announcedAt - t0) / 1e6,
                         keyGoneAt ? qPrintable(QStringLiteral("%1 ms").arg(double(keyGoneAt - t0) / 1e6, 0, 'f', 0))
                                   : "(not seen)");
        return m_announcedAt - t0;
    }

    //! Back to N after a SIGINT round: the old leader is reaped, a newcomer joins at the back.
    bool refill(int n)
    {
        for (auto it = m_procs.begin(); it != m_procs.end();) {
            if (it->process->state() == QProcess::NotRunning || !it->alive) {
                it->process->waitForFinished(5000);
                it = m_procs.erase(it);
            } else {
                ++it;
            }
        }
        if (!waitFor([&] { return queued() == int(m_procs.size()); }, WaitMs))
            return false;
        return fill(n);
    }

private:
    struct Proc
    {
        std::unique_ptr<QProcess> process;
        QByteArray buffer;
        QByteArray proposal;
        bool leading = false;
        bool alive = true;
    };

    Proc *leader()
    {
        for (auto &p : m_procs)
            if (p.leading && p.alive)
                return &p;
        return nullptr;
    }

    bool add()
    {
        Proc p;
        p.proposal = "p" + QByteArray::number(m_next++);
        if (m_tool == Tool::Conclave) {
            p.process = std::make_unique<QProcess>();
            if (const QByteArray dir = qgetenv("BENCH_HANDOVER_LOGS"); !dir.isEmpty())
                p.process->setStandardErrorFile(QString::fromLocal8Bit(dir) + QLatin1Char('/') + QString(m_election).replace(QLatin1Char('/'), QLatin1Char('-')) + QLatin1Char('-') + QString::fromLatin1(p.proposal) + QStringLiteral(".log"));
            p.process->start(QStringLiteral(CONCLAVE_CANDIDATE_BIN),
                             {QStringLiteral("--endpoints"), m_etcd.endpoint(0).toString(),
                              QStringLiteral("--election"), m_election,
                              QStringLiteral("--id"), QString::fromLatin1(p.proposal),
                              QStringLiteral("--ttl"), QStringLiteral("10")});
            if (!p.process->waitForStarted(5000))
                return false;
        } else {
            p.process = m_etcd.startEtcdctl({QStringLiteral("elect"), m_election, QString::fromLatin1(p.proposal)});
            if (!p.process)
                return false;
        }
        QProcess *raw = p.process.get();
        connect(raw, &QProcess::readyReadStandardOutput, this, [this, raw] { onOutput(raw); });
        connect(raw, &QProcess::finished, this, [this, raw] {
            for (auto &c : m_procs)
                if (c.process.get() == raw)
                    c.alive = false;
        });
        m_procs.push_back(std::move(p));
        return true;
    }

    void onOutput(QProcess *raw)
    {
        const qint64 at = nowNs();
        for (auto &c : m_procs) {
            if (c.process.get() != raw)
                continue;
            c.buffer += raw->readAllStandardOutput();
            qsizetype nl;
            while ((nl = c.buffer.indexOf('\n')) >= 0) {
                const QByteArray line = c.buffer.left(nl).trimmed();
                c.buffer.remove(0, nl + 1);
                if (announcesLeadership(line, c.proposal) && !c.leading) {
                    c.leading = true;
                    m_announcedAt = at;
                }
            }
        }
    }

    bool announcesLeadership(const QByteArray &line, const QByteArray &proposal) const
    {
        if (m_tool == Tool::Etcdctl)
            return line == proposal; // etcdctl prints the key, then the proposal, once elected
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        return o.value(QLatin1String("event")).toString() == QLatin1String("role")
                && o.value(QLatin1String("role")).toString() == QLatin1String("leader");
    }

    Tool m_tool;
    EtcdTestEnv &m_etcd;
    QString m_election;
    Conclave::Client m_client;
    std::unique_ptr<Conclave::ElectionObserver> m_observer;
    std::vector<Proc> m_procs;
    int m_next = 0;
    qint64 m_announcedAt = 0;
};

struct Series
{
    QString label;
    QList<double> ms;
    double bytes = 0;    // summed over rounds
    double messages = 0;
    int failures = 0;
};

double quantile(QList<double> v, double q)
{
    if (v.isEmpty())
        return 0;
    std::sort(v.begin(), v.end());
    return v.at(qMin(v.size() - 1, qsizetype(q * double(v.size()))));
}

void print(int n, const Series &s, const Series *reference)
{
    const double p50 = quantile(s.ms, 0.5);
    const int rounds = int(s.ms.size());
    std::printf("N=%-4d %-18s n=%-3d p50 %7.1f ms  p90 %7.1f ms  p99 %7.1f ms", n, qPrintable(s.label),
                rounds, p50, quantile(s.ms, 0.9), quantile(s.ms, 0.99));
    if (reference && !reference->ms.isEmpty())
        std::printf("  %5.2fx etcdctl", p50 / quantile(reference->ms, 0.5));
    else
        std::printf("               ");
    if (rounds > 0)
        std::printf("  etcd sent %8.1f KB, %6.0f messages per handover", s.bytes / rounds / 1024.0,
                    s.messages / rounds);
    if (s.failures)
        std::printf("  (%d rounds failed)", s.failures);
    std::printf("\n");
    std::fflush(stdout);
}

// One handover, with etcd's traffic during it less its idle traffic over as long.
bool measure(Field &field, bool resign, int n, Series &into, QNetworkAccessManager &nam,
             const QUrl &endpoint, const Metrics &idlePerMs)
{
    const Metrics before = readMetrics(nam, endpoint);
    const qint64 startNs = nowNs();
    const qint64 ns = field.handover(resign);
    if (ns < 0) {
        ++into.failures;
        return false;
    }
    pause(SettleMs);
    const Metrics after = readMetrics(nam, endpoint);
    const double windowMs = double(nowNs() - startNs) / 1e6;
    into.ms << double(ns) / 1e6;
    into.bytes += qMax(0.0, after.bytes - before.bytes - idlePerMs.bytes * windowMs);
    into.messages += qMax(0.0, after.messages - before.messages - idlePerMs.messages * windowMs);
    if (resign)
        return true;
    // A newcomer's watches must be in place before the next round: a watch that etcd places
    // after the revision it starts from is caught up by etcd's sync loop, every 100 ms, and a
    // round right after the refill measured that (it was the "resign slow tail").
    const bool ok = field.refill(n);
    pause(SettleMs);
    return ok;
}

Metrics idleRate(QNetworkAccessManager &nam, const QUrl &endpoint)
{
    const Metrics a = readMetrics(nam, endpoint);
    const qint64 t = nowNs();
    pause(2000);
    const Metrics b = readMetrics(nam, endpoint);
    const double ms = double(nowNs() - t) / 1e6;
    return {(b.bytes - a.bytes) / ms, (b.messages - a.messages) / ms};
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    bool ok = true;
    const int smallRounds = args.size() > 1 ? args.at(1).toInt(&ok) : 20;
    bool ok2 = true;
    const int largeRounds = args.size() > 2 ? args.at(2).toInt(&ok2) : 5;
    QList<int> sizes{2, 10, 100};
    if (args.size() > 3) {
        sizes.clear();
        for (const QString &s : args.at(3).split(QLatin1Char(',')))
            sizes << s.toInt(&ok);
    }
    if (!ok || !ok2 || smallRounds < 1 || largeRounds < 1 || sizes.contains(0) || sizes.contains(1)) {
        std::fprintf(stderr, "usage: bench_handover [rounds at N=2] [rounds at larger N] [sizes, e.g. 2,10,100; each ≥ 2]\n");
        return 2;
    }
    EtcdTestEnv etcd;
    if (!etcd.start()) {
        std::fprintf(stderr, "bench_handover: %s\n", qPrintable(etcd.errorString()));
        return 1;
    }
    QNetworkAccessManager nam;
    const QUrl endpoint = etcd.endpoint(0);
    std::printf("handover: signal to the leader → the next leader's announcement, read by this program; "
                "etcd 3.4 on loopback, one process per candidate, TTL 10 s (Conclave) / 60 s (etcdctl)\n");
    for (const int n : std::as_const(sizes)) {
        const int rounds = n <= 2 ? smallRounds : largeRounds;
        const QString tag = QString::number(n);
        Field conclave(Field::Tool::Conclave, etcd, QStringLiteral("bench/conclave-") + tag);
        Field etcdctl(Field::Tool::Etcdctl, etcd, QStringLiteral("bench/etcdctl-") + tag);
        if (!conclave.fill(n) || !etcdctl.fill(n)) {
            std::fprintf(stderr, "bench_handover: could not start %d candidates of each\n", n);
            return 1;
        }
        const Metrics idle = idleRate(nam, endpoint);
        Series e, c, r;
        e.label = QStringLiteral("etcdctl SIGINT");
        c.label = QStringLiteral("conclave SIGINT");
        r.label = QStringLiteral("conclave resign");
        for (int i = 0; i < rounds; ++i) { // alternate, so that drift hits both alike
            measure(etcdctl, false, n, e, nam, endpoint, idle);
            measure(conclave, false, n, c, nam, endpoint, idle);
            measure(conclave, true, n, r, nam, endpoint, idle);
        }
        print(n, e, nullptr);
        print(n, c, &e);
        print(n, r, &e);
    }
    return 0;
}
