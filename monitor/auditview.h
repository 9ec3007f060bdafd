#pragma once

#include <QtCore/QPointer>
#include <QtWidgets/QTableWidget>

namespace Monitor {

class AuditLog;
struct AuditEntry;

//! The audit log in a table, newest first: what the audit dock shows.
class AuditView : public QTableWidget
{
    Q_OBJECT
public:
    enum Column { TimeColumn, UserColumn, ActionColumn, ElectionColumn, TargetColumn, FencingColumn,
                  ResultColumn, ColumnCount };

    explicit AuditView(QWidget *parent = nullptr);
    void setLog(AuditLog *log);

private:
    void prepend(const AuditEntry &entry);

    QPointer<AuditLog> m_log;
};

} // namespace Monitor
