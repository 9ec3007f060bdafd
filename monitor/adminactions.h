#pragma once

#include "auditlog.h"

#include <conclave/leaderinfo.h>

#include <QtCore/QObject>
#include <QtCore/QPointer>

#include <functional>

QT_BEGIN_NAMESPACE
class QWidget;
QT_END_NAMESPACE

namespace Conclave {
class ElectionDirectory;
struct Handover;
class Operation;
}

namespace Monitor {

class LeaderResignation;

/*!
 * The operator's actions, each confirmed first and guarded by the library: resign a leader,
 * make a candidate leader (a transfer, previewed), evict a candidate, revoke a lease (after
 * listing every key it holds). Progress and outcome come as feedback(); a resign is followed
 * until the next leader is seen. With an AuditLog, each confirmed action's outcome is appended
 * to it, failures included.
 */
class AdminActions : public QObject
{
    Q_OBJECT
public:
    using Confirmer = std::function<bool(const QString &title, const QString &text)>;

    //! Confirmation dialogs are children of \a window.
    explicit AdminActions(QWidget *window);
    void setDirectory(Conclave::ElectionDirectory *directory);
    //! Where outcomes are recorded, and the cluster they are recorded for.
    void setAuditLog(AuditLog *log, const QString &endpoints);
    //! Replaces the confirmation dialog (tests, scripted use); returns whether to proceed.
    void setConfirmer(Confirmer confirmer) { m_confirmer = std::move(confirmer); }

    void resignLeader(const QString &election);
    void makeLeader(const Conclave::LeaderInfo &candidate, const QString &election);
    //! What making \a candidate leader would do, in one sentence ("b-3 will lead; b-1 and b-2
    //! re-join at the back."), or why it cannot be done (then \a possible is false), by the
    //! library's rules (ElectionDirectory::transferProblem).
    QString transferPreview(const Conclave::LeaderInfo &candidate, const QString &election, bool *possible) const;
    void evict(const Conclave::LeaderInfo &candidate, const QString &election);
    void revokeLease(qint64 lease);

Q_SIGNALS:
    void feedback(const QString &text, bool error);

private:
    bool confirm(const QString &title, const QString &text);
    void follow(Conclave::Operation *op, const QString &pending, AuditEntry audit, std::function<void()> onSuccess);
    AuditEntry auditEntry(const QString &action, const QString &election, const QString &target) const;
    void record(AuditEntry entry, bool succeeded, const QString &message);
    void confirmRevoke(qint64 lease, const QByteArrayList &keys);
    void onResigned(const LeaderResignation &resign, AuditEntry audit);

    QWidget *const m_window;
    QPointer<Conclave::ElectionDirectory> m_directory;
    QPointer<AuditLog> m_audit;
    QString m_endpoints;
    Confirmer m_confirmer;
};

} // namespace Monitor
