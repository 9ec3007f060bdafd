#include "electionadmin.h"

#include "client_p.h"
#include "gatewayreply.h"
#include "handovertracker.h"
#include "logging.h"
#include "operation_p.h"

#include <QtCore/QJsonArray>
#include <QtCore/QPointer>

namespace Conclave {

ElectionAdmin::ElectionAdmin(ClientPrivate *client, HandoverTracker *tracker, QObject *owner)
    : m_client(client)
    , m_tracker(tracker)
    , m_owner(owner)
{
}

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
    Compare same;
    same.key = candidate.key();
    same.target = Compare::Target::Create;
    same.result = Compare::Result::Equal;
    same.number = candidate.fencingToken();
    m_tracker->expectEviction(candidate);
    GatewayReply *reply = m_client->txn({same}, {Codec::opDelete(Codec::deleteRequest(candidate.key()))}, {});
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
    Compare never;
    never.key = probe;
    never.target = Compare::Target::Create;
    never.result = Compare::Result::Less;
    never.number = 0;
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
