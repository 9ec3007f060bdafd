#include "transfer.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

namespace Conclave::Transfer {

namespace {

QJsonObject conclaveObject(const QByteArray &value)
{
    const QJsonObject o = QJsonDocument::fromJson(value).object();
    return o.contains(QLatin1String("conclave")) && o.value(QLatin1String("id")).isString() ? o : QJsonObject();
}

QString describe(const KeyValue &kv)
{
    const QJsonObject o = conclaveObject(kv.value);
    const QString id = o.isEmpty() ? QString::fromUtf8(kv.value) : o.value(QLatin1String("id")).toString();
    return QStringLiteral("\"%1\"").arg(id);
}

// The leader (the head) and the checks every plan shares; -1 with a problem if there is none.
qsizetype checkLeader(const QList<KeyValue> &queue, QString *problem)
{
    if (queue.isEmpty()) {
        *problem = QStringLiteral("the election has no candidates");
        return -1;
    }
    if (!takesTransfers(queue.first().value)) {
        *problem = QStringLiteral("the leader %1 does not take transfer requests (not a Conclave "
                                  "candidate, or one older than this protocol); it can only be "
                                  "resigned or evicted").arg(describe(queue.first()));
        return -1;
    }
    return 0;
}

Plan planUpTo(const QList<KeyValue> &queue, qsizetype target)
{
    Plan plan;
    plan.leader = queue.first();
    plan.target = queue.at(target);
    for (qsizetype i = 1; i < target; ++i) {
        if (!isConclave(queue.at(i).value)) {
            plan.problem = QStringLiteral("%1 would have to be moved out of the way, and it is not a "
                                          "Conclave candidate: an etcdctl or Go waiter whose key is "
                                          "deleted can later believe it leads without one (etcd issue "
                                          "19597)").arg(describe(queue.at(i)));
            return plan;
        }
        plan.movedBack.append(queue.at(i));
    }
    return plan;
}

} // namespace

QByteArray requestKey(const QString &election)
{
    return election.toUtf8() + RequestSuffix;
}

QByteArray encode(const Request &r)
{
    QJsonObject o{{QStringLiteral("conclave_transfer"), 1},
                  {QStringLiteral("leader"), QString::fromUtf8(r.leaderKey)},
                  {QStringLiteral("leader_revision"), QString::number(r.leaderRevision)},
                  {QStringLiteral("target"), QString::fromUtf8(r.targetKey)},
                  {QStringLiteral("target_revision"), QString::number(r.targetRevision)},
                  {QStringLiteral("reason"), r.reason == Request::Reason::Priority ? QStringLiteral("priority")
                                                                                  : QStringLiteral("operator")},
                  {QStringLiteral("by"), r.by}};
    if (!r.refused.isEmpty())
        o.insert(QStringLiteral("refused"), r.refused);
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

std::optional<Request> decode(const QByteArray &value)
{
    const QJsonObject o = QJsonDocument::fromJson(value).object();
    if (o.value(QLatin1String("conclave_transfer")).toInt() != 1)
        return std::nullopt;
    Request r;
    bool leaderOk = false;
    bool targetOk = false;
    r.leaderKey = o.value(QLatin1String("leader")).toString().toUtf8();
    r.leaderRevision = o.value(QLatin1String("leader_revision")).toString().toLongLong(&leaderOk);
    r.targetKey = o.value(QLatin1String("target")).toString().toUtf8();
    r.targetRevision = o.value(QLatin1String("target_revision")).toString().toLongLong(&targetOk);
    const QString reason = o.value(QLatin1String("reason")).toString();
    if (!leaderOk || !targetOk || r.leaderKey.isEmpty() || r.targetKey.isEmpty()
        || (reason != QLatin1String("operator") && reason != QLatin1String("priority")))
        return std::nullopt;
    r.reason = reason == QLatin1String("priority") ? Request::Reason::Priority : Request::Reason::Operator;
    r.by = o.value(QLatin1String("by")).toString();
    r.refused = o.value(QLatin1String("refused")).toString();
    return r;
}

bool isConclave(const QByteArray &value)
{
    return !conclaveObject(value).isEmpty();
}

bool takesTransfers(const QByteArray &value)
{
    return conclaveObject(value).value(QLatin1String(TakesTransfersField)).toBool();
}

int priorityOf(const QByteArray &value)
{
    return conclaveObject(value).value(QLatin1String("priority")).toInt();
}

Plan toTarget(const QList<KeyValue> &queue, const QByteArray &targetKey, qint64 targetRevision)
{
    Plan plan;
    if (checkLeader(queue, &plan.problem) < 0)
        return plan;
    plan.leader = queue.first();
    qsizetype target = -1;
    for (qsizetype i = 0; i < queue.size() && target < 0; ++i)
        if (queue.at(i).key == targetKey && queue.at(i).createRevision == targetRevision)
            target = i;
    if (target < 0) {
        plan.problem = QStringLiteral("the target is no longer in the queue");
        return plan;
    }
    if (target == 0) {
        plan.problem = QStringLiteral("the target already leads");
        return plan;
    }
    if (!isConclave(queue.at(target).value)) {
        plan.problem = QStringLiteral("%1 is not a Conclave candidate: it cannot be made leader this way")
                               .arg(describe(queue.at(target)));
        return plan;
    }
    // Leadership would go straight back to any Conclave candidate of a higher priority.
    const int wanted = priorityOf(queue.at(target).value);
    for (qsizetype i = 0; i < queue.size() && isConclave(queue.at(i).value); ++i) {
        if (i != target && priorityOf(queue.at(i).value) > wanted) {
            plan.problem = QStringLiteral("%1 has priority %2, higher than the target's %3: it would take "
                                          "leadership straight back (lower its priority first)")
                                   .arg(describe(queue.at(i))).arg(priorityOf(queue.at(i).value)).arg(wanted);
            return plan;
        }
    }
    return planUpTo(queue, target);
}

Plan toHighestPriority(const QList<KeyValue> &queue)
{
    Plan plan;
    if (checkLeader(queue, &plan.problem) < 0)
        return plan;
    plan.leader = queue.first();
    int best = priorityOf(queue.first().value);
    qsizetype target = -1;
    for (qsizetype i = 1; i < queue.size() && isConclave(queue.at(i).value); ++i) {
        const int p = priorityOf(queue.at(i).value);
        if (p > best) {
            best = p;
            target = i;
        }
    }
    if (target < 0) {
        plan.problem = QStringLiteral("no candidate of a higher priority than the leader's waits ahead of "
                                      "every foreign candidate");
        return plan;
    }
    return planUpTo(queue, target);
}

QList<Compare> compares(const Plan &plan)
{
    QList<Compare> result;
    for (const KeyValue &kv : QList<KeyValue>{plan.leader} + plan.movedBack + QList<KeyValue>{plan.target})
        result.append(Compare::incarnation(kv.key, kv.createRevision));
    return result;
}

QJsonArray deletes(const Plan &plan)
{
    QJsonArray ops;
    for (const KeyValue &kv : QList<KeyValue>{plan.leader} + plan.movedBack)
        ops.append(Codec::opDelete(Codec::deleteRequest(kv.key)));
    return ops;
}

} // namespace Conclave::Transfer
