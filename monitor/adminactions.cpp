#include "adminactions.h"

#include "format.h"
#include "leaderresignation.h"

#include <conclave/electiondirectory.h>
#include <conclave/operation.h>

#include <QtCore/QTimer>
#include <QtWidgets/QMessageBox>

namespace Monitor {

namespace {

// A resign is followed until the next leader is seen, at most this long from the confirmation.
constexpr std::chrono::seconds ResignFollowTime{10};

} // namespace

AdminActions::AdminActions(QWidget *window)
    : QObject(window)
    , m_window(window)
{
}

void AdminActions::setDirectory(Conclave::ElectionDirectory *directory)
{
    if (m_directory)
        m_directory->disconnect(this);
    m_directory = directory;
}

bool AdminActions::confirm(const QString &title, const QString &text)
{
    if (m_confirmer)
        return m_confirmer(title, text);
    QMessageBox box(QMessageBox::Warning, title, text, QMessageBox::Yes | QMessageBox::Cancel, m_window);
    box.setObjectName(QStringLiteral("confirmation"));
    box.setDefaultButton(QMessageBox::Cancel);
    return box.exec() == QMessageBox::Yes;
}

void AdminActions::setAuditLog(AuditLog *log, const QString &endpoints)
{
    m_audit = log;
    m_endpoints = endpoints;
}

AuditEntry AdminActions::auditEntry(const QString &action, const QString &election, const QString &target) const
{
    AuditEntry e;
    e.endpoints = m_endpoints;
    e.action = action;
    e.election = election;
    e.target = target;
    if (m_directory && !election.isEmpty())
        e.fencingBefore = m_directory->leader(election).fencingToken();
    return e;
}

void AdminActions::record(AuditEntry entry, bool succeeded, const QString &message)
{
    if (!m_audit)
        return;
    entry.at = QDateTime::currentDateTimeUtc();
    entry.succeeded = succeeded;
    entry.message = message;
    if (entry.fencingAfter == 0 && succeeded && m_directory && !entry.election.isEmpty())
        entry.fencingAfter = m_directory->leader(entry.election).fencingToken();
    if (!m_audit->append(entry))
        Q_EMIT feedback(tr("The action's outcome could not be written to the audit log: %1").arg(m_audit->lastError()), true);
}

void AdminActions::follow(Conclave::Operation *op, const QString &pending, AuditEntry audit, std::function<void()> onSuccess)
{
    Q_EMIT feedback(pending, false);
    connect(op, &Conclave::Operation::finished, this, [this, op, onSuccess, audit] {
        op->deleteLater();
        if (op->error() != Conclave::Error::NoError) {
            record(audit, false, op->errorString());
            Q_EMIT feedback(tr("Failed: %1").arg(op->errorString()), true);
            return;
        }
        onSuccess();
    });
}

void AdminActions::resignLeader(const QString &election)
{
    const Conclave::LeaderInfo leader = m_directory ? m_directory->leader(election) : Conclave::LeaderInfo();
    if (!leader.isValid())
        return;
    const QList<Conclave::LeaderInfo> queue = m_directory->candidates(election);
    const QString next = queue.size() > 1 ? queue.at(1).id() : tr("nobody (no other candidate)");
    if (!confirm(tr("Resign leader"),
                 tr("Resign %1 as leader of %2?\n\nIts key %3 (fencing token %4) is deleted only if it is still "
                    "that incarnation. Next in line: %5.")
                         .arg(leader.id(), election, QString::fromUtf8(leader.key())).arg(leader.fencingToken()).arg(next)))
        return;
    auto *resign = new LeaderResignation(m_directory, election, ResignFollowTime, this);
    const AuditEntry audit = auditEntry(QStringLiteral("resign"), election, leader.id());
    Q_EMIT feedback(tr("Resigning %1 from %2…").arg(leader.id(), election), false);
    connect(resign, &LeaderResignation::keyDeleted, this, [this, leader, election] {
        Q_EMIT feedback(tr("%1's key was deleted; waiting for the next leader of %2…").arg(leader.id(), election), false);
    });
    connect(resign, &LeaderResignation::finished, this, [this, resign, audit] {
        resign->deleteLater();
        onResigned(*resign, audit);
    });
    resign->start();
}

void AdminActions::onResigned(const LeaderResignation &resign, AuditEntry audit)
{
    using Outcome = LeaderResignation::Outcome;
    const Conclave::Handover h = resign.handover();
    switch (resign.outcome()) {
    case Outcome::Pending:
        return;
    case Outcome::Failed:
    case Outcome::NoAnswer: {
        const QString why = resign.outcome() == Outcome::Failed
                ? resign.errorString()
                : tr("no answer within %1 s (outcome unknown)").arg(ResignFollowTime.count());
        record(audit, false, why);
        Q_EMIT feedback(tr("Failed: %1").arg(why), true);
        return;
    }
    case Outcome::NoNextLeader:
        record(audit, true, tr("key deleted; the next leader was not seen within %1 s").arg(ResignFollowTime.count()));
        return;
    case Outcome::HandedOver:
        break;
    }
    audit.fencingAfter = h.next.isValid() ? h.next.fencingToken() : 0;
    record(audit, true, h.next.isValid() ? tr("%1 leads now").arg(h.next.id()) : tr("no candidate left to lead"));
    Q_EMIT feedback(h.next.isValid()
                            ? tr("%1 resigned from %2; %3 leads now (fencing token %4).")
                                      .arg(h.previous.id(), h.election, h.next.id()).arg(h.next.fencingToken())
                            : tr("%1 resigned from %2; no candidate is left to lead.").arg(h.previous.id(), h.election),
                    false);
}

// The rules are the library's (ElectionDirectory::transferProblem, the same checks
// transferLeadership makes); this only words the outcome.
QString AdminActions::transferPreview(const Conclave::LeaderInfo &candidate, const QString &election, bool *possible) const
{
    *possible = false;
    const QList<Conclave::LeaderInfo> queue = m_directory ? m_directory->candidates(election) : QList<Conclave::LeaderInfo>();
    // transferLeadership goes by id: the first candidate with it is the one that would lead.
    qsizetype at = -1;
    for (qsizetype i = 0; i < queue.size() && at < 0; ++i)
        if (queue.at(i).id() == candidate.id())
            at = i;
    if (at < 0)
        return tr("%1 is no longer a candidate of %2.").arg(candidate.id(), election);
    if (at == 0)
        return tr("%1 leads %2 already.").arg(candidate.id(), election);
    const QString problem = m_directory->transferProblem(election, candidate.id());
    if (!problem.isEmpty())
        return problem;
    *possible = true;
    QStringList moved;
    for (qsizetype i = 0; i < at; ++i)
        moved << queue.at(i).id();
    if (moved.size() == 1)
        return tr("%1 will lead; %2 re-joins at the back.").arg(candidate.id(), moved.first());
    const QString who = tr("%1 and %2").arg(QStringList(moved.mid(0, moved.size() - 1)).join(QStringLiteral(", ")), moved.last());
    return tr("%1 will lead; %2 re-join at the back.").arg(candidate.id(), who);
}

void AdminActions::makeLeader(const Conclave::LeaderInfo &candidate, const QString &election)
{
    if (!m_directory || !candidate.isValid())
        return;
    bool possible = false;
    const QString preview = transferPreview(candidate, election, &possible);
    if (!possible) {
        Q_EMIT feedback(tr("Cannot make %1 leader: %2").arg(candidate.id(), preview), true);
        return;
    }
    const Conclave::LeaderInfo leader = m_directory->leader(election);
    if (!confirm(tr("Make leader"),
                 tr("Make %1 the leader of %2?\n\n%3\n\nThe leader %4 (fencing token %5) stops first and hands over in one "
                    "guarded transaction: there is never a second leader.")
                         .arg(candidate.id(), election, preview, leader.id())
                         .arg(leader.fencingToken())))
        return;
    const AuditEntry audit = auditEntry(QStringLiteral("transfer"), election, candidate.id());
    follow(m_directory->transferLeadership(election, candidate.id()),
           tr("Asking %1 to hand %2 to %3…").arg(leader.id(), election, candidate.id()), audit,
           [this, candidate, election, audit] {
        const Conclave::LeaderInfo now = m_directory ? m_directory->leader(election) : Conclave::LeaderInfo();
        record(audit, true, tr("%1 leads now").arg(candidate.id()));
        Q_EMIT feedback(tr("%1 leads %2 now (fencing token %3).").arg(candidate.id(), election).arg(now.fencingToken()), false);
    });
}

void AdminActions::evict(const Conclave::LeaderInfo &candidate, const QString &election)
{
    if (!m_directory || !candidate.isValid())
        return;
    if (!confirm(tr("Evict candidate"),
                 tr("Evict %1 from %2?\n\nIts key %3 is deleted (guarded by fencing token %4); a Conclave "
                    "Elector re-joins at the back of the queue.")
                         .arg(candidate.id(), election, QString::fromUtf8(candidate.key()))
                         .arg(candidate.fencingToken())))
        return;
    const AuditEntry audit = auditEntry(QStringLiteral("evict"), election, candidate.id());
    follow(m_directory->evict(candidate), tr("Evicting %1…").arg(candidate.id()), audit, [this, candidate, audit] {
        record(audit, true, tr("key %1 deleted").arg(QString::fromUtf8(candidate.key())));
        Q_EMIT feedback(tr("%1 was evicted.").arg(candidate.id()), false);
    });
}

// Everything the lease holds is listed first: revoking it deletes every key on it.
void AdminActions::revokeLease(qint64 lease)
{
    if (!m_directory || lease == 0)
        return;
    Conclave::Operation *lookup = m_directory->leaseKeys(lease);
    Q_EMIT feedback(tr("Reading the keys of lease %1…").arg(leaseHex(lease)), false);
    connect(lookup, &Conclave::Operation::finished, this, [this, lookup, lease] {
        lookup->deleteLater();
        if (lookup->error() != Conclave::Error::NoError)
            Q_EMIT feedback(tr("Failed: %1").arg(lookup->errorString()), true);
        else
            confirmRevoke(lease, lookup->keys());
    });
}

void AdminActions::confirmRevoke(qint64 lease, const QByteArrayList &keys)
{
    if (!m_directory)
        return;
    QStringList lines;
    QString firstElection; // the audit line names the (first) election the lease campaigns in
    for (const QByteArray &key : keys) {
        const qsizetype slash = key.lastIndexOf('/');
        const QString election = QString::fromUtf8(key.left(qMax<qsizetype>(0, slash)));
        const bool known = m_directory->contains(election);
        if (known && firstElection.isEmpty())
            firstElection = election;
        lines << (known ? tr("%1 (election %2)").arg(QString::fromUtf8(key), election) : QString::fromUtf8(key));
    }
    const QString listed = lines.join(QLatin1Char('\n'));
    const QString question = lines.size() == 1
            ? tr("Revoke lease %1?\n\nThis key is deleted with it:\n%2").arg(leaseHex(lease), listed)
            : tr("Revoke lease %1?\n\nThese %2 keys are deleted with it:\n%3").arg(leaseHex(lease), QString::number(lines.size()), listed);
    if (!confirm(tr("Revoke lease"), question))
        return;
    const AuditEntry audit = auditEntry(QStringLiteral("revoke"), firstElection, leaseHex(lease));
    follow(m_directory->revokeLease(lease), tr("Revoking lease %1…").arg(leaseHex(lease)), audit, [this, lease, audit, keys] {
        record(audit, true, keys.size() == 1 ? tr("1 key deleted with it") : tr("%1 keys deleted with it").arg(keys.size()));
        Q_EMIT feedback(tr("Lease %1 was revoked.").arg(leaseHex(lease)), false);
    });
}

} // namespace Monitor
