#pragma once

// A conclave-candidate process driven by a test: start, read its JSON lines, send commands,
// kill it. The binary path comes from the build (CONCLAVE_CANDIDATE_BIN).

#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QProcess>
#include <QtCore/QUrl>

#include <memory>

class CandidateProcess : public QObject
{
    Q_OBJECT
public:
    explicit CandidateProcess(QObject *parent = nullptr);
    ~CandidateProcess() override;

    //! Another program with conclave-candidate's options and output (e.g. conclave-worker).
    void setProgram(const QString &program) { m_program = program; }
    bool start(const QList<QUrl> &endpoints, const QString &election, const QString &id,
               int ttl, const QStringList &extraArgs = {});
    qint64 pid() const;
    bool isRunning() const;
    void send(const QByteArray &command);
    void kill();      //!< SIGKILL
    void terminate(); //!< SIGTERM
    bool waitForExit(int ms);
    int exitCode() const;
    QProcess::ExitStatus exitStatus() const;
    bool exitedCleanly() const; //!< ended by itself with status 0 (not by a signal)

    QString role() const { return m_role; }
    QJsonObject leader() const { return m_leader; }
    QList<QJsonObject> events() const { return m_events; }
    //! mono_ns of the last "role" event that reported \a role, or 0.
    qint64 lastRoleAt(const QString &role) const;
    QByteArray stderrText() const { return m_stderr; }

Q_SIGNALS:
    void eventReceived(const QJsonObject &event);

private:
    void onReadyRead();
    std::unique_ptr<QProcess> m_process;
    QString m_program = QStringLiteral(CONCLAVE_CANDIDATE_BIN);
    QByteArray m_buffer;
    QByteArray m_stderr;
    QString m_role = QStringLiteral("not-a-member");
    QJsonObject m_leader;
    QList<QJsonObject> m_events;
};

//! Whether process \a pid runs: it exists and is not a zombie (a dead orphan may never be
//! reaped in a container, and a zombie still answers kill(pid, 0)). For a candidate's child.
bool processRuns(qint64 pid);

