#pragma once

#include <QtCore/QObject>
#include <QtCore/QTimer>

#include <chrono>

namespace Conclave {

class ElectorPrivate;

/*!
 * The Elector's part that watches the application while it leads: armed at the start of every
 * term, re-armed by each ping; a term that goes a whole timeout without one ends in a resign
 * (errorOccurred(WatchdogTimeout) first), and the Elector joins again at the back.
 */
class Watchdog : public QObject
{
    Q_OBJECT
public:
    explicit Watchdog(ElectorPrivate &d);

    std::chrono::milliseconds timeout() const { return m_timeout; }
    void setTimeout(std::chrono::milliseconds timeout);
    void termStarted();
    void termEnded();
    void ping();

private:
    void onExpired();

    ElectorPrivate &d;
    std::chrono::milliseconds m_timeout{0};
    QTimer m_deadline;
};

} // namespace Conclave
