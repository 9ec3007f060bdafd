// Many txns of one Client sent as one etcd txn (see txnbatch.h): the pure half, then the
// Client's — when a batch forms and what each of its callers gets back.
#include "txnbatch.h"

#include "client_p.h"
#include "gatewayreply.h"
#include "logging.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QSet>

#include <algorithm>

namespace Conclave {

namespace TxnBatch {

namespace {

// etcd's key range: no range_end is the key alone; "\0" is every key from the key on.
KeyRange rangeOf(const QJsonObject &object, bool *ok)
{
    bool keyOk = true, endOk = true;
    KeyRange r;
    r.from = Codec::decodeBytes(object.value(QLatin1String("key")), &keyOk);
    const QByteArray end = Codec::decodeBytes(object.value(QLatin1String("range_end")), &endOk);
    if (end.isEmpty())
        r.to = r.from + '\0';
    else if (end != QByteArray(1, '\0'))
        r.to = end;
    *ok = *ok && keyOk && endOk;
    return r;
}

int addOps(const QJsonArray &ops, Shape *shape);

// A txn that compares a key, reads it when the compare fails and writes it when it holds needs
// each check once: every check costs an op of the batch's budget.
void addCheck(const QJsonObject &check, Shape *shape)
{
    if (!shape->checks.contains(check))
        shape->checks.append(check);
}

// A check of read permission on the range \a object names (key, range_end).
QJsonObject readCheck(const QJsonObject &object)
{
    QJsonObject range{{QStringLiteral("key"), object.value(QLatin1String("key"))},
                      {QStringLiteral("keys_only"), true},
                      {QStringLiteral("limit"), QStringLiteral("1")}};
    if (object.contains(QLatin1String("range_end")))
        range.insert(QStringLiteral("range_end"), object.value(QLatin1String("range_end")));
    return {{QStringLiteral("request_range"), range}};
}

// A check of write permission (and of read permission with prev_kv), as etcd makes for a put
// of the key or a delete of the range \a object names. Deletes may overlap in one branch where
// puts may not ("duplicate key given in txn request").
QJsonObject writeCheck(const QJsonObject &object)
{
    QJsonObject del{{QStringLiteral("key"), object.value(QLatin1String("key"))}};
    for (const char *field : {"range_end", "prev_kv"})
        if (object.contains(QLatin1String(field)))
            del.insert(QLatin1String(field), object.value(QLatin1String(field)));
    return {{QStringLiteral("request_delete_range"), del}};
}

// Returns what etcd counts for the txn against --max-txn-ops.
int addTxn(const QJsonObject &txn, Shape *shape)
{
    const QJsonArray compare = txn.value(QLatin1String("compare")).toArray();
    const QJsonArray success = txn.value(QLatin1String("success")).toArray();
    const QJsonArray failure = txn.value(QLatin1String("failure")).toArray();
    for (const QJsonValue &c : compare) {
        shape->ranges.append(rangeOf(c.toObject(), &shape->valid));
        addCheck(readCheck(c.toObject()), shape);
    }
    const int inSuccess = addOps(success, shape); // in order: the checks follow the txn
    const int inFailure = addOps(failure, shape);
    const int nested = std::max(inSuccess, inFailure);
    return int(std::max({compare.size(), success.size(), failure.size()})) + nested;
}

// Returns the most a nested txn among \a ops needs.
int addOps(const QJsonArray &ops, Shape *shape)
{
    int nested = 0;
    for (const QJsonValue &value : ops) {
        const QJsonObject op = value.toObject();
        if (op.contains(QLatin1String("request_range"))) {
            const QJsonObject range = op.value(QLatin1String("request_range")).toObject();
            shape->ranges.append(rangeOf(range, &shape->valid));
            addCheck(readCheck(range), shape);
        } else if (op.contains(QLatin1String("request_put"))) {
            const QJsonObject put = op.value(QLatin1String("request_put")).toObject();
            shape->writes = true;
            shape->ranges.append(rangeOf(put, &shape->valid));
            addCheck(writeCheck(put), shape);
        } else if (op.contains(QLatin1String("request_delete_range"))) {
            const QJsonObject del = op.value(QLatin1String("request_delete_range")).toObject();
            shape->writes = true;
            shape->ranges.append(rangeOf(del, &shape->valid));
            addCheck(writeCheck(del), shape);
        } else if (op.contains(QLatin1String("request_txn"))) {
            nested = std::max(nested, addTxn(op.value(QLatin1String("request_txn")).toObject(), shape));
        } else {
            shape->valid = false;
        }
    }
    return nested;
}

bool overlap(const KeyRange &a, const KeyRange &b)
{
    return (b.to.isEmpty() || a.from < b.to) && (a.to.isEmpty() || b.from < a.to);
}

} // namespace

Shape shapeOf(const QJsonObject &txnRequest)
{
    Shape shape;
    shape.ops = addTxn(txnRequest, &shape);
    return shape;
}

bool overlaps(const Shape &a, const Shape &b)
{
    for (const KeyRange &x : a.ranges)
        for (const KeyRange &y : b.ranges)
            if (overlap(x, y))
                return true;
    return false;
}

QJsonObject request(const QList<QJsonObject> &txns, const QList<Shape> &shapes, Checks which)
{
    Q_ASSERT(txns.size() == shapes.size());
    QJsonArray success;
    QJsonArray checks; // the failure branch: never run, always checked (txnbatch.h)
    for (qsizetype i = 0; i < txns.size(); ++i) {
        success.append(QJsonObject{{QStringLiteral("request_txn"), txns.at(i)}});
        for (const QJsonValue &check : shapes.at(i).checks) {
            if (which == Checks::One && !checks.isEmpty())
                break;
            checks.append(check);
        }
    }
    return {{QStringLiteral("success"), success}, {QStringLiteral("failure"), checks}};
}

int batchOps(qsizetype count, qsizetype checks, int mostOps)
{
    return int(std::max(count, checks)) + mostOps;
}

bool split(const QJsonObject &answer, qsizetype count, QList<QJsonObject> *parts, QString *why)
{
    const QJsonValue header = answer.value(QLatin1String("header"));
    const QJsonArray responses = answer.value(QLatin1String("responses")).toArray();
    if (!answer.value(QLatin1String("succeeded")).toBool() || responses.size() != count) {
        *why = QStringLiteral("a batch of %1 txns answered with %2 responses").arg(count).arg(responses.size());
        return false;
    }
    parts->clear();
    for (const QJsonValue &response : responses) {
        const QJsonValue txn = response.toObject().value(QLatin1String("response_txn"));
        if (!txn.isObject()) {
            *why = QStringLiteral("a batch's response is not a txn's: ")
                    + QString::fromUtf8(QJsonDocument(response.toObject()).toJson(QJsonDocument::Compact).left(80));
            return false;
        }
        QJsonObject part = txn.toObject();
        part.insert(QStringLiteral("header"), header);
        parts->append(part);
    }
    return true;
}

QList<qint64> leasesOf(const QJsonObject &txn)
{
    QList<qint64> leases;
    for (const QLatin1String branch : {QLatin1String("success"), QLatin1String("failure")}) {
        for (const QJsonValue &op : txn.value(branch).toArray()) {
            const QJsonValue value = op.toObject().value(QLatin1String("request_put")).toObject().value(QLatin1String("lease"));
            const qint64 lease = value.isUndefined() ? 0 : Codec::decodeInt(value);
            if (lease && !leases.contains(lease))
                leases.append(lease);
        }
    }
    return leases;
}

} // namespace TxnBatch

// A txn that gets a place on the wire takes with it the txns waiting behind it that may share
// its batch: under load, one request carries up to 128 Electors' txns instead of one, which
// is what keeps the cost per election flat (every answer costs Qt's HTTP parser a system call
// per byte of its headers). Alone on the wire, a txn goes as it is.
void ClientPrivate::dispatch(GatewayReply *first)
{
    ++onWire;
    const TxnBatch::Shape firstShape = first->isBatchable() ? TxnBatch::shapeOf(first->request()) : TxnBatch::Shape();
    if (!first->isBatchable() || !firstShape.valid) {
        first->transmit();
        return;
    }
    struct Member
    {
        QPointer<GatewayReply> reply;
        TxnBatch::Shape shape;
    };
    QList<Member> members{{first, firstShape}};
    // Without a user, one check refuses the batch when auth is on (txnbatch.h), and the batch
    // holds twice as many joins (a join needs 2 checks, a queue read 3).
    const TxnBatch::Checks which = authenticator.hasCredentials() ? TxnBatch::Checks::Every : TxnBatch::Checks::One;
    const auto checksOf = [which](const TxnBatch::Shape &shape) {
        return which == TxnBatch::Checks::Every ? shape.checks.size() : 0;
    };
    // Checks travel too (txnbatch.h): a batch's body is up to twice its members'.
    qsizetype bytes = 2 * first->requestSize();
    int mostOps = firstShape.ops;
    qsizetype checks = which == TxnBatch::Checks::Every ? firstShape.checks.size() : 1;
    for (qsizetype i = 0; i < waiting.size() && TxnBatch::batchOps(members.size() + 1, checks + 1, mostOps) <= TxnBatch::MaxOps;) {
        GatewayReply *next = waiting.at(i);
        if (!next || next->isFinished() || !next->isBatchable() || bytes + 2 * next->requestSize() > TxnBatch::MaxBytes) {
            ++i;
            continue;
        }
        const TxnBatch::Shape shape = TxnBatch::shapeOf(next->request());
        if (shape.valid
            && TxnBatch::batchOps(members.size() + 1, checks + checksOf(shape), std::max(mostOps, shape.ops))
                    > TxnBatch::MaxOps)
            break; // the batch is full (scanning on would cost a walk of every txn waiting)
        // Readers go last, so only a member that writes can clash with what comes after it.
        const bool clash = !shape.valid || std::any_of(members.cbegin(), members.cend(), [&shape](const Member &m) {
            return m.shape.writes && TxnBatch::overlaps(m.shape, shape);
        });
        if (clash) { // it waits for the next batch
            ++i;
            continue;
        }
        mostOps = std::max(mostOps, shape.ops);
        checks += checksOf(shape);
        waiting.removeAt(i);
        members.append({next, shape});
        bytes += 2 * next->requestSize();
    }
    if (members.size() == 1) {
        first->transmit();
        return;
    }
    // Writers first, in the order they were made; readers last (txnbatch.h says why).
    std::stable_partition(members.begin(), members.end(), [](const Member &m) { return m.shape.writes; });
    QList<QPointer<GatewayReply>> ordered;
    QList<QJsonObject> requests;
    QList<TxnBatch::Shape> orderedShapes;
    for (const Member &m : std::as_const(members)) {
        m.reply->setCarried(true);
        ordered.append(m.reply);
        requests.append(m.reply->request());
        orderedShapes.append(m.shape);
    }
    auto *batch = new GatewayReply(this, QStringLiteral("txn batch"), "/v3/kv/txn",
                                   TxnBatch::request(requests, orderedShapes, which), Retry::Always);
    batch->reserveSlot(); // the place this dispatch took
    qCDebug(lcGateway) << "sending" << ordered.size() << "txns as one";
    QObject::connect(batch, &GatewayReply::finished, q_ptr, [this, batch, ordered] {
        batch->deleteLater();
        batchFinished(batch, ordered);
    });
}

void ClientPrivate::batchFinished(GatewayReply *batch, const QList<QPointer<GatewayReply>> &members)
{
    if (batch->error() == Error::NoError) {
        QList<QJsonObject> parts;
        QString why;
        if (TxnBatch::split(batch->json(), members.size(), &parts, &why)) {
            for (qsizetype i = 0; i < members.size(); ++i)
                if (members.at(i))
                    members.at(i)->finishCarried(batch, parts.at(i));
            return;
        }
        for (const QPointer<GatewayReply> &m : members)
            if (m)
                m->failCarried(batch, Error::ProtocolError, why);
        return;
    }
    // etcd refused the batch as a whole (one txn lacks permission, a limit, a key given
    // twice): nothing of it was applied, and each txn is sent again on its own for its own
    // answer. A batch that failed on the way (its outcome unknown) fails each txn the same way,
    // as it would have failed on its own.
    const bool refused = batch->httpStatus() >= 400 && batch->error() != Error::Unavailable
            && batch->error() != Error::TimeoutError && batch->error() != Error::Cancelled;
    if (refused && batch->error() == Error::LeaseLost && failUnknownLease(batch, members))
        return;
    if (refused)
        qCInfo(lcGateway) << "a batch of" << members.size() << "txns was refused (" << batch->errorString()
                          << "): sending them one by one";
    for (const QPointer<GatewayReply> &m : members) {
        if (!m)
            continue;
        if (refused)
            m->sendAlone();
        else
            m->failCarried(batch, batch->error(), QStringLiteral("%1 (in a batch of %2 txns)")
                                                          .arg(batch->errorDetail()).arg(members.size()));
    }
}

// etcd refused the batch for a lease it does not know (revoked, expired). A Client holds one
// lease at a time: when every member that puts with a lease names the same one, each of those
// would be refused on its own just the same, so they fail at once, as each would have; the
// others are sent again alone. Sent one by one, 1,000 doomed creates after a lease loss stood
// between etcd and the new lease's grant (chaos --shards 1000, seed 2810: the grant answered in
// 0.7 s of a 2 s TTL, and the process missed its 6 s to rejoin). With two leases named (one
// lease given up for the next while the batch was out) which was refused is not known: each
// member finds out alone.
bool ClientPrivate::failUnknownLease(GatewayReply *batch, const QList<QPointer<GatewayReply>> &members)
{
    QList<qint64> named;
    QList<bool> puts; // per member: it puts with a lease
    for (const QPointer<GatewayReply> &m : members) {
        const QList<qint64> leases = m ? TxnBatch::leasesOf(m->request()) : QList<qint64>();
        puts.append(!leases.isEmpty());
        named += leases;
    }
    if (QSet<qint64>(named.cbegin(), named.cend()).size() != 1)
        return false;
    qCInfo(lcGateway) << "a batch of" << members.size() << "txns was refused (" << batch->errorString()
                      << "): its txns that put with lease" << QByteArray::number(named.first(), 16)
                      << "fail, the others are sent again alone";
    for (qsizetype i = 0; i < members.size(); ++i) {
        const QPointer<GatewayReply> &m = members.at(i);
        if (!m)
            continue;
        if (puts.at(i))
            m->failCarried(batch, Error::LeaseLost, QStringLiteral("%1 (in a batch of %2 txns)")
                                                            .arg(batch->errorDetail()).arg(members.size()));
        else
            m->sendAlone();
    }
    return true;
}

} // namespace Conclave
