#pragma once

// conclave-candidate -- CMD ARGS…: CMD runs only while this candidate leads. It starts on
// becoming leader (CONCLAVE_ELECTION, CONCLAVE_FENCING_TOKEN, CONCLAVE_LEASE_ID in its
// environment); on any loss of leadership it gets SIGTERM at once and SIGKILL after the kill
// delay, never later than the instant the lease could expire; the Elector's release is held
// while it runs, so a voluntary handover (resign, leave, ineligible, a transfer) gives the key
// up only after it has exited.

#include <conclave/elector.h>

#include <QtCore/QDeadlineTimer>
#include <QtCore/QJsonObject>
#include <QtCore/QObject>
#include <QtCore/QProcess>
#include <QtCore/QStringList>
#include <QtCore/QTimer>

#include <chrono>

class LeaderChild : public QObject
{
    Q_OBJECT
public:
    LeaderChild(Conclave::Elector *elector, const QStringList &command, std::chrono::milliseconds killAfter,
                QObject *parent = nullptr);
    ~LeaderChild() override;

    //! Why \a command cannot be run (not found, not executable), or an empty string.
    static QString commandProblem(const QStringList &command);
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    /*!
     * systemd's notify protocol for the child: NOTIFY_SOCKET=\a socket, and with a \a watchdog
     * WATCHDOG_USEC and WATCHDOG_PID (its own pid: the command is started through
     * `sh -c 'WATCHDOG_PID=$$ exec "$@"'`, which keeps the pid).
     */
    void setNotify(const QString &socket, std::chrono::milliseconds watchdog);

Q_SIGNALS:
    //! {"event":"child","action":"started"|"terminated"|"killed"|"exited","pid":N,"status":N|null}
    void event(const QJsonObject &event);
    //! It ended by itself while we led: the candidate leaves and exits with \a status.
    void exitedOnItsOwn(int status);
    //! It is not running (any more), and the Elector's release is no longer held.
    void gone();

private:
    void onRoleChanged(Conclave::Elector::Role role);
    void start();
    void stop();
    void kill();
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void noteLeaseExpiry();
    void emitEvent(const QString &action, const QJsonValue &status = QJsonValue());

    Conclave::Elector *m_elector;
    QStringList m_command;
    std::chrono::milliseconds m_killAfter;
    QString m_notifySocket;
    std::chrono::milliseconds m_watchdog{0};
    QProcess m_process;
    QTimer m_killTimer;
    QDeadlineTimer m_leaseExpiry; // the earliest instant our lease could expire, while leading
    bool m_stopping = false;
    qint64 m_pid = 0;
};
