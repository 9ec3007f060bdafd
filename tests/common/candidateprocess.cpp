#include "candidateprocess.h"

#include <QtCore/QFile>
#include <QtCore/QJsonDocument>

CandidateProcess::CandidateProcess(QObject *parent)
    : QObject(parent)
{
}

CandidateProcess::~CandidateProcess()
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
}

bool CandidateProcess::start(const QList<QUrl> &endpoints, const QString &election,
                             const QString &id, int ttl, const QStringList &extraArgs)
{
    QStringList urls;
    for (const QUrl &u : endpoints)
        urls << u.toString();
    m_process = std::make_unique<QProcess>();
    connect(m_process.get(), &QProcess::readyReadStandardOutput, this, &CandidateProcess::onReadyRead);
    connect(m_process.get(), &QProcess::readyReadStandardError, this,
            [this] { m_stderr += m_process->readAllStandardError(); });
    m_process->start(m_program,
                     QStringList{QStringLiteral("--endpoints"), urls.join(QLatin1Char(',')),
                                 QStringLiteral("--election"), election, QStringLiteral("--id"), id,
                                 QStringLiteral("--ttl"), QString::number(ttl)}
                             + extraArgs);
    return m_process->waitForStarted(5000);
}

qint64 CandidateProcess::pid() const
{
    return isRunning() ? m_process->processId() : 0;
}

bool CandidateProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

void CandidateProcess::send(const QByteArray &command)
{
    m_process->write(command + '\n');
}

void CandidateProcess::kill()
{
    m_process->kill();
    m_process->waitForFinished(5000);
}

void CandidateProcess::terminate()
{
    m_process->terminate();
}

bool CandidateProcess::waitForExit(int ms)
{
    return m_process->state() == QProcess::NotRunning || m_process->waitForFinished(ms);
}

int CandidateProcess::exitCode() const
{
    return m_process->exitCode();
}

QProcess::ExitStatus CandidateProcess::exitStatus() const
{
    return m_process->exitStatus();
}

bool CandidateProcess::exitedCleanly() const
{
    return m_process->state() == QProcess::NotRunning && m_process->exitStatus() == QProcess::NormalExit
            && m_process->exitCode() == 0;
}

qint64 CandidateProcess::lastRoleAt(const QString &role) const
{
    for (auto it = m_events.crbegin(); it != m_events.crend(); ++it)
        if (it->value(QLatin1String("event")) == QLatin1String("role")
            && it->value(QLatin1String("role")).toString() == role)
            return qint64(it->value(QLatin1String("mono_ns")).toDouble());
    return 0;
}

void CandidateProcess::onReadyRead()
{
    m_buffer += m_process->readAllStandardOutput();
    qsizetype nl;
    while ((nl = m_buffer.indexOf('\n')) >= 0) {
        const QJsonObject event = QJsonDocument::fromJson(m_buffer.left(nl)).object();
        m_buffer.remove(0, nl + 1);
        m_events << event;
        const QString kind = event.value(QLatin1String("event")).toString();
        if (kind == QLatin1String("role"))
            m_role = event.value(QLatin1String("role")).toString();
        else if (kind == QLatin1String("leader"))
            m_leader = event;
        Q_EMIT eventReceived(event);
    }
}

bool processRuns(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray line = stat.readAll();
    const qsizetype state = line.lastIndexOf(')') + 2; // "pid (comm) S ..."; comm may hold ')'
    return state > 1 && state < line.size() && line.at(state) != 'Z' && line.at(state) != 'X';
}
