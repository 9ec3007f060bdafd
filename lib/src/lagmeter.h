#pragma once

#include <QtCore/QElapsedTimer>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QTimer>

#include <chrono>

namespace Conclave {

class Client;

/*!
 * How late timers fire in a Client's thread, for its Electors' eventLoopLag(): one precise
 * timer every 250 ms while any Elector of the Client campaigns (one event loop, so one meter,
 * however many elections); the lag is the largest lateness of the last 20 ticks (5 s), so that
 * one blocked stretch of the event loop stays visible for a while. A child of the Client.
 */
class LagMeter : public QObject
{
    Q_OBJECT
public:
    static constexpr int TickMs = 250;
    static constexpr int Window = 20;

    static LagMeter *of(Client *client);
    //! Runs while it has users (campaigning Electors).
    void acquire();
    void release();
    std::chrono::milliseconds lag() const { return std::chrono::milliseconds(m_lag); }

Q_SIGNALS:
    void lagChanged(std::chrono::milliseconds lag);

private:
    explicit LagMeter(Client *client);
    void onTick();
    void setLag(qint64 ms);

    QTimer m_tick;
    QElapsedTimer m_since;
    QList<qint64> m_late;
    qint64 m_lag = 0;
    int m_users = 0;
};

} // namespace Conclave
