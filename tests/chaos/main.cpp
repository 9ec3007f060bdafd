// conclave-chaos: fault injection against real conclave-candidate and conclave-worker
// processes on a real etcd, one fault at a time, judged by what the processes printed.
// See docs/chaos.md.
#include "chaosrunner.h"
#include "shardrunner.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>

#include <QtCore/QSocketNotifier>

#include <csignal>
#include <functional>
#include <cstdio>
#include <unistd.h>

static int signalPipe[2];

static int usage(const QString &message)
{
    std::fprintf(stderr, "conclave-chaos: %s\n(see --help)\n", qPrintable(message));
    return 2;
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
            "Injects faults into elections of conclave-candidate processes on a throwaway etcd "
            "and checks that no two leaders ever overlap and that every election recovers."));
    p.addHelpOption();
    p.addOptions({{QStringLiteral("seed"), QStringLiteral("random seed (default: from the clock; printed)"), QStringLiteral("n")},
                  {QStringLiteral("faults"), QStringLiteral("faults to inject (default 100)"), QStringLiteral("n"), QStringLiteral("100")},
                  {QStringLiteral("elections"), QStringLiteral("elections of conclave-candidate (default 3)"), QStringLiteral("n"), QStringLiteral("3")},
                  {QStringLiteral("candidates"), QStringLiteral("candidates per election (default 3)"), QStringLiteral("n"), QStringLiteral("3")},
                  {QStringLiteral("worker-elections"), QStringLiteral("elections of conclave-worker (default 1)"), QStringLiteral("n"), QStringLiteral("1")},
                  {QStringLiteral("supervised-elections"), QStringLiteral("elections of conclave-candidate --notify --watchdog 1 with a child (default 1; adds wedge-child, slow-ready)"), QStringLiteral("n"), QStringLiteral("1")},
                  {QStringLiteral("ttl"), QStringLiteral("lease TTL in seconds (default 3)"), QStringLiteral("seconds"), QStringLiteral("3")},
                  {QStringLiteral("cluster"), QStringLiteral("a 3-member etcd cluster (adds kill-member)")},
                  {QStringLiteral("kinds"), QStringLiteral("comma-separated fault kinds (default all): ")
                                                    + Chaos::allKinds(true).join(QLatin1Char(',')),
                   QStringLiteral("list")},
                  {QStringLiteral("report"), QStringLiteral("also write the result table to FILE"), QStringLiteral("file")},
                  {QStringLiteral("verbose"), QStringLiteral("print etcdctl failures")},
                  {QStringLiteral("shards"), QStringLiteral("the run at scale: --processes conclave-shards processes, each joined to the same N elections on one Client, faults on whole processes and etcd: ")
                                                     + Chaos::shardKinds(true).join(QLatin1Char(',')),
                   QStringLiteral("n")},
                  {QStringLiteral("processes"), QStringLiteral("with --shards: processes (default 3)"), QStringLiteral("n"), QStringLiteral("3")}});
    if (!p.parse(app.arguments()))
        return usage(p.errorText());
    if (p.isSet(QStringLiteral("help")))
        p.showHelp(0);
    if (!p.positionalArguments().isEmpty())
        return usage(QStringLiteral("unexpected argument ") + p.positionalArguments().first());

    Chaos::Options o;
    const struct { const char *name; int min; int max; int *out; } numbers[] = {
            {"faults", 0, 1000000, &o.faults},        {"elections", 1, 100, &o.elections},
            {"candidates", 2, 20, &o.candidates},     {"worker-elections", 0, 20, &o.workerElections},
            {"supervised-elections", 0, 20, &o.supervisedElections},
            {"ttl", 2, 60, &o.ttl}, {"processes", 2, 10, &o.processes}};
    for (const auto &n : numbers) {
        bool ok = false;
        *n.out = p.value(QLatin1String(n.name)).toInt(&ok);
        if (!ok || *n.out < n.min || *n.out > n.max)
            return usage(QStringLiteral("--%1 must be a whole number from %2 to %3")
                                 .arg(QLatin1String(n.name)).arg(n.min).arg(n.max));
    }
    if (p.isSet(QStringLiteral("seed"))) {
        bool ok = false;
        o.seed = p.value(QStringLiteral("seed")).toUInt(&ok);
        if (!ok)
            return usage(QStringLiteral("--seed must be a whole number"));
    } else {
        o.seed = quint32(QDateTime::currentMSecsSinceEpoch());
    }
    o.cluster = p.isSet(QStringLiteral("cluster"));
    if (p.isSet(QStringLiteral("shards"))) {
        bool ok = false;
        o.shards = p.value(QStringLiteral("shards")).toInt(&ok);
        if (!ok || o.shards < 1 || o.shards > 10000)
            return usage(QStringLiteral("--shards must be a whole number from 1 to 10000"));
    }
    if (p.isSet(QStringLiteral("kinds"))) {
        const QStringList known = o.shards ? Chaos::shardKinds(o.cluster) : Chaos::allKinds(o.cluster, o.supervisedElections > 0);
        for (const QString &k : p.value(QStringLiteral("kinds")).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const QString why = (k == QLatin1String("kill-member") || (o.shards && k == QLatin1String("stop-etcd")))
                    ? QStringLiteral(" without --cluster")
                    : o.shards ? QStringLiteral(" with --shards")
                    : Chaos::allKinds(true).contains(k) ? QStringLiteral(" with --supervised-elections 0") : QString();
            if (!known.contains(k))
                return usage(QStringLiteral("unknown fault kind \"%1\"%2; known: %3")
                                     .arg(k, why, known.join(QLatin1Char(','))));
            o.kinds << k;
        }
    }
    o.reportFile = p.value(QStringLiteral("report"));
    o.verbose = p.isSet(QStringLiteral("verbose"));
    // Ctrl+C or SIGTERM: finish the fault in progress, judge what ran, stop everything (the
    // one-election runner stops at once on a second one).
    if (::pipe(signalPipe) != 0)
        return 1;
    auto onSignal = [](int) { const char c = 1; [[maybe_unused]] auto n = ::write(signalPipe[1], &c, 1); };
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    int interrupts = 0;
    std::function<void()> interrupt = [&interrupts] { ++interrupts; };
    QSocketNotifier signalNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &app, [&interrupt] {
        char c;
        [[maybe_unused]] auto n = ::read(signalPipe[0], &c, 1);
        interrupt();
    });
    if (o.shards)
        return Chaos::runShards(o, [&interrupts] { return interrupts > 0; });
    Chaos::Runner runner(o);
    interrupt = [&runner] { runner.interrupt(); };
    return runner.run();
}
