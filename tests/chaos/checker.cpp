#include "checker.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QSet>

#include <algorithm>
#include <cmath>
#include <limits>

namespace Chaos {

namespace {

// After SIGCONT a process that stepped down as its first act within this long is taken to
// have stopped leading when it was frozen; a slower step-down counts as leadership.
constexpr qint64 WakeAllowanceNs = 100'000'000;
// A process that led when frozen stops its child when it runs again: SIGTERM at once, SIGKILL
// after conclave-candidate's --kill-after (1 s in conclave-chaos).
constexpr qint64 ThawStopAllowanceNs = 2'000'000'000;

qint64 mono(const QJsonObject &e)
{
    return qint64(e.value(QLatin1String("mono_ns")).toDouble());
}

bool isRole(const QJsonObject &e)
{
    return e.value(QLatin1String("event")).toString() == QLatin1String("role");
}

QString roleOf(const QJsonObject &e)
{
    return e.value(QLatin1String("role")).toString();
}

QString ms(qint64 ns)
{
    return QString::number(double(ns) / 1e6, 'f', 1);
}

} // namespace

QList<Interval> intervalsOf(const ProcessLog &log, qint64 runEnd)
{
    const qint64 lastAlive = log.killedAt ? log.killedAt : (log.endedAt ? log.endedAt : runEnd);
    QList<Interval> raw;
    QList<bool> endsByEvent; // ended by a step-down event the process printed
    for (qsizetype i = 0; i < log.events.size(); ++i) {
        const QJsonObject &e = log.events[i];
        if (!isRole(e) || roleOf(e) != QLatin1String("leader") || mono(e) >= lastAlive)
            continue;
        Interval iv{log.name, log.election, mono(e), lastAlive, 0};
        iv.token = qint64(e.value(QLatin1String("fencing")).toDouble());
        bool byEvent = false;
        for (qsizetype j = i + 1; j < log.events.size(); ++j) {
            const QJsonObject &n = log.events[j];
            if (mono(n) >= lastAlive)
                break;
            if (!iv.token && n.value(QLatin1String("event")).toString() == QLatin1String("work-started"))
                iv.token = qint64(n.value(QLatin1String("term")).toDouble());
            if (isRole(n)) {
                if (roleOf(n) != QLatin1String("leader")) {
                    iv.end = mono(n);
                    byEvent = true;
                }
                i = j - (roleOf(n) == QLatin1String("leader") ? 1 : 0);
                break;
            }
        }
        raw.append(iv);
        endsByEvent.append(byEvent);
    }
    // Cut frozen time out: a stopped process does nothing, and one that steps down as soon as it
    // runs again stopped leading when it was frozen.
    QList<Interval> result;
    for (qsizetype k = 0; k < raw.size(); ++k) {
        Interval piece = raw[k];
        for (const Freeze &f : log.freezes) {
            if (f.stoppedAt < piece.start || f.stoppedAt >= piece.end)
                continue;
            const qint64 cont = f.continuedAt ? f.continuedAt : std::numeric_limits<qint64>::max();
            if (endsByEvent[k] && piece.end >= cont && piece.end - cont <= WakeAllowanceNs) {
                piece.end = f.stoppedAt;
                break;
            }
            Interval before = piece;
            before.end = f.stoppedAt;
            result.append(before);
            piece.start = qMin(cont, piece.end);
        }
        if (piece.end > piece.start)
            result.append(piece);
    }
    return result;
}

QList<ChildRun> childRunsOf(const ProcessLog &log, qint64 runEnd)
{
    const qint64 lastAlive = log.killedAt ? log.killedAt : (log.endedAt ? log.endedAt : runEnd);
    QList<ChildRun> runs;
    for (const QJsonObject &e : log.events) {
        if (e.value(QLatin1String("event")).toString() != QLatin1String("child"))
            continue;
        const QString action = e.value(QLatin1String("action")).toString();
        if (action == QLatin1String("started") && mono(e) < lastAlive)
            runs.append({log.name, log.election, mono(e), lastAlive});
        else if (action == QLatin1String("exited") && !runs.isEmpty() && runs.last().end == lastAlive)
            runs.last().end = qMin(mono(e), lastAlive);
    }
    return runs;
}

qint64 percentile(QList<qint64> values, double p)
{
    if (values.isEmpty())
        return 0;
    std::sort(values.begin(), values.end());
    const qsizetype rank = qsizetype(std::ceil(p / 100.0 * double(values.size())));
    return values.at(qBound<qsizetype>(0, rank - 1, values.size() - 1));
}

static int faultAt(const QList<Fault> &faults, qint64 t)
{
    for (qsizetype i = faults.size() - 1; i >= 0; --i)
        if (faults[i].injectedAt <= t)
            return int(i);
    return -1;
}

// A leader's child does the leader's work: it must be gone before another process leads
// (conclave-candidate holds its key until the child has exited, and kills it before its lease
// could expire). Two exceptions, as for leaders: an operator's delete or revoke (the old leader
// learns it with the new one and stops its child then) and a frozen process, which cannot stop
// anything (fencing tokens are the answer to a paused leader; docs/chaos.md).
static void judgeChildren(const QList<ProcessLog> &logs, const QList<Fault> &faults,
                          const QMap<int, QList<Interval>> &byElection, qint64 runEnd, Verdict &v)
{
    for (const ProcessLog &log : logs) {
        for (const ChildRun &run : childRunsOf(log, runEnd)) {
            for (const Interval &iv : byElection.value(run.election)) {
                if (iv.process == run.process || iv.start >= run.end || iv.end <= run.start)
                    continue;
                // The fault in force when the two began to overlap; an operator's delete or revoke
                // excuses the old leader's child running into the new leader's term and the new
                // leader's child starting while the old leader has not heard yet.
                const int index = faultAt(faults, qMax(run.start, iv.start));
                const Fault *f = index >= 0 ? &faults[index] : nullptr;
                const bool byOperator = f && f->operatorAction && f->election == run.election
                        && qMin(run.start, iv.start) < f->injectedAt;
                const bool frozen = std::any_of(log.freezes.cbegin(), log.freezes.cend(), [&](const Freeze &z) {
                    return z.stoppedAt < iv.start && (!z.continuedAt || z.continuedAt + ThawStopAllowanceNs > iv.start);
                });
                if (byOperator || frozen)
                    continue;
                const qint64 ns = qMin(run.end, iv.end) - qMax(run.start, iv.start);
                // As an overlap too, so that the run prints the timeline around it.
                v.overlaps.append({Interval{run.process + QStringLiteral("'s child"), run.election, run.start, run.end, 0},
                                   iv, ns, index, false});
                KindFigures &k = v.kinds[f ? f->kind : QStringLiteral("(none)")];
                ++k.overlaps;
                k.maxOverlapNs = qMax(k.maxOverlapNs, ns);
                v.violations << QStringLiteral("election %1: %2's child ran %3 ms into %4's leadership (fault #%5 %6)")
                                        .arg(run.election).arg(run.process, ms(ns), iv.process)
                                        .arg(f ? f->index : -1).arg(f ? f->kind : QStringLiteral("(none)"));
            }
        }
    }
}

Verdict judge(const QList<ProcessLog> &logs, const QList<Fault> &faults, qint64 runEnd,
              const Rules &rules)
{
    Verdict v;
    QMap<int, QList<Interval>> byElection;
    for (const ProcessLog &log : logs)
        for (const Interval &iv : intervalsOf(log, runEnd))
            byElection[iv.election].append(iv);
    for (const Fault &f : faults) {
        KindFigures &k = v.kinds[f.kind];
        ++k.injected;
        k.misses += f.missed;
        k.errors += f.error;
        if (f.settledAt)
            k.recoveryNs.append(f.settledAt - f.healedAt);
        if (!f.broken.isEmpty())
            v.violations << QStringLiteral("fault #%1 (%2, election %3): %4").arg(f.index).arg(f.kind).arg(f.election).arg(f.broken);
        if (f.missed)
            v.violations << QStringLiteral("fault #%1 (%2, election %3): liveness missed: %4")
                                    .arg(f.index).arg(f.kind).arg(f.election).arg(f.note);
    }

    for (auto it = byElection.begin(); it != byElection.end(); ++it) {
        QList<Interval> &ivs = it.value();
        std::sort(ivs.begin(), ivs.end(), [](const Interval &a, const Interval &b) {
            return a.start < b.start;
        });
        v.intervals += ivs;
        v.leadershipStarts += int(ivs.size());
        // Two different processes leading at once.
        for (qsizetype i = 0; i < ivs.size(); ++i) {
            for (qsizetype j = i + 1; j < ivs.size() && ivs[j].start < ivs[i].end; ++j) {
                if (ivs[i].process == ivs[j].process)
                    continue;
                Overlap o{ivs[i], ivs[j], qMin(ivs[i].end, ivs[j].end) - ivs[j].start, -1, false};
                o.fault = faultAt(faults, ivs[j].start);
                const Fault *f = o.fault >= 0 ? &faults[o.fault] : nullptr;
                // An operator deleted the leader's key or revoked its lease: the old and the new
                // leader learn it from the same revision; the old one must go first or at once.
                o.operatorWindow = f && f->operatorAction && f->election == it.key()
                        && ivs[i].start < f->injectedAt && ivs[j].start >= f->injectedAt;
                v.overlaps.append(o);
                const QString kind = f ? f->kind : QStringLiteral("(none)");
                if (o.operatorWindow)
                    continue; // measured per fault below

                KindFigures &k = v.kinds[kind];
                ++k.overlaps;
                k.maxOverlapNs = qMax(k.maxOverlapNs, o.ns);
                v.violations << QStringLiteral("election %1: %2 and %3 both led for %4 ms "
                                               "(fault #%5 %6)")
                                        .arg(it.key()).arg(ivs[i].process, ivs[j].process, ms(o.ns))
                                        .arg(f ? f->index : -1).arg(kind);
            }
        }
        // Fencing tokens: successive leaders' strictly increase; one token, one process.
        QHash<qint64, QString> owner;
        for (qsizetype i = 0; i < ivs.size(); ++i) {
            const Interval &cur = ivs[i];
            if (cur.token <= 0) {
                v.violations << QStringLiteral("election %1: %2 led without a fencing token")
                                        .arg(it.key()).arg(cur.process);
                continue;
            }
            const QString seen = owner.value(cur.token);
            if (!seen.isEmpty() && seen != cur.process)
                v.violations << QStringLiteral("election %1: fencing token %2 named both %3 and %4")
                                        .arg(it.key()).arg(cur.token).arg(seen, cur.process);
            owner.insert(cur.token, cur.process);
            if (i > 0 && ivs[i - 1].process != cur.process && ivs[i - 1].token > 0
                && cur.token <= ivs[i - 1].token)
                v.violations << QStringLiteral("election %1: fencing token went from %2 (%3) to "
                                               "%4 (%5)")
                                        .arg(it.key()).arg(ivs[i - 1].token).arg(ivs[i - 1].process)
                                        .arg(cur.token).arg(cur.process);
        }
    }
    judgeChildren(logs, faults, byElection, runEnd, v);
    // After an operator delete/revoke: how long after the new leader took over did the old one
    // stop (negative: it stopped first)?
    for (const Fault &f : faults) {
        if (!f.operatorAction)
            continue;
        const QList<Interval> &ivs = byElection.value(f.election);
        const Interval *old = nullptr;
        const Interval *next = nullptr;
        for (const Interval &iv : ivs) {
            if (iv.start < f.injectedAt && iv.end >= f.injectedAt)
                old = &iv;
            else if (iv.start >= f.injectedAt && !next && (!old || iv.process != old->process))
                next = &iv;
        }
        if (!old || !next)
            continue;
        v.kinds[f.kind].operatorWindowNs.append(old->end - next->start);
        if (old->end - next->start > rules.operatorWindowBoundNs)
            v.notes << QStringLiteral("#%1 %2 e%3: operator window %4 ms (%5 led until %6 s, %7 from %8 s)")
                               .arg(f.index).arg(f.kind).arg(f.election).arg(ms(old->end - next->start))
                               .arg(old->process).arg(double(old->end) / 1e9, 0, 'f', 6)
                               .arg(next->process).arg(double(next->start) / 1e9, 0, 'f', 6);
    }
    // A frozen leader whose lease is gone must not act as leader when it runs again.
    for (const ProcessLog &log : logs) {
        for (const Freeze &f : log.freezes) {
            if (!f.leaseGone || !f.continuedAt)
                continue;
            QString before = QStringLiteral("not-a-member");
            const QJsonObject *after = nullptr;
            for (const QJsonObject &e : log.events) {
                if (!isRole(e))
                    continue;
                if (mono(e) < f.stoppedAt)
                    before = roleOf(e);
                else if (mono(e) >= f.continuedAt && !after)
                    after = &e;
            }
            if (before != QLatin1String("leader"))
                continue;
            if (!after && !log.killedAt && !log.endedAt)
                v.violations << QStringLiteral("%1: frozen leader never stepped down after SIGCONT")
                                        .arg(log.name);
            else if (after && roleOf(*after) == QLatin1String("leader"))
                v.violations << QStringLiteral("%1: first role event after SIGCONT was 'leader'")
                                        .arg(log.name);
        }
    }
    for (auto it = v.kinds.cbegin(); it != v.kinds.cend(); ++it) {
        const QList<qint64> &w = it.value().operatorWindowNs;
        if (w.size() >= rules.operatorWindowMinSamples
            && percentile(w, 99) > rules.operatorWindowBoundNs)
            v.violations << QStringLiteral("%1: operator window p99 %2 ms exceeds %3 ms")
                                    .arg(it.key(), ms(percentile(w, 99)),
                                         ms(rules.operatorWindowBoundNs));
    }
    return v;
}

QString table(const Verdict &v)
{
    QString out;
    out += QStringLiteral("| fault | injected | overlaps | max overlap ms | operator window p99 / max ms "
                          "| recovery p50 / p90 / max ms | misses | errors |\n");
    out += QStringLiteral("|---|---|---|---|---|---|---|---|\n");
    KindFigures all;
    auto row = [&](const QString &name, const KindFigures &k) {
        const QString window = k.operatorWindowNs.isEmpty()
                ? QStringLiteral("–")
                : QStringLiteral("%1 / %2 (n=%3)").arg(ms(percentile(k.operatorWindowNs, 99)),
                                                         ms(percentile(k.operatorWindowNs, 100)))
                          .arg(k.operatorWindowNs.size());
        const QString recovery = k.recoveryNs.isEmpty()
                ? QStringLiteral("–")
                : QStringLiteral("%1 / %2 / %3").arg(ms(percentile(k.recoveryNs, 50)),
                                                     ms(percentile(k.recoveryNs, 90)),
                                                     ms(percentile(k.recoveryNs, 100)));
        out += QStringLiteral("| %1 | %2 | %3 | %4 | %5 | %6 | %7 | %8 |\n")
                       .arg(name).arg(k.injected).arg(k.overlaps)
                       .arg(k.overlaps ? ms(k.maxOverlapNs) : QStringLiteral("–"), window, recovery)
                       .arg(k.misses).arg(k.errors);
    };
    for (auto it = v.kinds.cbegin(); it != v.kinds.cend(); ++it) {
        row(it.key(), it.value());
        const KindFigures &k = it.value();
        all.injected += k.injected;
        all.overlaps += k.overlaps;
        all.maxOverlapNs = qMax(all.maxOverlapNs, k.maxOverlapNs);
        all.operatorWindowNs += k.operatorWindowNs;
        all.recoveryNs += k.recoveryNs;
        all.misses += k.misses;
        all.errors += k.errors;
    }
    row(QStringLiteral("**all**"), all);
    return out;
}

QString timeline(const QList<ProcessLog> &logs, const QList<Fault> &faults, int election,
                 qint64 from, qint64 to, qint64 origin)
{
    QList<QPair<qint64, QString>> lines;
    auto at = [origin](qint64 t) { return QStringLiteral("%1 s").arg(double(t - origin) / 1e9, 9, 'f', 4); };
    for (const ProcessLog &log : logs) {
        if (log.election != election)
            continue;
        for (const QJsonObject &e : log.events) {
            const qint64 t = mono(e);
            if (t < from || t > to)
                continue;
            QJsonObject shown = e;
            shown.remove(QStringLiteral("mono_ns"));
            lines.append({t, QStringLiteral("%1  %2  %3").arg(at(t), log.name,
                                 QString::fromUtf8(QJsonDocument(shown).toJson(QJsonDocument::Compact)))});
        }
        if (log.killedAt >= from && log.killedAt <= to)
            lines.append({log.killedAt, QStringLiteral("%1  %2  (SIGKILL)").arg(at(log.killedAt), log.name)});
        for (const Freeze &f : log.freezes) {
            if (f.stoppedAt >= from && f.stoppedAt <= to)
                lines.append({f.stoppedAt, QStringLiteral("%1  %2  (SIGSTOP)").arg(at(f.stoppedAt), log.name)});
            if (f.continuedAt >= from && f.continuedAt <= to)
                lines.append({f.continuedAt, QStringLiteral("%1  %2  (SIGCONT)").arg(at(f.continuedAt), log.name)});
        }
    }
    for (const Fault &f : faults) {
        if (f.injectedAt >= from && f.injectedAt <= to)
            lines.append({f.injectedAt, QStringLiteral("%1  FAULT #%2 %3 on %4 injected")
                                                .arg(at(f.injectedAt)).arg(f.index).arg(f.kind, f.target)});
        if (f.healedAt >= from && f.healedAt <= to && f.healedAt != f.injectedAt)
            lines.append({f.healedAt, QStringLiteral("%1  FAULT #%2 healed").arg(at(f.healedAt)).arg(f.index)});
    }
    std::stable_sort(lines.begin(), lines.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    QString out;
    for (const auto &l : lines)
        out += l.second + QLatin1Char('\n');
    return out;
}

} // namespace Chaos
