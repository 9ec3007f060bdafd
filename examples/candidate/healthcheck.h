#pragma once

// conclave-candidate --health-cmd CMD: CMD runs through /bin/sh every interval; a non-zero exit,
// or a run longer than the interval (it is killed), is a failure. After N failures in a row the
// candidate is unhealthy (ineligible: it hands over and leaves the queue, following the leader);
// one success makes it healthy (eligible) again.

#include <QtCore/QObject>
#include <QtCore/QProcess>
#include <QtCore/QString>
#include <QtCore/QTimer>

#include <chrono>

class HealthCheck : public QObject
{
    Q_OBJECT
public:
    HealthCheck(const QString &command, std::chrono::milliseconds interval, int failuresToFail,
                QObject *parent = nullptr);
    void start();
    bool isHealthy() const { return m_healthy; }
    //! Why the last run failed (exit status, timeout), empty after a success.
    QString lastProblem() const { return m_problem; }

Q_SIGNALS:
    void healthChanged(bool healthy);

private:
    void run();
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void record(bool ok, const QString &problem);

    QString m_command;
    std::chrono::milliseconds m_interval;
    int m_failuresToFail;
    int m_failures = 0;
    bool m_healthy = true;
    bool m_timedOut = false;
    QString m_problem;
    QProcess m_process;
    QTimer m_tick;
    QTimer m_timeout;
};
