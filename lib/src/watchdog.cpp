// The application's watchdog while it leads: a missed ping resigns.
#include "watchdog.h"

#include "elector_p.h"
#include "logging.h"

namespace Conclave {

Watchdog::Watchdog(ElectorPrivate &d)
    : d(d)
{
    m_deadline.setSingleShot(true);
    m_deadline.setTimerType(Qt::PreciseTimer);
    connect(&m_deadline, &QTimer::timeout, this, &Watchdog::onExpired);
}

void Watchdog::setTimeout(std::chrono::milliseconds timeout)
{
    m_timeout = timeout;
    if (m_timeout.count() <= 0)
        m_deadline.stop();
    else if (d.isLeader())
        m_deadline.start(m_timeout); // a new timeout counts from now
}

void Watchdog::termStarted()
{
    if (m_timeout.count() > 0)
        m_deadline.start(m_timeout);
}

void Watchdog::termEnded()
{
    m_deadline.stop();
}

void Watchdog::ping()
{
    if (m_deadline.isActive())
        m_deadline.start(m_timeout);
}

void Watchdog::onExpired()
{
    if (!d.isLeader())
        return;
    const QString why = QStringLiteral("no watchdog ping within %1 ms while leading %2; resigning")
                                .arg(m_timeout.count()).arg(d.name);
    qCWarning(lcElector).noquote() << why;
    d.report(Error::WatchdogTimeout, why);
    d.resign();
}

} // namespace Conclave
