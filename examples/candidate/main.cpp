// conclave-candidate: one candidate of one election as a separate process, for tests,
// benchmarks, the demo and production: `conclave-candidate [options] -- CMD ARGS…` runs CMD only
// while it leads (leaderchild.h); --health-cmd gates eligibility (healthcheck.h);
// --metrics-address serves /metrics, /healthz and /leader (metricsserver.h). One JSON object per
// line on stdout for every change; commands on stdin (resign, proclaim TEXT, leave, quit,
// eligible, ineligible); SIGINT/SIGTERM leave cleanly and exit 0 (with a child: its status).
// The options are candidateoptions.h's; the process's work is candidate.h's.
#include "candidate.h"
#include "candidateoptions.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <unistd.h>

static int signalPipe[2];

static int usage(const QString &message)
{
    std::fprintf(stderr, "conclave-candidate: %s\n(see --help)\n", qPrintable(message));
    return 2;
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Joins one etcd election and reports every change as JSON lines."));
    p.addHelpOption();
    CandidateOptions::addTo(p);
    if (!p.parse(app.arguments()))
        return usage(p.errorText());
    if (p.isSet(QStringLiteral("help")))
        p.showHelp(0);
    QString problem;
    const std::optional<CandidateOptions> options = CandidateOptions::read(p, app.arguments(), &problem);
    if (!options)
        return usage(problem);
    Candidate candidate(*options);
    if (!candidate.setUp(p, &problem))
        return usage(problem);

    // SIGINT/SIGTERM through a pipe into the event loop, drained on every read: a
    // level-triggered notifier left readable fires on every loop pass and kept the leaving
    // process spinning, competing with etcd and the next leader for a CPU.
    if (::pipe(signalPipe) != 0)
        return 1;
    auto onSignal = [](int) { const char c = 1; [[maybe_unused]] auto n = ::write(signalPipe[1], &c, 1); };
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    QSocketNotifier signalNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &candidate, [&candidate] {
        char drained[64];
        [[maybe_unused]] auto n = ::read(signalPipe[0], drained, sizeof drained);
        candidate.quit();
    });

    candidate.start();
    return app.exec();
}
