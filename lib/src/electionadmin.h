#pragma once

// ElectionAdmin: the operator's actions on elections, each guarded so that a stale view
// changes nothing (a delete names the incarnation it means by its create revision).

#include <conclave/leaderinfo.h>

#include "transfer.h"

#include <QtCore/QList>
#include <QtCore/QString>

QT_BEGIN_NAMESPACE
class QObject;
QT_END_NAMESPACE

namespace Conclave {

class ClientPrivate;
class ElectionDirectory;
class HandoverTracker;
class Operation;

class ElectionAdmin
{
public:
    //! Operations are children of \a owner; \a tracker learns of the deletions made.
    ElectionAdmin(ClientPrivate *client, HandoverTracker *tracker, QObject *owner);

    //! Deletes \a candidate's key if it is still that incarnation (else Conflict).
    Operation *guardedDelete(const LeaderInfo &candidate, const QString &what);
    /*!
     * Asks \a election's Conclave leader to hand over to \a candidateId (docs/election-protocol.md,
     * "Handing over to a chosen candidate"); \a queue is the election oldest first, \a view
     * is the directory whose electionChanged()/leader() tell when it happened.
     */
    Operation *transfer(const QString &election, const QList<LeaderInfo> &queue,
                        const QString &candidateId, ElectionDirectory *view);
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
};

} // namespace Conclave
