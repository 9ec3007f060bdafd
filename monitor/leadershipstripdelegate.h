#pragma once

#include "leadershippicture.h"

#include <QtCore/QPointer>
#include <QtWidgets/QStyledItemDelegate>

#include <chrono>

namespace Conclave {
class ElectionDirectory;
}

namespace Monitor {

class HistoryStore;

/*!
 * The overview strip of every election: in the elections list's Leadership column, who led
 * over the chart's time span in one thin bar (each leader in its colour, no leader in red,
 * ticks at handovers). The tooltip counts handovers and time without a leader.
 */
class LeadershipStripDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit LeadershipStripDelegate(QObject *parent = nullptr);
    void setSources(Conclave::ElectionDirectory *directory, HistoryStore *history);
    void setSpan(std::chrono::seconds span) { m_span = span; }
    //! The picture painted for \a election now.
    LeadershipPicture pictureOf(const QString &election) const;
    //! "4 changes of leader, no leader for 2.1 s in the last 15 min".
    QString summary(const QString &election) const;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    bool helpEvent(QHelpEvent *event, QAbstractItemView *view, const QStyleOptionViewItem &option,
                   const QModelIndex &index) override;

private:
    QPointer<Conclave::ElectionDirectory> m_directory;
    QPointer<HistoryStore> m_history;
    std::chrono::seconds m_span{15 * 60};
};

} // namespace Monitor
