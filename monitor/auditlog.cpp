#include "auditlog.h"

#include "jsonlines.h"

#include <QtCore/QLoggingCategory>
#include <QtCore/QStandardPaths>
#include <QtCore/QSysInfo>

#include <pwd.h>
#include <unistd.h>

namespace Monitor {

Q_LOGGING_CATEGORY(lcAudit, "conclave.monitor.audit")

QJsonObject AuditEntry::toJson() const
{
    return {{QStringLiteral("time"), at.toUTC().toString(Qt::ISODateWithMs)},
            {QStringLiteral("user"), user},
            {QStringLiteral("host"), host},
            {QStringLiteral("endpoints"), endpoints},
            {QStringLiteral("action"), action},
            {QStringLiteral("election"), election},
            {QStringLiteral("target"), target},
            {QStringLiteral("fencing_before"), QString::number(fencingBefore)},
            {QStringLiteral("fencing_after"), QString::number(fencingAfter)},
            {QStringLiteral("result"), succeeded ? QStringLiteral("succeeded") : QStringLiteral("failed")},
            {QStringLiteral("message"), message}};
}

bool AuditEntry::fromJson(const QJsonObject &o, AuditEntry *e)
{
    e->at = QDateTime::fromString(o.value(QLatin1String("time")).toString(), Qt::ISODateWithMs);
    e->action = o.value(QLatin1String("action")).toString();
    const QString result = o.value(QLatin1String("result")).toString();
    if (!e->at.isValid() || e->action.isEmpty() || (result != QLatin1String("succeeded") && result != QLatin1String("failed")))
        return false;
    e->user = o.value(QLatin1String("user")).toString();
    e->host = o.value(QLatin1String("host")).toString();
    e->endpoints = o.value(QLatin1String("endpoints")).toString();
    e->election = o.value(QLatin1String("election")).toString();
    e->target = o.value(QLatin1String("target")).toString();
    e->fencingBefore = o.value(QLatin1String("fencing_before")).toString().toLongLong();
    e->fencingAfter = o.value(QLatin1String("fencing_after")).toString().toLongLong();
    e->succeeded = result == QLatin1String("succeeded");
    e->message = o.value(QLatin1String("message")).toString();
    return true;
}

QString AuditLog::defaultFile()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/audit.jsonl");
}

QString AuditLog::currentUser()
{
    // The account, not $USER (which anyone can set); $USER only if the account has no entry.
    if (const passwd *pw = getpwuid(geteuid()))
        return QString::fromLocal8Bit(pw->pw_name);
    return qEnvironmentVariable("USER", QString::number(geteuid()));
}

AuditLog::AuditLog(const QString &file, QObject *parent)
    : QObject(parent)
    , m_file(file)
{
}

void AuditLog::load(int max)
{
    m_entries.clear();
    JsonLines::read(m_file, lcAudit(), [this, max](const QJsonObject &o) {
        AuditEntry e;
        if (!AuditEntry::fromJson(o, &e))
            return false;
        m_entries.append(e);
        if (m_entries.size() > max)
            m_entries.removeFirst();
        return true;
    });
}

bool AuditLog::append(AuditEntry entry)
{
    if (!entry.at.isValid())
        entry.at = QDateTime::currentDateTimeUtc();
    if (entry.user.isEmpty())
        entry.user = currentUser();
    if (entry.host.isEmpty())
        entry.host = QSysInfo::machineHostName();
    m_entries.append(entry);
    Q_EMIT appended(entry);
    m_lastError.clear();
    if (JsonLines::append(m_file, entry.toJson(), &m_lastError))
        return true;
    m_lastError = tr("the audit log was not written: %1").arg(m_lastError);
    qCWarning(lcAudit).noquote() << m_lastError;
    return false;
}

} // namespace Monitor
