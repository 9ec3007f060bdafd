#pragma once

#include <QtCore/QElapsedTimer>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QTimer>

#include <chrono>

namespace Conclave {

class ElectorPrivate;

/*!
 * The Elector's part that measures how late its timers fire: a precise timer every 250 ms
 * while campaigning; the lag shown is the largest lateness of the last 20 ticks (5 s), so that
 * one blocked stretch of the event loop stays visible for a while.
 */
class LagMeter : public QObject
{
    Q_OBJECT
public:
    static constexpr int TickMs = 250;
    static constexpr int Window = 20;

    explicit LagMeter(ElectorPrivate &d);
    void start();
    void stop();
    std::chrono::milliseconds lag() const { return std::chrono::milliseconds(m_lag); }

private:
    void onTick();
    void setLag(qint64 ms);

    ElectorPrivate &d;
    QTimer m_tick;
    QElapsedTimer m_since;
    QList<qint64> m_late;
    qint64 m_lag = 0;
};

} // namespace Conclave
