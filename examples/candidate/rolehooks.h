#pragma once

// conclave-candidate --on-role-change CMD: `/bin/sh -c CMD` on every role change and every
// change of leader (Patroni's on_role_change, keepalived's notify scripts), with the role and
// the leader in its environment. One at a time, in order; one that hangs is killed after the
// hook timeout; one that fails or cannot start is logged: hooks never block the election.

#include <conclave/elector.h>

#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QProcess>
#include <QtCore/QTimer>

#include <chrono>

class RoleHooks : public QObject
{
    Q_OBJECT
public:
    RoleHooks(Conclave::Elector *elector, const QString &command, std::chrono::milliseconds timeout,
              QObject *parent = nullptr);
    ~RoleHooks() override;

    static QString roleName(Conclave::Elector::Role role); //!< leader | follower | none

Q_SIGNALS:
    //! {"event":"hook","role":…,"leader":…,"outcome":"exited"|"killed"|"failed","status":N}
    void event(const QJsonObject &event);

private:
    void onChange();
    void runNext();
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void finish(const QString &outcome, int status);

    Conclave::Elector *m_elector;
    QString m_command;
    std::chrono::milliseconds m_timeout;
    QProcess m_process;
    QTimer m_deadline;
    QList<QProcessEnvironment> m_pending;
    QString m_role = QStringLiteral("none");  //!< as last told to a hook
    QString m_leader;
    qint64 m_token = 0;
    QProcessEnvironment m_running;
    bool m_killed = false;
};
