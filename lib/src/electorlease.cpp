// The Elector's lease: the session it shares with the other Electors of its Client that use the
// same TTL (leasesession.cpp keeps it alive), and what the machine hears of it.
#include "electorlease.h"

#include "client_p.h"
#include "elector_p.h"
#include "leasesession.h"

#include <conclave/elector.h>

namespace Conclave {

ElectorLease::ElectorLease(ElectorPrivate &d)
    : d(d)
{
}

ElectorLease::~ElectorLease() = default;

void ElectorLease::acquire(qint64 ttlSeconds)
{
    m_session = LeaseSessions::of(d.c)->acquire(ttlSeconds);
    connect(m_session, &LeaseSession::alive, &d, &ElectorPrivate::onLeaseAlive);
    connect(m_session, &LeaseSession::expiring, &d, &ElectorPrivate::onLeaseExpiring);
    connect(m_session, &LeaseSession::lost, &d, &ElectorPrivate::onLeaseLost);
    connect(m_session, &LeaseSession::renewed, this, &ElectorLease::onRenewed);
    connect(m_session, &LeaseSession::grantFailed, this, &ElectorLease::onGrantFailed);
    if (m_session->isAlive()) {
        const qint64 id = m_session->leaseId();
        QMetaObject::invokeMethod(&d, [d = &d, id] { d->onLeaseAlive(id); }, Qt::QueuedConnection);
    }
}

void ElectorLease::release()
{
    if (!m_session)
        return;
    m_session->disconnect(&d);
    m_session->disconnect(this);
    LeaseSessions::of(d.c)->release(m_session); // the last user revokes the lease
    m_session = nullptr;
}

bool ElectorLease::isAlive() const { return m_session && m_session->isAlive(); }
qint64 ElectorLease::leaseId() const { return m_session ? m_session->leaseId() : 0; }
bool ElectorLease::isOnlyUser() const { return m_session && LeaseSessions::of(d.c)->users(m_session) == 1; }

void ElectorLease::checkNow()
{
    if (m_session)
        m_session->checkNow();
}

QDeadlineTimer ElectorLease::stepDownDeadline() const
{
    return m_session ? m_session->stepDownDeadline() : QDeadlineTimer();
}

void ElectorLease::onRenewed()
{
    if (!m_session || m_session->lastRenewal() == m_lastRenewal)
        return;
    m_lastRenewal = m_session->lastRenewal();
    Q_EMIT d.q_ptr->lastRenewalChanged(m_lastRenewal);
}

void ElectorLease::onGrantFailed(Error error, const QString &message)
{
    if (isPermanent(error))
        d.fail(error, message); // reported, not retried forever
    else
        d.report(error, message);
}

} // namespace Conclave
