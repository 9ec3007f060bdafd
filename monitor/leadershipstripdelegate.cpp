#include "leadershipstripdelegate.h"

#include "electionlistmodel.h"
#include "format.h"
#include "historystore.h"
#include "leadershipchart.h"

#include <conclave/electiondirectory.h>

#include <QtGui/QHelpEvent>
#include <QtGui/QPainter>
#include <QtWidgets/QAbstractItemView>
#include <QtWidgets/QApplication>
#include <QtWidgets/QToolTip>

namespace Monitor {

LeadershipStripDelegate::LeadershipStripDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{
}

void LeadershipStripDelegate::setSources(Conclave::ElectionDirectory *directory, HistoryStore *history)
{
    m_directory = directory;
    m_history = history;
}

LeadershipPicture LeadershipStripDelegate::pictureOf(const QString &election) const
{
    return pictureNow(m_directory, m_history, election, m_span);
}

QString LeadershipStripDelegate::summary(const QString &election) const
{
    const LeadershipPicture p = pictureOf(election);
    int changes = 0;
    for (const Conclave::Handover &h : p.markers)
        if (h.previous.isValid()) // a leader went (a first leader is no change)
            ++changes;
    QString text = changes == 1 ? tr("1 change of leader") : tr("%1 changes of leader").arg(changes);
    const qint64 leaderless = p.leaderlessMs();
    if (leaderless > 0)
        text += tr(", no leader for %1").arg(formatDuration(leaderless));
    text += tr(" in the last %1").arg(spanName(m_span));
    if (!p.markers.isEmpty())
        text += tr("\nlast: %1").arg(describeHandover(p.markers.last()));
    return text;
}

void LeadershipStripDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    QStyle *style = opt.widget ? opt.widget->style() : QApplication::style();
    style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, painter, opt.widget); // selection, alternate rows
    const LeadershipPicture p = pictureOf(index.data(ElectionListModel::ElectionRole).toString());
    const QRect bar = option.rect.adjusted(3, 5, -3, -5);
    const qint64 total = p.from.msecsTo(p.to);
    if (total <= 0 || bar.width() < 4)
        return;
    auto xOf = [&](const QDateTime &t) {
        return bar.left() + int(double(std::clamp(p.from.msecsTo(t), qint64(0), total)) / double(total) * bar.width());
    };
    painter->save();
    painter->fillRect(bar, option.palette.color(QPalette::Midlight));
    for (const LeadershipSpan &s : p.spans)
        painter->fillRect(QRect(QPoint(xOf(s.start), bar.top()), QPoint(std::max(xOf(s.end), xOf(s.start) + 1), bar.bottom())),
                          laneColor(s.id));
    for (const LeadershipGap &g : p.gaps)
        painter->fillRect(QRect(QPoint(xOf(g.start), bar.top()), QPoint(std::max(xOf(g.end), xOf(g.start) + 1), bar.bottom())),
                          QColor(220, 40, 40));
    painter->setPen(option.palette.color(QPalette::Text));
    for (const Conclave::Handover &h : p.markers)
        if (h.previous.isValid())
            painter->drawLine(xOf(h.at), option.rect.top() + 2, xOf(h.at), option.rect.bottom() - 2);
    painter->restore();
}

QSize LeadershipStripDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    return QStyledItemDelegate::sizeHint(option, index).expandedTo(QSize(160, 0));
}

bool LeadershipStripDelegate::helpEvent(QHelpEvent *event, QAbstractItemView *view, const QStyleOptionViewItem &option,
                                        const QModelIndex &index)
{
    if (event->type() != QEvent::ToolTip || !index.isValid())
        return QStyledItemDelegate::helpEvent(event, view, option, index);
    QToolTip::showText(event->globalPos(), summary(index.data(ElectionListModel::ElectionRole).toString()), view);
    return true;
}

} // namespace Monitor
