#pragma once

// Many txns of one Client sent as one etcd txn, each a nested request_txn: the pure half
// (which txns may share a batch, the request, the answer cut into each one's part). The Client's
// half (when a batch forms, what each caller gets when it fails) is in txnbatch.cpp too.

#include <QtCore/QByteArray>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QString>

namespace Conclave::TxnBatch {

//! etcd's default --max-txn-ops. It bounds a txn's ops level by level: the most ops of any
//! list of a level (compare, success, failure) plus the most a nested txn of that level needs
//! (etcd's checkTxnReq hands a nested txn only what its parent left). A batch of k txns needs
//! k + the most any of them needs.
inline constexpr int MaxOps = 128;
//! At most this many bytes of request body per batch (etcd's default --max-request-bytes is
//! 1.5 MiB; a batch that is refused for its size is sent again txn by txn anyway).
inline constexpr int MaxBytes = 512 * 1024;

//! A byte range of keys [from, to); to empty: to the end of the keyspace.
struct KeyRange
{
    QByteArray from;
    QByteArray to;
};

/*!
 * What one txn touches: every key range it compares, reads or writes (nested txns
 * included), and whether it may write at all.
 */
struct Shape
{
    QList<KeyRange> ranges;
    bool writes = false;
    int ops = 0; //!< what etcd's --max-txn-ops counts for this txn (see MaxOps)
    bool valid = true; //!< false: a request we do not understand (never batched)
    /*!
     * The permission checks this txn needs, as ops at the batch's top level (see request()):
     * a keys-only read of each compared or read range, a delete of each written key or range.
     */
    QJsonArray checks;
};

Shape shapeOf(const QJsonObject &txnRequest);

//! Whether two txns touch a common key (ranges overlap).
bool overlaps(const Shape &a, const Shape &b);

/*!
 * One txn whose success branch holds \a txns as nested txns, in that order. etcd applies them
 * in order at one revision R, and each sees the writes of those before it. So a batch holds
 * txns that write only where no other txn of it reads or writes (different elections), and
 * read-only txns go last, where they see the whole batch: each answer is then the state at
 * R, as the header says.
 *
 * etcd 3.4.23 and 3.5.16 check no permission inside a nested txn (not even that there is a
 * user: a request without a token may write anywhere); 3.5.30 does. So the batch's failure
 * branch, which never runs (the batch has no compare), holds every member's checks: etcd
 * checks both branches of a txn before it runs either, and refuses the whole batch if one
 * member lacks a permission, as it would have refused that member alone.
 */
//! Which permission checks a batch carries (see request()).
enum class Checks {
    Every, //!< every member's: the request carries a user's token
    One, //!< the first member's first: the request carries no token. With auth enabled etcd
         //!< refuses any check without a user (ErrUserEmpty) whatever its key, so one check
         //!< refuses the batch as every member alone would have been refused.
};

//! \a shapes: each txn's shapeOf() (the caller has them already).
QJsonObject request(const QList<QJsonObject> &txns, const QList<Shape> &shapes, Checks checks = Checks::Every);

//! What etcd's --max-txn-ops counts for a batch of \a count txns with \a checks permission
//! checks among them, the largest of which counts \a mostOps.
int batchOps(qsizetype count, qsizetype checks, int mostOps);

/*!
 * Cuts a batch's answer into the answers of its \a count txns: each its nested response with
 * the batch's header (etcd leaves the nested headers empty). False, with \a why, for an answer
 * that is not one.
 */
bool split(const QJsonObject &answer, qsizetype count, QList<QJsonObject> *parts, QString *why);

//! The leases that \a txn's puts name, in either branch (empty: it puts with none).
QList<qint64> leasesOf(const QJsonObject &txn);

} // namespace Conclave::TxnBatch
