#include "ttlbardelegate.h"

#include "candidatemodel.h"

#include <QtGui/QPainter>
#include <QtWidgets/QApplication>

namespace Monitor {

void TtlBarDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                           const QModelIndex &index) const
{
    const double fraction = index.data(CandidateModel::TtlFractionRole).toDouble();
    if (fraction < 0) {
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }
    QStyleOptionProgressBar bar;
    static_cast<QStyleOption &>(bar) = option; // palette, font metrics, direction
    bar.rect = option.rect.adjusted(2, 2, -2, -2);
    bar.textAlignment = Qt::AlignCenter;
    bar.minimum = 0;
    bar.maximum = 1000;
    bar.progress = int(fraction * 1000);
    bar.text = index.data().toString();
    bar.textVisible = true;
    bar.state = option.state | QStyle::State_Horizontal;
    painter->save();
    painter->setFont(option.font);
    QStyle *style = option.widget ? option.widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ProgressBar, &bar, painter, option.widget);
    painter->restore();
}

} // namespace Monitor
