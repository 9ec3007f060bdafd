// How late the Elector's timers fire: its event loop's lag.
#include "lagmeter.h"

#include "elector_p.h"

#include <algorithm>

namespace Conclave {

LagMeter::LagMeter(ElectorPrivate &d)
    : d(d)
{
    m_tick.setSingleShot(true);
    m_tick.setTimerType(Qt::PreciseTimer);
    connect(&m_tick, &QTimer::timeout, this, &LagMeter::onTick);
}

void LagMeter::start()
{
    m_late.clear();
    m_since.start();
    m_tick.start(TickMs);
}

void LagMeter::stop()
{
    m_tick.stop();
    m_late.clear();
    setLag(0);
}

void LagMeter::onTick()
{
    m_late.append(qMax<qint64>(0, m_since.elapsed() - TickMs));
    if (m_late.size() > Window)
        m_late.removeFirst();
    setLag(*std::max_element(m_late.cbegin(), m_late.cend()));
    m_since.start();
    m_tick.start(TickMs);
}

void LagMeter::setLag(qint64 ms)
{
    if (m_lag == ms)
        return;
    m_lag = ms;
    Q_EMIT d.q_ptr->eventLoopLagChanged(lag());
}

} // namespace Conclave
