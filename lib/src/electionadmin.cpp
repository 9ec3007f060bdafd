#include "electionadmin.h"

#include "client_p.h"
#include "gatewayreply.h"
#include "handovertracker.h"
#include "logging.h"
#include "operation_p.h"
#include "transfer.h"
#include "watchhub.h"

#include <QtCore/QDeadlineTimer>
#include <QtCore/QJsonArray>
#include <QtCore/QPointer>
#include <QtCore/QSysInfo>
#include <QtCore/QTimer>

#include <memory>

namespace Conclave {

ElectionAdmin::ElectionAdmin(ClientPrivate *client, HandoverTracker *tracker, QObject *owner, LeaderNow leaderNow)
    : m_client(client)
    , m_tracker(tracker)
    , m_owner(owner)
    , m_leaderNow(std::move(leaderNow))
{
}

ElectionAdmin::~ElectionAdmin() = default;

Operation *ElectionAdmin::failed(Error error, const QString &message)
{
    Operation *op = OperationPrivate::create(m_owner);
    OperationPrivate::finish(op, error, message);
    return op;
}

Operation *ElectionAdmin::guardedDelete(const LeaderInfo &candidate, const QString &what)
{
    if (!candidate.isValid() || candidate.key().isEmpty())
        return failed(Error::InvalidArgument, what + QStringLiteral(": no such candidate"));
    Operation *op = OperationPrivate::create(m_owner);
    m_tracker->expectEviction(candidate);
    GatewayReply *reply = m_client->txn({Compare::incarnation(candidate.key(), candidate.fencingToken())},
                                        {Codec::opDelete(Codec::deleteRequest(candidate.key()))}, {});
    const QPointer<Operation> guard(op);
    // The tracker is the context: it must hear of a failure even if the caller dropped op.
    onFinished(reply, m_tracker, [tracker = m_tracker, guard, candidate, what](GatewayReply *reply) {
        const TxnResult t = reply->error() == Error::NoError ? Codec::parseTxn(reply->json()) : TxnResult();
        if (reply->error() == Error::NoError && t.succeeded) {
            if (guard)
                OperationPrivate::finish(guard, Error::NoError, {}, t.header.revision);
            return;
        }
        tracker->cancelEviction(candidate);
        if (!guard)
            return;
        if (reply->error() != Error::NoError)
            OperationPrivate::finish(guard, reply->error(), what + QStringLiteral(": ") + reply->errorString());
        else
            OperationPrivate::finish(guard, Error::Conflict,
                                     what + QStringLiteral(": %1 already left (its key is gone or belongs to a newer incarnation); nothing was deleted").arg(candidate.id()));
    });
    return op;
}

namespace {

constexpr int TransferAnswerMs = 5000; // a live Conclave leader acts within milliseconds

KeyValue keyValueOf(const LeaderInfo &c)
{
    KeyValue kv;
    kv.key = c.key();
    kv.value = c.value();
    kv.lease = c.leaseId();
    kv.createRevision = c.fencingToken();
    return kv;
}

QString whoAsks()
{
    QString user = qEnvironmentVariable("USER");
    if (user.isEmpty())
        user = qEnvironmentVariable("LOGNAME");
    return (user.isEmpty() ? QStringLiteral("operator") : user) + QLatin1Char('@') + QSysInfo::machineHostName();
}

} // namespace

QString ElectionAdmin::transferProblem(const QList<LeaderInfo> &queue, const QString &candidateId,
                                       qsizetype *target, Transfer::Plan *plan)
{
    qsizetype at = -1;
    QList<KeyValue> kvs;
    for (qsizetype i = 0; i < queue.size(); ++i) {
        kvs.append(keyValueOf(queue.at(i)));
        if (at < 0 && queue.at(i).id() == candidateId)
            at = i;
    }
    if (target)
        *target = at;
    if (queue.isEmpty())
        return QStringLiteral("the election has no candidates");
    if (at < 0)
        return QStringLiteral("no candidate \"%1\" in the election").arg(candidateId);
    if (at == 0)
        return {};
    const Transfer::Plan planned = Transfer::toTarget(kvs, kvs.at(at).key, kvs.at(at).createRevision);
    if (plan)
        *plan = planned;
    return planned.problem;
}

/*!
 * One operator transfer after its request was written at revision \a written: it ends when the
 * target leads (done), the leader refuses in the request (its reason), someone else leads
 * (conflict), or no answer comes in time. The request is removed when it ends, whatever the
 * outcome, and the operation finishes once etcd has answered that removal: a program that exits
 * as soon as it finishes (conclave-monitor --transfer) leaves no request behind.
 */
class TransferFollow : public QObject
{
public:
    TransferFollow(Operation *op, ClientPrivate *client, HandoverTracker *tracker, const QString &what)
        : QObject(op), op(op), what(what), client(client), tracker(tracker)
    {
    }

    void start(qint64 written)
    {
        this->written = written;
        Watch *answers = client->watchHub()->watch(key, {}, written + 1, false, this);
        connect(answers, &Watch::eventsReceived, this, &TransferFollow::onAnswers);
        QTimer::singleShot(TransferAnswerMs, this, [this] {
            end(Error::TimeoutError, what + QStringLiteral(": %1 did not hand over within %2 s (stopped, cut off from "
                                                           "etcd, or an older Conclave?)").arg(leader.id()).arg(TransferAnswerMs / 1000));
        });
    }

    void check(const ElectionAdmin::LeaderSeen &seen)
    {
        const LeaderInfo &now = seen.leader;
        if (!now.isValid() || (now.key() == leader.key() && now.fencingToken() == leader.fencingToken()))
            return; // not yet
        if (now.key() == wanted.key() && now.fencingToken() == wanted.fencingToken())
            end(Error::NoError, {}, seen.revision);
        else
            end(Error::Conflict, what + QStringLiteral(": %1 leads now instead").arg(now.id()));
    }

    void end(Error e, const QString &message, qint64 revision = 0)
    {
        if (ending || op->isFinished())
            return;
        ending = true;
        if (e != Error::NoError)
            tracker->cancelTransfer(leader);
        onFinished(client->txn({Compare::unchangedSince(key, written)}, {Codec::opDelete(Codec::deleteRequest(key))}, {}),
                   this, [op = op, e, message, revision](GatewayReply *) { OperationPrivate::finish(op, e, message, revision); });
    }

    Operation *const op;
    const QString what;
    QString election;
    QByteArray key;
    Transfer::Request request;
    LeaderInfo leader;
    LeaderInfo wanted;

private:
    void onAnswers(const QList<WatchEvent> &events)
    {
        for (const WatchEvent &e : events) {
            const std::optional<Transfer::Request> r = e.type == WatchEvent::Type::Put ? Transfer::decode(e.kv.value)
                                                                                       : std::nullopt;
            if (r && !r->refused.isEmpty() && r->targetKey == request.targetKey
                && r->targetRevision == request.targetRevision)
                end(Error::Conflict, what + QStringLiteral(": the leader refused: ") + r->refused);
        }
    }

    ClientPrivate *const client;
    HandoverTracker *const tracker;
    qint64 written = 0;
    bool ending = false;
};

// Validates against the owner's view, writes the request, then follows it (TransferFollow).
Operation *ElectionAdmin::transfer(const QString &election, const QList<LeaderInfo> &queue, const QString &candidateId)
{
    const QString what = QStringLiteral("transfer %1 to %2").arg(election, candidateId);
    qsizetype target = -1;
    Transfer::Plan plan;
    const QString problem = transferProblem(queue, candidateId, &target, &plan);
    if (!problem.isEmpty())
        return failed(Error::InvalidArgument, what + QStringLiteral(": ") + problem);
    if (target == 0)
        return failed(Error::NoError, {}); // it leads already
    Operation *op = OperationPrivate::create(m_owner);
    auto *follow = new TransferFollow(op, m_client, m_tracker, what);
    follow->election = election;
    follow->key = Transfer::requestKey(election);
    follow->request.leaderKey = plan.leader.key;
    follow->request.leaderRevision = plan.leader.createRevision;
    follow->request.targetKey = plan.target.key;
    follow->request.targetRevision = plan.target.createRevision;
    follow->request.reason = Transfer::Request::Reason::Operator;
    follow->request.by = whoAsks();
    follow->leader = queue.first();
    follow->wanted = queue.at(target);
    m_tracker->expectTransfer(follow->leader);
    m_transfers.removeAll(nullptr);
    m_transfers.append(follow);
    onFinished(m_client->put(follow->key, Transfer::encode(follow->request)), follow, [this, follow](GatewayReply *reply) {
        if (reply->error() != Error::NoError) {
            m_tracker->cancelTransfer(follow->leader);
            OperationPrivate::finish(follow->op, reply->error(), follow->what + QStringLiteral(": ") + reply->errorString());
            return;
        }
        follow->start(reply->header().revision);
        follow->check(m_leaderNow(follow->election)); // it may have happened before the watch was in place
    });
    return op;
}

void ElectionAdmin::electionChanged(const QString &election)
{
    for (const QPointer<TransferFollow> &follow : std::as_const(m_transfers))
        if (follow && follow->election == election)
            follow->check(m_leaderNow(election));
}

Operation *ElectionAdmin::revokeLease(qint64 leaseId)
{
    Operation *op = OperationPrivate::create(m_owner);
    onFinished(m_client->leaseRevoke(leaseId), op, [op](GatewayReply *reply) {
        OperationPrivate::finish(op, reply->error(), reply->errorString(),
                                 reply->error() == Error::NoError ? reply->header().revision : 0);
    });
    return op;
}

Operation *ElectionAdmin::leaseKeys(qint64 leaseId)
{
    Operation *op = OperationPrivate::create(m_owner);
    onFinished(m_client->leaseTimeToLive(leaseId, true), op, [op](GatewayReply *reply) {
        QByteArrayList keys;
        bool ok = true;
        const QJsonArray array = reply->json().value(QLatin1String("keys")).toArray();
        for (const QJsonValue &v : array) {
            bool one = true;
            keys.append(Codec::decodeBytes(v, &one));
            ok = ok && one;
        }
        if (reply->error() == Error::NoError && !ok)
            OperationPrivate::finish(op, Error::ProtocolError,
                                     QStringLiteral("lease timetolive: malformed key in the reply"));
        else
            OperationPrivate::finish(op, reply->error(), reply->errorString(), 0, keys);
    });
    return op;
}

Operation *ElectionAdmin::checkWriteAccess(const QString &prefix)
{
    Operation *op = OperationPrivate::create(m_owner);
    // A delete in a branch that can never run (create_revision is never negative), of a probe
    // key under the prefix that nothing uses: harmless even if it ran. etcd checks the
    // permissions of both branches before it evaluates the compare.
    const QByteArray probe = prefix.toUtf8() + ".conclave-write-probe";
    Compare never = Compare::incarnation(probe, 0);
    never.result = Compare::Result::Less; // a create revision is never below 0: nothing is deleted
    GatewayReply *reply = m_client->txn({never}, {Codec::opDelete(Codec::deleteRequest(probe))}, {});
    onFinished(reply, op, [op](GatewayReply *reply) {
        if (reply->error() == Error::NoError && Codec::parseTxn(reply->json()).succeeded) {
            qCCritical(lcDirectory) << "write-access probe: a never-true compare held";
            OperationPrivate::finish(op, Error::ProtocolError,
                                     QStringLiteral("write-access probe: etcd reported an impossible compare as true"));
            return;
        }
        OperationPrivate::finish(op, reply->error(), reply->errorString());
    });
    return op;
}

} // namespace Conclave
