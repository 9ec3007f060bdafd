#pragma once

// The judge of a chaos run. Pure: it sees only what the candidate processes printed (their
// JSON lines with mono_ns) and the runner's own record of what it did when, and decides.
// See docs/chaos.md for the rules.

#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QMap>
#include <QtCore/QString>
#include <QtCore/QStringList>

namespace Chaos {

//! A SIGSTOP … SIGCONT of one process (monotonic ns).
struct Freeze
{
    qint64 stoppedAt = 0;
    qint64 continuedAt = 0;  // 0: never continued (the run ended)
    bool leaseGone = false;  // its key was gone from etcd before SIGCONT
};

//! Everything known of one process (one incarnation of a candidate).
struct ProcessLog
{
    QString name;          // e.g. "e1/c2.3"
    int election = 0;
    QList<QJsonObject> events;
    qint64 killedAt = 0;   // SIGKILL sent (0: not killed)
    qint64 endedAt = 0;    // exited or stopped by the runner (0: ran to the end)
    QList<Freeze> freezes;
};

//! One injected fault, as the runner recorded it.
struct Fault
{
    int index = 0;
    QString kind;
    int election = -1;     // the election it targeted (-1: all)
    QString target;        // process name, member, …
    bool operatorAction = false; // an operator delete/revoke of the leader's key or lease
    qint64 injectedAt = 0;
    qint64 healedAt = 0;
    qint64 settledAt = 0;  // liveness held again (0: missed)
    bool missed = false;
    bool error = false;    // the runner could not inject it as planned
    QString note;
    QString broken;        // a promise the runner saw broken itself (a leaver that did not exit)
};

//! A time one process believed it led one election.
struct Interval
{
    QString process;
    int election = 0;
    qint64 start = 0;
    qint64 end = 0;
    qint64 token = 0;
};

//! A time one process's child ran (conclave-candidate -- CMD, started when it led).
struct ChildRun
{
    QString process;
    int election = 0;
    qint64 start = 0;
    qint64 end = 0;
};

struct Overlap
{
    Interval first;
    Interval second;
    qint64 ns = 0;
    int fault = -1;        // the fault in force when it happened (-1: none)
    bool operatorWindow = false;
};

struct KindFigures
{
    int injected = 0;
    int overlaps = 0;        // violations only
    qint64 maxOverlapNs = 0;
    QList<qint64> operatorWindowNs; // per operator fault: old leader's end - new one's start (< 0: no overlap)
    QList<qint64> recoveryNs;
    int misses = 0;
    int errors = 0;
};

struct Verdict
{
    QList<Interval> intervals;
    QList<Overlap> overlaps;       // violations and operator windows
    QStringList violations;        // one line each
    QStringList notes;             // what a violation line summarises: the faults behind it
    QMap<QString, KindFigures> kinds;
    int leadershipStarts = 0;
    bool ok() const { return violations.isEmpty(); }
};

struct Rules
{
    qint64 operatorWindowBoundNs = 50'000'000; // p99 of the operator window
    int operatorWindowMinSamples = 1;
};

//! The leadership intervals of one process, with frozen time cut out.
QList<Interval> intervalsOf(const ProcessLog &log, qint64 runEnd);

//! When its children ran: from "child started" to "child exited", or to the process's SIGKILL
//! (the kernel kills the child with it: PR_SET_PDEATHSIG; the runner checks that it did) or end.
QList<ChildRun> childRunsOf(const ProcessLog &log, qint64 runEnd);

Verdict judge(const QList<ProcessLog> &logs, const QList<Fault> &faults, qint64 runEnd,
              const Rules &rules = {});

//! Percentile (0..100) of \a values (nearest rank); 0 for none.
qint64 percentile(QList<qint64> values, double p);

//! The per-kind table, as printed and put in README.
QString table(const Verdict &verdict);

//! The events of \a election's processes within [from, to], one line each, times relative to
//! \a origin, with the faults in force.
QString timeline(const QList<ProcessLog> &logs, const QList<Fault> &faults, int election,
                 qint64 from, qint64 to, qint64 origin);

} // namespace Chaos
