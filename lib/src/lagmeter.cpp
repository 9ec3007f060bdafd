// How late timers fire in a Client's thread: its event loop's lag.
#include "lagmeter.h"

#include "client_p.h"

#include <conclave/client.h>

#include <algorithm>

namespace Conclave {

LagMeter *LagMeter::of(Client *client)
{
    return ClientPrivate::get(client)->companion<LagMeter>([client] { return new LagMeter(client); });
}

LagMeter::LagMeter(Client *client)
    : QObject(client)
{
    m_tick.setSingleShot(true);
    m_tick.setTimerType(Qt::PreciseTimer);
    connect(&m_tick, &QTimer::timeout, this, &LagMeter::onTick);
}

void LagMeter::acquire()
{
    if (m_users++ > 0)
        return;
    m_late.clear();
    m_since.start();
    m_tick.start(TickMs);
}

void LagMeter::release()
{
    if (--m_users > 0)
        return;
    m_users = 0;
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
    Q_EMIT lagChanged(lag());
}

} // namespace Conclave
