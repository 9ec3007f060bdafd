#include "adminactions.h"

#include "format.h"

#include <conclave/electiondirectory.h>
#include <conclave/operation.h>

#include <QtWidgets/QMessageBox>

namespace Monitor {

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
    m_awaitingHandover.clear();
    if (directory)
        connect(directory, &Conclave::ElectionDirectory::handoverRecorded, this, &AdminActions::onHandover);
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

void AdminActions::follow(Conclave::Operation *op, const QString &pending, std::function<void()> onSuccess)
{
    Q_EMIT feedback(pending, false);
    connect(op, &Conclave::Operation::finished, this, [this, op, onSuccess] {
        op->deleteLater();
        if (op->error() != Conclave::Error::NoError) {
            m_awaitingHandover.clear();
            Q_EMIT feedback(tr("Failed: %1").arg(op->errorString()), true);
            return;
        }
        onSuccess();
    });
}

void AdminActions::onHandover(const Conclave::Handover &h)
{
    if (h.election != m_awaitingHandover)
        return;
    m_awaitingHandover.clear();
    Q_EMIT feedback(h.next.isValid()
                            ? tr("%1 resigned from %2; %3 leads now (fencing token %4).")
                                      .arg(h.previous.id(), h.election, h.next.id()).arg(h.next.fencingToken())
                            : tr("%1 resigned from %2; no candidate is left to lead.").arg(h.previous.id(), h.election),
                    false);
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
    m_awaitingHandover = election;
    follow(m_directory->resignLeader(election), tr("Resigning %1 from %2…").arg(leader.id(), election), [this, leader, election] {
        if (m_awaitingHandover == election)
            Q_EMIT feedback(tr("%1's key was deleted; waiting for the next leader of %2…").arg(leader.id(), election), false);
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
    follow(m_directory->evict(candidate), tr("Evicting %1…").arg(candidate.id()), [this, candidate] {
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
    for (const QByteArray &key : keys) {
        const qsizetype slash = key.lastIndexOf('/');
        const QString election = QString::fromUtf8(key.left(qMax<qsizetype>(0, slash)));
        lines << (m_directory->contains(election) ? tr("%1 (election %2)").arg(QString::fromUtf8(key), election)
                                                  : QString::fromUtf8(key));
    }
    if (!confirm(tr("Revoke lease"),
                 tr("Revoke lease %1?\n\nThese %n key(s) are deleted with it:\n%2", nullptr, int(lines.size()))
                         .arg(leaseHex(lease), lines.join(QLatin1Char('\n')))))
        return;
    follow(m_directory->revokeLease(lease), tr("Revoking lease %1…").arg(leaseHex(lease)), [this, lease] {
        Q_EMIT feedback(tr("Lease %1 was revoked.").arg(leaseHex(lease)), false);
    });
}

} // namespace Monitor
