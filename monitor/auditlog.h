#pragma once

// Every operator action, appended as one JSON line to a file (by default audit.jsonl beside the
// history files, --audit-log FILE otherwise): time, OS user, host, cluster, action, election,
// target, fencing token before and after, result. Lines are never rewritten; an unreadable line
// is skipped with a warning when the file is read back.

#include <QtCore/QDateTime>
#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QString>

namespace Monitor {

struct AuditEntry
{
    QDateTime at;           //!< when the outcome was known (UTC)
    QString user;           //!< the OS user running the monitor
    QString host;           //!< this machine
    QString endpoints;      //!< the cluster
    QString action;         //!< "resign", "evict", "revoke", "transfer"
    QString election;       //!< empty for a lease revoked outside any election
    QString target;         //!< candidate id, or lease id in hex for "revoke"
    qint64 fencingBefore = 0; //!< the election's leader's fencing token before (0: none)
    qint64 fencingAfter = 0;  //!< and after (0: none, or not known)
    bool succeeded = false;
    QString message;        //!< the error, or a note

    QJsonObject toJson() const;
    static bool fromJson(const QJsonObject &object, AuditEntry *entry);
};

class AuditLog : public QObject
{
    Q_OBJECT
public:
    //! <AppDataLocation>/audit.jsonl.
    static QString defaultFile();
    //! The OS user and host name, as recorded.
    static QString currentUser();

    explicit AuditLog(const QString &file, QObject *parent = nullptr);
    QString file() const { return m_file; }
    //! Reads the last \a max entries back (oldest first).
    void load(int max = 1000);
    QList<AuditEntry> entries() const { return m_entries; }
    //! Fills user and host when empty, appends to the file; false (with a warning) if it cannot
    //! be written: the action itself is not undone.
    bool append(AuditEntry entry);
    QString lastError() const { return m_lastError; }

Q_SIGNALS:
    void appended(const Monitor::AuditEntry &entry);

private:
    QString m_file;
    QList<AuditEntry> m_entries;
    QString m_lastError;
};

} // namespace Monitor
