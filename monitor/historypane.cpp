#include "historypane.h"

#include "leadershipchart.h"
#include "tables.h"
#include "timelinemodel.h"

#include <QtWidgets/QComboBox>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QTableView>
#include <QtWidgets/QVBoxLayout>

namespace Monitor {

namespace {
constexpr int SpanChoices[] = {60, 5 * 60, 15 * 60, 3600, 6 * 3600, 24 * 3600};
} // namespace

HistoryPane::HistoryPane(std::chrono::seconds span, QWidget *parent)
    : QTabWidget(parent)
{
    auto *chartPage = new QWidget(this);
    auto *layout = new QVBoxLayout(chartPage);
    layout->setContentsMargins(2, 2, 2, 2);
    auto *controls = new QHBoxLayout;
    m_span = new QComboBox(chartPage);
    m_span->setObjectName(QStringLiteral("span"));
    for (const int seconds : SpanChoices)
        m_span->addItem(tr("last %1").arg(spanName(std::chrono::seconds(seconds))), seconds);
    m_chart = new LeadershipChart(chartPage);
    m_chart->setSpan(span);
    auto *hint = new QLabel(tr("Wheel over the chart to zoom; hover a marker for the handover, a bar for the term."), chartPage);
    hint->setForegroundRole(QPalette::PlaceholderText);
    controls->addWidget(m_span);
    controls->addWidget(hint, 1);
    layout->addLayout(controls);
    layout->addWidget(m_chart, 1);
    connect(m_chart, &LeadershipChart::spanChanged, this, &HistoryPane::showSpan);
    connect(m_span, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index >= 0)
            m_chart->setSpan(std::chrono::seconds(m_span->itemData(index).toInt()));
    });
    addTab(chartPage, tr("Leadership"));
    m_timeline = makeTable(this);
    m_timeline->setObjectName(QStringLiteral("timeline"));
    addTab(m_timeline, tr("Handovers"));
    showSpan(m_chart->span());
}

void HistoryPane::setTimelineModel(QAbstractItemModel *model)
{
    m_timeline->setModel(model);
    m_timeline->setColumnWidth(TimelineModel::TimeColumn, 190);
    m_timeline->setColumnWidth(TimelineModel::ElectionColumn, 220);
}

// The box shows the span: one of its choices, or the zoomed span as its placeholder.
void HistoryPane::showSpan(std::chrono::seconds span)
{
    const int at = m_span->findData(int(span.count()));
    const QSignalBlocker quiet(m_span);
    if (at >= 0) {
        m_span->setCurrentIndex(at);
    } else {
        m_span->setCurrentIndex(-1);
        m_span->setPlaceholderText(tr("last %1").arg(spanName(span)));
    }
    Q_EMIT spanChanged(span);
}

} // namespace Monitor
