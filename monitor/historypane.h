#pragma once

#include <QtWidgets/QTabWidget>

#include <chrono>

QT_BEGIN_NAMESPACE
class QAbstractItemModel;
class QComboBox;
class QTableView;
QT_END_NAMESPACE

namespace Monitor {

class LeadershipChart;

/*!
 * The selected election over time, below the window's lists: the leadership chart with its
 * time span (a box of choices, or the mouse wheel over the chart) on the first tab, the
 * handovers as a table on the second.
 */
class HistoryPane : public QTabWidget
{
    Q_OBJECT
public:
    HistoryPane(std::chrono::seconds span, QWidget *parent = nullptr);
    LeadershipChart *chart() const { return m_chart; }
    QTableView *timelineView() const { return m_timeline; }
    //! The handovers' model (TimelineModel), with its columns sized.
    void setTimelineModel(QAbstractItemModel *model);

Q_SIGNALS:
    //! The chart's span changed (box or wheel): the elections' strips follow it.
    void spanChanged(std::chrono::seconds span);

private:
    void showSpan(std::chrono::seconds span);

    LeadershipChart *m_chart;
    QComboBox *m_span;
    QTableView *m_timeline;
};

} // namespace Monitor
