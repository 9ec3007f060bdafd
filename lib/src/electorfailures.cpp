// How the Elector meets failed calls: a transient one is reported and retried with jittered
// backoff, a lost lease is left to the lease session (we join again on its new lease), a
// permanent one (permission, authentication, a bad name) is reported once and ends the campaign.
// Which errors are which: isPermanent() in conclaveglobal.

#include <conclave/elector.h>

#include "elector_p.h"

#include "backoff.h"
#include "codec.h"
#include "electorlease.h"
#include "gatewayreply.h"
#include "logging.h"

namespace Conclave {

bool ElectorPrivate::handleFailure(GatewayReply *reply, std::function<void()> retry)
{
    const Error e = reply->error();
    if (e == Error::NoError)
        return false;
    if (e == Error::Cancelled)
        return true;
    if (isPermanent(e)) {
        fail(e, reply->errorString()); // reported, not retried forever
        return true;
    }
    report(e, reply->errorString());
    if (e == Error::LeaseLost)
        lease->checkNow(); // the session reports the loss; we re-join on its new lease
    else
        retryLater(std::move(retry));
    return true;
}

// A range's answer, or false when it failed or could not be read (reported; \a retry is
// scheduled as handleFailure() does).
bool ElectorPrivate::rangeAnswer(GatewayReply *reply, std::function<void()> retry, RangeResult *result)
{
    if (handleFailure(reply, retry))
        return false;
    bool ok = false;
    *result = Codec::parseRange(reply->json(), &ok);
    if (!ok) {
        report(Error::ProtocolError, reply->call() + QStringLiteral(": malformed key or value in the reply"));
        retryLater(std::move(retry));
    }
    return ok;
}

void ElectorPrivate::retryLater(std::function<void()> step)
{
    // Jittered exponential backoff, capped at the TTL: no retry storms against a failing etcd.
    const int delay = nextBackoffMs(backoffMs, 100, qint64(ttl.count()) * 1000);
    retryTimer.disconnect(this);
    connect(&retryTimer, &QTimer::timeout, this, std::move(step));
    retryTimer.start(delay);
}

void ElectorPrivate::report(Error e, const QString &message)
{
    const bool changed = e != error || message != errorString;
    error = e; // sticky until the next campaign(); set before any role change that follows
    errorString = message;
    Q_EMIT q_ptr->errorOccurred(e, message);
    if (changed)
        Q_EMIT q_ptr->errorChanged();
}

void ElectorPrivate::fail(Error e, const QString &message)
{
    qCWarning(lcElector).noquote() << "giving up campaigning in" << name << "-" << message;
    report(e, message);
    leave();
}

} // namespace Conclave
