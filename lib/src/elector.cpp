// Conclave::Elector, the public class: its properties and slots, each handed to the machine
// (ElectorPrivate, electormachine.cpp) or read from it.

#include <conclave/client.h>
#include <conclave/elector.h>

#include "elector_p.h"

#include "electorlease.h"
#include "lagmeter.h"
#include "ownkey.h"
#include "readiness.h"
#include "watchdog.h"

#include <algorithm>

namespace Conclave {

// ---- public ------------------------------------------------------------------------------------

Elector::Elector(Client *client, QObject *parent)
    : QObject(parent)
    , d_ptr(std::make_unique<ElectorPrivate>(this, client))
{
}

Elector::~Elector()
{
    Q_D(Elector);
    d->setReleaseHeld(false); // nobody is left to lift it: what it held goes now
    d->leave();
}

QString Elector::electionName() const { return d_func()->name; }
QString Elector::candidateId() const { return d_func()->candidateId; }
QString Elector::advertisedHost() const { return d_func()->host; }
int Elector::advertisedPort() const { return d_func()->port; }
QVariantMap Elector::attributes() const { return d_func()->attributes; }
std::chrono::seconds Elector::ttl() const { return d_func()->ttl; }
Elector::Role Elector::role() const { return d_func()->role; }
bool Elector::isLeader() const { return d_func()->role == Role::Leader && !leadershipDeadline().hasExpired(); }
int Elector::priority() const { return d_func()->priority; }
bool Elector::isEligible() const { return d_func()->eligible; }
qint64 Elector::transitions() const { return d_func()->transitions; }
QDateTime Elector::lastRenewal() const { return d_func()->lease->lastRenewal(); }

QDeadlineTimer Elector::leadershipDeadline() const
{
    Q_D(const Elector);
    if (d->role != Role::Leader)
        return QDeadlineTimer(); // expired
    return d->lease->stepDownDeadline();
}

void Elector::setEligible(bool eligible) { d_func()->setEligible(eligible); }
bool Elector::isReleaseHeld() const { return d_func()->releaseHeld; }
void Elector::setReleaseHeld(bool held) { d_func()->setReleaseHeld(held); }
void Elector::setPriority(int priority) { d_func()->setPriority(priority); }
bool Elector::isCampaigning() const { return d_func()->isCampaigning(); }
LeaderInfo Elector::leader() const { return d_func()->leader; }
qint64 Elector::leaseId() const { return d_func()->own->leaseId; }
Error Elector::error() const { return d_func()->error; }
QString Elector::errorString() const { return d_func()->errorString; }

qint64 Elector::fencingToken() const
{
    Q_D(const Elector);
    return d->role == Role::Leader ? d->own->revision : 0;
}

void Elector::setElectionName(const QString &name)
{
    Q_D(Elector);
    if (!d->checkSettable("setElectionName") || d->name == name)
        return;
    d->name = name;
    Q_EMIT electionNameChanged(name);
}

void Elector::setCandidateId(const QString &id)
{
    Q_D(Elector);
    if (!d->checkSettable("setCandidateId") || d->candidateId == id)
        return;
    d->candidateId = id;
    Q_EMIT candidateIdChanged(id);
}

void Elector::setAdvertisedAddress(const QString &host, int port)
{
    Q_D(Elector);
    if (d->checkSettable("setAdvertisedAddress")) {
        d->host = host;
        d->port = port;
    }
}

void Elector::setAttributes(const QVariantMap &attributes)
{
    Q_D(Elector);
    if (d->checkSettable("setAttributes"))
        d->attributes = attributes;
}

void Elector::setTtl(std::chrono::seconds ttl)
{
    Q_D(Elector);
    if (!d->checkSettable("setTtl") || d->ttl == ttl)
        return;
    d->ttl = ttl;
    Q_EMIT ttlChanged(ttl);
}

bool Elector::isReadinessRequired() const { return d_func()->readiness->isRequired(); }
void Elector::setReadinessRequired(bool required) { d_func()->readiness->setRequired(required); }
bool Elector::isReady() const { return d_func()->readiness->isReady(); }
void Elector::setReady(bool ready) { d_func()->readiness->setReady(ready); }
QString Elector::statusText() const { return d_func()->readiness->statusText(); }
void Elector::setStatusText(const QString &text) { d_func()->readiness->setStatusText(text); }
std::chrono::milliseconds Elector::watchdogTimeout() const { return d_func()->watchdog->timeout(); }
std::chrono::milliseconds Elector::eventLoopLag() const
{
    return d_func()->isCampaigning() ? d_func()->lag->lag() : std::chrono::milliseconds(0);
}
QDateTime Elector::lastContact() const { return d_func()->client->lastContact(); }
void Elector::pingWatchdog() { d_func()->watchdog->ping(); }

void Elector::setWatchdogTimeout(std::chrono::milliseconds timeout)
{
    Q_D(Elector);
    timeout = std::max(timeout, std::chrono::milliseconds(0));
    if (d->watchdog->timeout() == timeout)
        return;
    d->watchdog->setTimeout(timeout);
    Q_EMIT watchdogTimeoutChanged(timeout);
}

void Elector::campaign() { d_func()->campaign(); }
void Elector::resign() { d_func()->resign(); }
void Elector::leave() { d_func()->leave(); }
void Elector::proclaim(const QVariantMap &attributes) { d_func()->proclaim(attributes); }

} // namespace Conclave
