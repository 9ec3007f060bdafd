#include "cli.h"

#include "leaderresignation.h"

#include "auditlog.h"

#include "etcdmembers.h"
#include "mainwindow.h"
#include "snapshot.h"

#include <conclave/electiondirectory.h>
#include <conclave/operation.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QEventLoop>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QTimer>

#include <cstdio>
#include <memory>
#include <utility>

namespace Monitor::Cli {

namespace {

// A one-shot command stops on what the library would retry forever, too: a certificate that
// does not verify and replies it cannot read will not change within the command's life.
bool fatal(Conclave::Error e)
{
    return Conclave::isPermanent(e) || e == Conclave::Error::TlsError
            || e == Conclave::Error::ProtocolError;
}

// Every candidate's lease is tracked; true once each has been read.
bool leasesRead(Conclave::ElectionDirectory &dir)
{
    QSet<qint64> leases;
    for (const QString &name : dir.elections())
        for (const Conclave::LeaderInfo &c : dir.candidates(name))
            leases.insert(c.leaseId());
    leases.remove(0);
    if (leases != dir.trackedLeases())
        dir.setTrackedLeases(leases);
    for (const qint64 lease : std::as_const(leases))
        if (dir.leaseStatus(lease).state == Conclave::LeaseStatus::State::Unknown)
            return false;
    return true;
}

} // namespace

int fail(const QString &message, int code)
{
    std::fprintf(stderr, "conclave-monitor: %s\n", qPrintable(message));
    return code;
}

QString load(Conclave::ElectionDirectory &dir, int timeoutMs, bool withLeases)
{
    using Dir = Conclave::ElectionDirectory;
    QEventLoop loop;
    QString error;
    auto check = [&] {
        if (dir.isSynced() && (!withLeases || leasesRead(dir)))
            loop.exit(0);
    };
    QObject::connect(&dir, &Dir::syncedChanged, &loop, check);
    QObject::connect(&dir, &Dir::electionChanged, &loop, check); // new candidates, new leases
    QObject::connect(&dir, &Dir::leasesUpdated, &loop, check);
    QObject::connect(&dir, &Dir::errorOccurred, &loop, [&](Conclave::Error e, const QString &message) {
        error = message;
        if (fatal(e) && !dir.isSynced())
            loop.exit(1);
    });
    QTimer::singleShot(timeoutMs, &loop, [&] { loop.exit(dir.isSynced() ? 0 : 2); });
    dir.setLeasePollRate(2000);
    dir.start();
    const int rc = loop.exec();
    if (rc == 0)
        return {};
    if (rc == 2)
        return QStringLiteral("no listing within %1 s%2").arg(timeoutMs / 1000)
                .arg(error.isEmpty() ? QString() : QStringLiteral(": ") + error);
    return error;
}

bool loadCluster(Conclave::ClusterStatus &cluster, int timeoutMs)
{
    QEventLoop loop;
    QObject::connect(&cluster, &Conclave::ClusterStatus::updated, &loop, [&] { loop.exit(0); });
    QTimer::singleShot(timeoutMs, &loop, [&] { loop.exit(1); });
    cluster.start();
    return cluster.updatedAt().isValid() || loop.exec() == 0;
}

namespace {

// "etcd: 3 members, raft leader m1" and a line per member.
QString textMembers(const QJsonObject &snap)
{
    const QJsonArray members = snap.value(QLatin1String("members")).toArray();
    QString leader;
    for (const QJsonValue &v : members)
        if (v.toObject().value(QLatin1String("is_leader")).toBool())
            leader = v.toObject().value(QLatin1String("name")).toString();
    const QString state = snap.value(QLatin1String("etcd_leader")).toString();
    QString out = QStringLiteral("etcd: %1 member%2, %3\n").arg(members.size()).arg(members.size() == 1 ? QString() : QStringLiteral("s"))
                          .arg(!leader.isEmpty() ? QStringLiteral("raft leader ") + leader
                                                 : state == QLatin1String("no_leader") ? QStringLiteral("NO RAFT LEADER")
                                                                                       : QStringLiteral("raft leader unknown"));
    for (const QJsonValue &v : members) {
        const QJsonObject m = v.toObject();
        out += QStringLiteral("  %1 %2  %3").arg(m.value(QLatin1String("name")).toString(), -10)
                       .arg(m.value(QLatin1String("endpoint")).toString(), m.value(QLatin1String("reachable")).toBool() ? QStringLiteral("up") : QStringLiteral("DOWN"));
        if (!m.value(QLatin1String("version")).isNull())
            out += QStringLiteral("  %1").arg(m.value(QLatin1String("version")).toString());
        if (m.value(QLatin1String("is_leader")).toBool())
            out += QStringLiteral("  leader");
        if (!m.value(QLatin1String("db_size")).isNull())
            out += QStringLiteral("  db %1").arg(formatBytes(m.value(QLatin1String("db_size")).toInteger()));
        if (!m.value(QLatin1String("raft_term")).isNull())
            out += QStringLiteral("  term %1").arg(m.value(QLatin1String("raft_term")).toInteger());
        if (!m.value(QLatin1String("problem")).isNull())
            out += QStringLiteral("  (%1)").arg(m.value(QLatin1String("problem")).toString());
        out += QLatin1Char('\n');
    }
    return out;
}

} // namespace

QString textSnapshot(const QJsonObject &snap)
{
    QString out = QStringLiteral("revision %1, etcd %2\n").arg(snap.value(QLatin1String("revision")).toInteger())
                          .arg(snap.value(QLatin1String("etcd_version")).toString());
    if (snap.contains(QLatin1String("members")))
        out += textMembers(snap);
    for (const QJsonValue &e : snap.value(QLatin1String("elections")).toArray()) {
        const QJsonObject o = e.toObject();
        out += QStringLiteral("%1  [%2]\n").arg(o.value(QLatin1String("name")).toString(),
                                               o.value(QLatin1String("status")).toString());
        for (const QJsonValue &c : o.value(QLatin1String("candidates")).toArray()) {
            const QJsonObject k = c.toObject();
            out += QStringLiteral("  %1 %2  lease %3  ttl %4/%5  fencing %6\n")
                           .arg(k.value(QLatin1String("role")).toString(), -8)
                           .arg(k.value(QLatin1String("id")).toString(), k.value(QLatin1String("lease")).toString())
                           .arg(k.value(QLatin1String("ttl")).toInteger())
                           .arg(k.value(QLatin1String("granted_ttl")).toInteger())
                           .arg(k.value(QLatin1String("fencing")).toInteger());
        }
    }
    return out;
}

int runOnce(const Conclave::ElectionDirectory &dir, bool json, const QList<Conclave::Handover> &history,
            const HealthRules &rules, const Conclave::ClusterStatus *cluster)
{
    QJsonObject snap = json ? snapshot(dir, history, rules) : snapshot(dir, rules);
    if (cluster)
        addClusterTo(&snap, *cluster);
    const QByteArray out = json ? QJsonDocument(snap).toJson(QJsonDocument::Indented)
                                : textSnapshot(snap).toUtf8();
    std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
    return 0;
}

namespace {

// Appends the outcome of an attempted action; a log that cannot be written is reported, and
// the action's own exit code stands.
void audited(AuditLog *audit, AuditEntry entry, bool succeeded, const QString &message)
{
    entry.succeeded = succeeded;
    entry.message = message;
    if (audit && !audit->append(entry))
        std::fprintf(stderr, "conclave-monitor: %s\n", qPrintable(audit->lastError()));
}

} // namespace

int runResign(Conclave::ElectionDirectory &dir, const QString &name, int timeoutS, AuditLog *audit, const AuditEntry &base)
{
    if (!dir.contains(name))
        return fail(QStringLiteral("no election \"%1\"%2").arg(name, dir.prefix().isEmpty() ? QString() : QStringLiteral(" under prefix \"%1\"").arg(dir.prefix())));
    LeaderResignation resign(&dir, name, std::chrono::seconds(timeoutS));
    const Conclave::LeaderInfo leader = resign.leader();
    if (!leader.isValid())
        return fail(QStringLiteral("election \"%1\" has no leader to resign").arg(name));
    AuditEntry entry = base;
    entry.action = QStringLiteral("resign");
    entry.election = name;
    entry.target = leader.id();
    entry.fencingBefore = leader.fencingToken();
    QEventLoop loop;
    QObject::connect(&resign, &LeaderResignation::finished, &loop, [&] { loop.exit(0); });
    resign.start();
    if (resign.outcome() == LeaderResignation::Outcome::Pending)
        loop.exec();
    using Outcome = LeaderResignation::Outcome;
    if (resign.outcome() == Outcome::Failed) {
        audited(audit, entry, false, resign.errorString());
        return fail(resign.errorString());
    }
    if (resign.outcome() == Outcome::NoAnswer) {
        const QString why = QStringLiteral("resign of %1 in %2: no answer within %3 s (outcome unknown)").arg(leader.id(), name).arg(timeoutS);
        audited(audit, entry, false, why);
        return fail(why);
    }
    const bool handedOver = resign.outcome() == Outcome::HandedOver;
    const Conclave::LeaderInfo next = resign.handover().next;
    entry.fencingAfter = handedOver && next.isValid() ? next.fencingToken() : 0;
    audited(audit, entry, true, !handedOver ? QStringLiteral("key deleted; no new leader seen within %1 s").arg(timeoutS)
                                : next.isValid() ? QStringLiteral("%1 leads now").arg(next.id())
                                                 : QStringLiteral("no candidate left to lead"));
    std::printf("resigned %s from %s (fencing token %lld)", qPrintable(leader.id()), qPrintable(name),
                static_cast<long long>(leader.fencingToken()));
    if (handedOver)
        std::printf("; new leader: %s\n", next.isValid() ? qPrintable(next.id()) : "(none)");
    else
        std::printf("; no new leader seen within %d s\n", timeoutS);
    return 0;
}

int runTransfer(Conclave::ElectionDirectory &dir, const QString &name, const QString &candidateId, int timeoutS,
                AuditLog *audit, const AuditEntry &base)
{
    if (!dir.contains(name))
        return fail(QStringLiteral("no election \"%1\"%2").arg(name, dir.prefix().isEmpty() ? QString() : QStringLiteral(" under prefix \"%1\"").arg(dir.prefix())));
    const Conclave::LeaderInfo before = dir.leader(name);
    AuditEntry entry = base;
    entry.action = QStringLiteral("transfer");
    entry.election = name;
    entry.target = candidateId;
    entry.fencingBefore = before.fencingToken();
    QEventLoop loop;
    std::unique_ptr<Conclave::Operation> op(dir.transferLeadership(name, candidateId));
    QObject::connect(op.get(), &Conclave::Operation::finished, &loop, [&] { loop.exit(0); });
    QTimer::singleShot(timeoutS * 1000, &loop, [&] { loop.exit(3); });
    if (loop.exec() == 3) {
        const QString why = QStringLiteral("transfer of %1 to %2: no answer within %3 s (outcome unknown)").arg(name, candidateId).arg(timeoutS);
        audited(audit, entry, false, why);
        return fail(why);
    }
    if (op->error() != Conclave::Error::NoError) {
        audited(audit, entry, false, op->errorString());
        return fail(op->errorString());
    }
    const Conclave::LeaderInfo now = dir.leader(name);
    entry.fencingAfter = now.fencingToken();
    audited(audit, entry, true, QStringLiteral("%1 leads now").arg(now.id()));
    if (before.isValid() && before.fencingToken() == now.fencingToken())
        std::printf("%s already leads %s (fencing token %lld)\n", qPrintable(now.id()), qPrintable(name),
                    static_cast<long long>(now.fencingToken()));
    else
        std::printf("%s leads %s now (was %s; fencing token %lld)\n", qPrintable(now.id()), qPrintable(name),
                    before.isValid() ? qPrintable(before.id()) : "nobody", static_cast<long long>(now.fencingToken()));
    return 0;
}

int runScreenshot(MainWindow &window, const QString &file, double afterS, int timeoutS)
{
    QEventLoop loop;
    bool shot = false;
    auto shoot = [&] {
        if (std::exchange(shot, true))
            return;
        const bool complete = window.isDataComplete();
        if (!window.grab().save(file, "PNG"))
            loop.exit(fail(QStringLiteral("cannot write %1").arg(file)));
        else if (!complete)
            loop.exit(fail(QStringLiteral("wrote %1, but the data had not fully loaded within %2 s").arg(file).arg(timeoutS)));
        else
            loop.exit(0);
    };
    const int afterMs = qRound(afterS * 1000);
    QObject::connect(&window, &MainWindow::dataComplete, &loop, [&] {
        // Stay live a while: TTL bars, the status line and any handover repaint first.
        QTimer::singleShot(afterMs + 200, &loop, shoot);
    });
    QTimer::singleShot(timeoutS * 1000 + afterMs, &loop, shoot);
    if (window.isDataComplete())
        QTimer::singleShot(afterMs + 200, &loop, shoot);
    return loop.exec();
}

} // namespace Monitor::Cli
