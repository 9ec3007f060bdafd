#include "healthcheck.h"

HealthCheck::HealthCheck(const QString &command, std::chrono::milliseconds interval, int failuresToFail,
                         QObject *parent)
    : QObject(parent)
    , m_command(command)
    , m_interval(interval)
    , m_failuresToFail(failuresToFail)
{
    m_tick.setInterval(int(interval.count()));
    connect(&m_tick, &QTimer::timeout, this, &HealthCheck::run);
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        m_timedOut = true;
        m_process.kill(); // finished() follows
    });
    m_process.setProcessChannelMode(QProcess::ForwardedChannels); // its output, for the operator
    m_process.setStandardInputFile(QProcess::nullDevice());
    connect(&m_process, &QProcess::finished, this, &HealthCheck::onFinished);
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            record(false, QStringLiteral("could not start /bin/sh: ") + m_process.errorString());
    });
}

void HealthCheck::start()
{
    m_tick.start();
    run(); // the first verdict comes at once, not after one interval
}

void HealthCheck::run()
{
    if (m_process.state() != QProcess::NotRunning)
        return; // still running: its timeout settles it
    m_timedOut = false;
    m_process.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), m_command});
    m_timeout.start(int(m_interval.count()));
}

void HealthCheck::onFinished(int exitCode, QProcess::ExitStatus status)
{
    m_timeout.stop();
    if (m_timedOut)
        record(false, QStringLiteral("still running after %1 ms (killed)").arg(m_interval.count()));
    else if (status != QProcess::NormalExit)
        record(false, QStringLiteral("ended by a signal"));
    else if (exitCode != 0)
        record(false, QStringLiteral("exit status %1").arg(exitCode));
    else
        record(true, {});
}

void HealthCheck::record(bool ok, const QString &problem)
{
    m_problem = problem;
    m_failures = ok ? 0 : m_failures + 1;
    const bool healthy = ok || (m_healthy && m_failures < m_failuresToFail);
    if (healthy == m_healthy)
        return;
    m_healthy = healthy;
    Q_EMIT healthChanged(healthy);
}
