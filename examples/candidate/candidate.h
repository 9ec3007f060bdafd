#pragma once

#include "candidateoptions.h"

#include <conclave/client.h>
#include <conclave/elector.h>

#include <QtCore/QJsonObject>
#include <QtCore/QObject>
#include <QtCore/QSocketNotifier>

#include <memory>

class HealthCheck;
class LeaderChild;
class MetricsServer;
class NotifySocket;
class RoleHooks;

/*!
 * One candidate process: the Client and Elector its options describe, the helpers they ask for
 * (a program run while leading, a health check, HTTP endpoints), one JSON line on stdout for
 * every change, the commands read from stdin, and a clean leave on quit or SIGINT/SIGTERM.
 */
class Candidate : public QObject
{
    Q_OBJECT
public:
    explicit Candidate(CandidateOptions options);
    ~Candidate() override;

    //! Configures everything; false (and why) when it cannot run as asked.
    bool setUp(const QCommandLineParser &connection, QString *problem);
    //! Campaigns; the process exits (with exitStatus()) once it has left.
    void start();
    //! Leave cleanly: NotAMember at once; with a child, the key goes once it has exited; then
    //! wait (bounded) for the revoke to be answered, and exit.
    void quit();

    static void emitLine(QJsonObject object);

private:
    void reportChanges();
    bool setUpNotify(QString *problem);
    void readCommands();
    void onCommand(const QByteArray &line);
    void exitWhenIdle();

    const CandidateOptions m_options;
    Conclave::Client m_client;
    Conclave::Elector m_elector{&m_client};
    std::unique_ptr<HealthCheck> m_health;
    std::unique_ptr<MetricsServer> m_metrics;
    std::unique_ptr<LeaderChild> m_child;
    std::unique_ptr<NotifySocket> m_notify;
    std::unique_ptr<RoleHooks> m_hooks;
    std::unique_ptr<QSocketNotifier> m_input;
    int m_exitStatus = 0;
    bool m_quitting = false;
};
