// The chaos checker's rules on hand-made timelines (no etcd, no processes).
#include "checker.h"

#include <QtTest/QTest>

using namespace Chaos;

namespace {

constexpr qint64 Ms = 1'000'000;

QJsonObject role(const char *r, qint64 atMs, qint64 fencing = 0)
{
    QJsonObject o{{QStringLiteral("event"), QStringLiteral("role")},
                  {QStringLiteral("role"), QLatin1String(r)},
                  {QStringLiteral("mono_ns"), double(atMs * Ms)}};
    if (fencing)
        o.insert(QStringLiteral("fencing"), double(fencing));
    return o;
}

QJsonObject child(const char *action, qint64 atMs)
{
    return {{QStringLiteral("event"), QStringLiteral("child")}, {QStringLiteral("action"), QLatin1String(action)},
            {QStringLiteral("mono_ns"), double(atMs * Ms)}};
}

ProcessLog proc(const char *name, QList<QJsonObject> events)
{
    ProcessLog p;
    p.name = QLatin1String(name);
    p.election = 0;
    p.events = events;
    return p;
}

Fault fault(const char *kind, qint64 atMs, bool operatorAction = false)
{
    Fault f;
    f.index = 1;
    f.kind = QLatin1String(kind);
    f.election = 0;
    f.injectedAt = atMs * Ms;
    f.healedAt = atMs * Ms;
    f.settledAt = (atMs + 500) * Ms;
    f.operatorAction = operatorAction;
    return f;
}

} // namespace

class tst_ChaosCheck : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void cleanHandoverPasses()
    {
        const QList<ProcessLog> logs{
                proc("a", {role("follower", 0), role("leader", 10, 5), role("follower", 100)}),
                proc("b", {role("follower", 5), role("leader", 101, 9)})};
        const Verdict v = judge(logs, {fault("resign", 90)}, 1000 * Ms);
        QVERIFY2(v.ok(), qPrintable(v.violations.join(u'\n')));
        QCOMPARE(v.intervals.size(), 2);
        QCOMPARE(v.leadershipStarts, 2);
        QCOMPARE(v.kinds.value(QStringLiteral("resign")).recoveryNs, QList<qint64>{500 * Ms});
    }

    void overlapIsAViolation()
    {
        const QList<ProcessLog> logs{proc("a", {role("leader", 10, 5), role("follower", 200)}),
                                     proc("b", {role("leader", 150, 9)})};
        const Verdict v = judge(logs, {fault("partition-leader", 100)}, 1000 * Ms);
        QVERIFY(!v.ok());
        QCOMPARE(v.kinds.value(QStringLiteral("partition-leader")).overlaps, 1);
        QCOMPARE(v.kinds.value(QStringLiteral("partition-leader")).maxOverlapNs, 50 * Ms);
        QVERIFY(v.violations.first().contains(QLatin1String("both led for 50.0 ms")));
    }

    void operatorWindowIsBoundedNotForbidden()
    {
        // The operator deletes a's key at 150; b takes over at 155, a steps down at 160.
        const QList<ProcessLog> logs{proc("a", {role("leader", 10, 5), role("not-a-member", 160)}),
                                     proc("b", {role("leader", 155, 9)})};
        Verdict v = judge(logs, {fault("operator-delete", 150, true)}, 1000 * Ms);
        QVERIFY2(v.ok(), qPrintable(v.violations.join(u'\n')));
        QCOMPARE(v.kinds.value(QStringLiteral("operator-delete")).operatorWindowNs,
                 QList<qint64>{5 * Ms});
        // 80 ms is past the bound.
        const QList<ProcessLog> slow{proc("a", {role("leader", 10, 5), role("not-a-member", 235)}),
                                     proc("b", {role("leader", 155, 9)})};
        v = judge(slow, {fault("operator-delete", 150, true)}, 1000 * Ms);
        QVERIFY(!v.ok());
        QVERIFY(v.violations.first().contains(QLatin1String("operator window")));
        // The same overlap without an operator action is a plain violation.
        v = judge(logs, {fault("compact-churn", 150)}, 1000 * Ms);
        QCOMPARE(v.kinds.value(QStringLiteral("compact-churn")).overlaps, 1);
    }

    void fencingTokens()
    {
        QList<ProcessLog> logs{proc("a", {role("leader", 10, 9), role("follower", 100)}),
                               proc("b", {role("leader", 200, 7), role("follower", 300)})};
        Verdict v = judge(logs, {}, 1000 * Ms);
        QVERIFY(!v.ok());
        QVERIFY(v.violations.first().contains(QLatin1String("went from 9")));
        logs[1].events[0] = role("leader", 200, 9);
        v = judge(logs, {}, 1000 * Ms);
        QVERIFY(v.violations.join(u'\n').contains(QLatin1String("named both")));
        // One process leading twice with its own token (a short step-down) is fine.
        const QList<ProcessLog> again{proc("a", {role("leader", 10, 9), role("follower", 100),
                                                 role("leader", 150, 9)})};
        QVERIFY(judge(again, {}, 1000 * Ms).ok());
        // A leader must say its token.
        QVERIFY(!judge({proc("a", {role("leader", 10)})}, {}, 1000 * Ms).ok());
    }

    void frozenTimeIsCutOut()
    {
        // a is stopped at 100 and continued at 5000; its first act is to step down.
        ProcessLog a = proc("a", {role("leader", 10, 5), role("not-a-member", 5001)});
        a.freezes.append({100 * Ms, 5000 * Ms, true});
        const ProcessLog b = proc("b", {role("leader", 4000, 9)});
        Verdict v = judge({a, b}, {fault("stop-leader", 100)}, 10000 * Ms);
        QVERIFY2(v.ok(), qPrintable(v.violations.join(u'\n')));
        QCOMPARE(intervalsOf(a, 10000 * Ms).first().end, 100 * Ms);
        // Still leader 300 ms after SIGCONT: that is leadership, and overlaps b.
        a.events[1] = role("not-a-member", 5300);
        v = judge({a, b}, {fault("stop-leader", 100)}, 10000 * Ms);
        QVERIFY(!v.ok());
        // Never stepping down after SIGCONT, lease gone: a violation of its own.
        a.events.removeLast();
        v = judge({a, proc("b", {})}, {fault("stop-leader", 100)}, 10000 * Ms);
        QVERIFY(v.violations.join(u'\n').contains(QLatin1String("never stepped down")));
    }

    void killEndsLeadership()
    {
        ProcessLog a = proc("a", {role("leader", 10, 5)});
        a.killedAt = 100 * Ms;
        const Verdict v = judge({a, proc("b", {role("leader", 3000, 9)})}, {fault("kill-leader", 100)},
                                10000 * Ms);
        QVERIFY2(v.ok(), qPrintable(v.violations.join(u'\n')));
    }

    void missesAreViolations()
    {
        Fault f = fault("half-dead-next", 100);
        f.missed = true;
        f.settledAt = 0;
        const Verdict v = judge({}, {f}, 1000 * Ms);
        QVERIFY(!v.ok());
        QCOMPARE(v.kinds.value(QStringLiteral("half-dead-next")).misses, 1);
        QVERIFY(table(v).contains(QLatin1String("| half-dead-next | 1 | 0 |")));
    }

    void brokenPromisesAreViolations()
    {
        // A leaver that outlived its SIGTERM: the runner saw it, the checker must not let it pass.
        ProcessLog a = proc("a", {role("leader", 10, 5), role("not-a-member", 100)});
        a.endedAt = 10200 * Ms;
        Fault f = fault("leave-leader", 100);
        f.broken = QStringLiteral("a still running 10 s after SIGTERM");
        const Verdict v = judge({a, proc("b", {role("leader", 104, 9)})}, {f}, 20000 * Ms);
        QVERIFY(!v.ok());
        QVERIFY(v.violations.join(u'\n').contains(QLatin1String("still running 10 s after SIGTERM")));
        f.broken.clear(); // the same run without it is clean: leadership ended at its own line
        QVERIFY(judge({a, proc("b", {role("leader", 104, 9)})}, {f}, 20000 * Ms).ok());
    }

    // A leader's child does its work: it must be gone before another process leads. A
    // watchdog resign keeps the key until the child exited; a child that outlives its
    // leadership into the next leader's is a violation, but not while an operator's delete is
    // in force or its candidate is frozen (it cannot stop anything); a SIGKILLed candidate's
    // child dies with it.
    void childMustBeGoneBeforeTheNextLeader()
    {
        const QList<ProcessLog> clean{
                proc("a", {role("leader", 10, 5), child("started", 11), role("follower", 100), child("terminated", 100),
                           child("exited", 104)}),
                proc("b", {role("follower", 5), role("leader", 110, 9)})};
        Verdict v = judge(clean, {fault("wedge-child", 90)}, 1000 * Ms);
        QVERIFY2(v.ok(), qPrintable(v.violations.join(u'\n')));
        QCOMPARE(childRunsOf(clean.first(), 1000 * Ms).size(), 1);

        const QList<ProcessLog> late{
                proc("a", {role("leader", 10, 5), child("started", 11), role("follower", 100), child("exited", 130)}),
                proc("b", {role("follower", 5), role("leader", 110, 9)})};
        v = judge(late, {fault("wedge-child", 90)}, 1000 * Ms);
        QVERIFY(!v.ok());
        QVERIFY2(v.violations.first().contains(QLatin1String("a's child ran 20.0 ms into b's leadership")),
                 qPrintable(v.violations.first()));
        QVERIFY(judge(late, {fault("operator-delete", 90, true)}, 1000 * Ms).ok());
        // The new leader's child may start before the old leader has heard of the operator's
        // delete (chaos seed 2405: 2.6 ms) ...
        const QList<ProcessLog> window{
                proc("a", {role("leader", 10, 5), role("not-a-member", 203)}),
                proc("b", {role("leader", 200, 9), child("started", 201)})};
        Fault revoke = fault("operator-revoke", 190, true);
        revoke.index = 2;
        QVERIFY2(judge(window, {fault("leave-leader", 5), revoke}, 1000 * Ms).ok(),
                 qPrintable(judge(window, {fault("leave-leader", 5), revoke}, 1000 * Ms).violations.join(u'\n')));
        // ... but not outside it, and a violation names the fault in force when it happened.
        v = judge(window, {fault("leave-leader", 5)}, 1000 * Ms);
        QVERIFY(!v.ok());
        QVERIFY2(v.violations.join(u'\n').contains(QLatin1String("b's child ran 2.0 ms into a's leadership (fault #1 leave-leader)")),
                 qPrintable(v.violations.join(u'\n')));
        ProcessLog frozen = proc("a", {role("leader", 10, 5), child("started", 11), role("follower", 106), child("exited", 130)});
        frozen.freezes.append({50 * Ms, 105 * Ms, true}); // it steps down as it wakes; its child lingers
        QVERIFY(judge({frozen, late.last()}, {fault("stop-leader", 50)}, 1000 * Ms).ok());

        ProcessLog killed = proc("a", {role("leader", 10, 5), child("started", 11)});
        killed.killedAt = 100 * Ms;
        QVERIFY(judge({killed, proc("b", {role("leader", 3000, 9)})}, {fault("kill-leader", 100)}, 10000 * Ms).ok());
        const QList<ChildRun> runs = childRunsOf(killed, 10000 * Ms);
        QCOMPARE(runs.size(), 1);
        QCOMPARE(runs.first().end, 100 * Ms);
    }

    void percentiles()
    {
        QCOMPARE(percentile({}, 50), 0);
        QCOMPARE(percentile({5, 1, 3}, 50), 3);
        QCOMPARE(percentile({5, 1, 3}, 100), 5);
        QList<qint64> hundred;
        for (int i = 1; i <= 100; ++i)
            hundred.append(i);
        QCOMPARE(percentile(hundred, 99), 99);
        QCOMPARE(percentile(hundred, 90), 90);
    }
};

QTEST_GUILESS_MAIN(tst_ChaosCheck)
#include "tst_chaoscheck.moc"
