#include "auditview.h"

#include "auditlog.h"
#include "statusstyle.h"

#include <QtWidgets/QHeaderView>

namespace Monitor {

AuditView::AuditView(QWidget *parent)
    : QTableWidget(0, ColumnCount, parent)
{
    setObjectName(QStringLiteral("audit"));
    setHorizontalHeaderLabels({tr("Time"), tr("User"), tr("Action"), tr("Election"), tr("Target"),
                               tr("Fencing before → after"), tr("Result")});
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    verticalHeader()->hide();
    horizontalHeader()->setStretchLastSection(true);
    setWordWrap(false);
    setColumnWidth(TimeColumn, 150);
}

void AuditView::setLog(AuditLog *log)
{
    if (m_log)
        disconnect(m_log, nullptr, this, nullptr);
    m_log = log;
    setRowCount(0);
    if (!log)
        return;
    for (const AuditEntry &e : log->entries())
        prepend(e);
    connect(log, &AuditLog::appended, this, &AuditView::prepend);
}

void AuditView::prepend(const AuditEntry &e)
{
    insertRow(0);
    auto cell = [this](int column, const QString &text) {
        auto *item = new QTableWidgetItem(text);
        item->setToolTip(text);
        setItem(0, column, item);
        return item;
    };
    cell(TimeColumn, e.at.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
    cell(UserColumn, QStringLiteral("%1@%2").arg(e.user, e.host));
    cell(ActionColumn, e.action);
    cell(ElectionColumn, e.election);
    cell(TargetColumn, e.target);
    auto token = [](qint64 t) { return t ? QString::number(t) : QStringLiteral("–"); };
    cell(FencingColumn, QStringLiteral("%1 → %2").arg(token(e.fencingBefore), token(e.fencingAfter)));
    QTableWidgetItem *result = cell(ResultColumn, e.succeeded ? tr("succeeded: %1").arg(e.message) : tr("failed: %1").arg(e.message));
    result->setIcon(statusIcon(e.succeeded ? Status::Healthy : Status::NoLeader));
}

} // namespace Monitor
