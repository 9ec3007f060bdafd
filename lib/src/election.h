#pragma once

// The key layout of etcd's election recipe, shared by Elector and ElectionObserver:
// candidate keys are `<election>/<lease id in lowercase hex>`, the queue is ordered by
// create revision, and only direct children of `<election>/` belong to the election.

#include "codec.h"

#include <QtCore/QString>

namespace Conclave::Election {

//! Why \a name cannot be used as an election name, or an empty string if it can.
QString nameProblem(const QString &name);
QByteArray prefix(const QString &name);
QByteArray candidateKey(const QString &name, qint64 leaseId);
//! Whether \a key is a candidate of the election with \a prefix (a direct child, hex suffix).
bool isCandidateKey(const QByteArray &prefix, const QByteArray &key);
//! The candidates among \a kvs, oldest first.
QList<KeyValue> candidates(const QByteArray &prefix, const QList<KeyValue> &kvs);
//! A range over the whole election prefix, oldest first.
RangeOptions queueRange(const QString &name);
//! The one key created last before \a createRevision (keys only): the candidate just ahead.
RangeOptions predecessorRange(const QString &name, qint64 createRevision);
//! The oldest key, with its value: the leader.
RangeOptions headRange(const QString &name);
//! The two oldest keys, with their values: the leader and the second in line.
RangeOptions headAndSecondRange(const QString &name);
//! A candidate value's mark that its Elector puts its key once it leads (see "Learning who leads"
//! in docs/election-protocol.md): followers behind it may wait for that put, not the delete.
inline constexpr char AnnounceField[] = "announce";
bool announcesLeadership(const QByteArray &value);
//! A Conclave candidate value's preference for leading (absent: 0); see Elector::setPriority().
inline constexpr char PriorityField[] = "priority";

} // namespace Conclave::Election
