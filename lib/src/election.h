#pragma once

// The key layout of etcd's election recipe, shared by Elector and ElectionObserver: every
// direct child of `<election>/` is a candidate, whatever its name, and the queue is ordered by
// create revision. Conclave names its keys `<election>/<lease id in lowercase hex>` as Go's
// recipe and etcdctl do (etcd3 for Node.js uses the lease id in decimal); keys deeper down
// (`<election>/<sub>/…`) belong to another election and are never counted.

#include "codec.h"

#include <QtCore/QString>

namespace Conclave::Election {

//! Why \a name cannot be used as an election name, or an empty string if it can.
QString nameProblem(const QString &name);
QByteArray prefix(const QString &name);
QByteArray candidateKey(const QString &name, qint64 leaseId);
//! Whether \a key is a candidate of the election with \a prefix: a direct child, any name.
bool isCandidateKey(const QByteArray &prefix, const QByteArray &key);
//! Whether a key's last segment \a name is \a lease's id, in lowercase hex (Go, etcdctl,
//! Conclave) or in decimal (etcd3 for Node.js): how elections are told from other keys.
bool isNamedAfterLease(const QByteArray &name, qint64 lease);
//! Whether \a name is non-empty lowercase hex, the form of a lease id in Go's and our keys.
bool isHexName(const QByteArray &name);
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
//! A leader's value says `"ready":false` while it leads but does not serve yet (absent: ready);
//! see Elector::setReadinessRequired().
inline constexpr char ReadyField[] = "ready";
//! A candidate's own words on its state; see Elector::setStatusText().
inline constexpr char StatusField[] = "status";

} // namespace Conclave::Election
