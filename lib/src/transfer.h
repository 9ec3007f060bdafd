#pragma once

// Handing leadership to a chosen candidate (docs/election-protocol.md, "Handing over to a
// chosen candidate"): the request an operator or a candidate of higher priority writes, what
// a Conclave leader may do about it, and the one txn that does it. Shared by the Elector (the
// leader acts, a candidate of higher priority asks) and ElectionAdmin (an operator asks).

#include "codec.h"

#include <QtCore/QList>
#include <QtCore/QString>

#include <optional>

namespace Conclave::Transfer {

//! Where requests to \a election's leader are written: `<election>.conclave-transfer`, outside
//! the election's prefix (etcdctl and Go count every key under `<election>/` as a candidate).
QByteArray requestKey(const QString &election);
inline constexpr char RequestSuffix[] = ".conclave-transfer";

//! A candidate value's mark that its Elector acts on transfer requests while it leads.
inline constexpr char TakesTransfersField[] = "transfers";

struct Request
{
    enum class Reason { Operator, Priority };
    QByteArray leaderKey;       // the leader it is addressed to: key and create revision
    qint64 leaderRevision = 0;
    QByteArray targetKey;       // who should lead (Priority: whoever asked; the leader picks the best)
    qint64 targetRevision = 0;
    Reason reason = Reason::Operator;
    QString by;                 // who asked: "user@host" or a candidate id
    QString refused;            // the leader's answer when it will not (empty: not answered)
};
QByteArray encode(const Request &request);
std::optional<Request> decode(const QByteArray &value);

//! What a candidate's value says about it (Conclave's JSON; anything else is foreign).
bool isConclave(const QByteArray &value);
bool takesTransfers(const QByteArray &value);
int priorityOf(const QByteArray &value); //!< 0 for foreign candidates

//! The keys to delete so that \a target leads: the leader and everyone between (all Conclave).
struct Plan
{
    KeyValue leader;
    QList<KeyValue> movedBack; // between the leader and the target, re-join at the back
    KeyValue target;
    QString problem;           // why it cannot be done (empty: it can)
    bool ok() const { return problem.isEmpty(); }
};
//! To the named incarnation \a targetKey@\a targetRevision; \a queue is the election oldest first.
Plan toTarget(const QList<KeyValue> &queue, const QByteArray &targetKey, qint64 targetRevision);
/*!
 * To the best candidate by priority: the highest priority above the leader's own among the
 * Conclave candidates ahead of the first foreign one (foreign candidates are never jumped
 * over), the oldest among equals. A problem when nobody qualifies.
 */
Plan toHighestPriority(const QList<KeyValue> &queue);
//! The guarded txn's compares and deletes: every key in the plan still that incarnation.
QList<Compare> compares(const Plan &plan);
QJsonArray deletes(const Plan &plan);

} // namespace Conclave::Transfer
