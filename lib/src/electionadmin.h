#pragma once

// ElectionAdmin: the operator's actions on elections, each guarded so that a stale view
// changes nothing (a delete names the incarnation it means by its create revision).

#include <conclave/leaderinfo.h>

#include "transfer.h"

#include <QtCore/QList>
#include <QtCore/QPointer>
#include <QtCore/QString>

#include <functional>

QT_BEGIN_NAMESPACE
class QObject;
QT_END_NAMESPACE

namespace Conclave {

class ClientPrivate;
class HandoverTracker;
class Operation;
class TransferFollow;

class ElectionAdmin
{
public:
    //! Who leads an election now, as its owner's view last read it, and at which revision.
    struct LeaderSeen
    {
        LeaderInfo leader;
        qint64 revision = 0;
    };
    using LeaderNow = std::function<LeaderSeen(const QString &election)>;

    //! Operations are children of \a owner; \a tracker learns of the deletions made; a
    //! transfer asks \a leaderNow who leads (at the start, and on electionChanged()).
    ElectionAdmin(ClientPrivate *client, HandoverTracker *tracker, QObject *owner, LeaderNow leaderNow);
    ~ElectionAdmin();

    //! Deletes \a candidate's key if it is still that incarnation (else Conflict).
    Operation *guardedDelete(const LeaderInfo &candidate, const QString &what);
    /*!
     * Asks \a election's Conclave leader to hand over to \a candidateId (docs/election-protocol.md,
     * "Handing over to a chosen candidate"); \a queue is the election oldest first. It ends
     * when the target leads (done), the leader refuses, someone else leads, or in 5 s.
     */
    Operation *transfer(const QString &election, const QList<LeaderInfo> &queue, const QString &candidateId);
    //! \a election changed in the owner's view: the transfers in flight there look who leads.
    void electionChanged(const QString &election);
    /*!
     * transfer()'s checks, writing nothing: why \a candidateId cannot be made leader of \a queue
     * (empty: it can, or leads already). \a target gets its position (-1: none), \a plan the plan.
     */
    static QString transferProblem(const QList<LeaderInfo> &queue, const QString &candidateId,
                                   qsizetype *target = nullptr, Transfer::Plan *plan = nullptr);
    Operation *revokeLease(qint64 leaseId);
    Operation *leaseKeys(qint64 leaseId);
    Operation *checkWriteAccess(const QString &prefix);
    //! An operation that has already failed with \a error.
    Operation *failed(Error error, const QString &message);

private:
    ClientPrivate *const m_client;
    HandoverTracker *const m_tracker;
    QObject *const m_owner;
    const LeaderNow m_leaderNow;
    QList<QPointer<TransferFollow>> m_transfers;
};

} // namespace Conclave
