#include "ttlbardelegate.h"

#include "candidatemodel.h"

#include <QtGui/QPainter>
#include <QtGui/QPainterPath>
#include <QtWidgets/QApplication>

namespace Monitor {

namespace {

// The status column's rule: green above a third (keepalives renew at about two thirds left, so
// a healthy lease swings between full and two thirds), amber below ("leader lease low"), red
// in the last sixth.
QColor barColor(double fraction)
{
    if (fraction >= 1.0 / 3.0)
        return QColor(0x43, 0xa0, 0x47);
    if (fraction >= 1.0 / 6.0)
        return QColor(0xf9, 0xa8, 0x25);
    return QColor(0xe5, 0x39, 0x35);
}

} // namespace

// Painted by hand rather than as a style's progress bar: styles draw the text beside the bar
// when it does not fit, and "4.2 s of 6 s" then spilled out of the cell. Here the text is
// always inside: the full form, the short one ("4.2/6 s"), or elided.
void TtlBarDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                           const QModelIndex &index) const
{
    const double fraction = index.data(CandidateModel::TtlFractionRole).toDouble();
    if (fraction < 0) {
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    opt.text.clear();
    QStyle *style = option.widget ? option.widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, option.widget); // background, selection

    const QRect frame = option.rect.adjusted(3, 3, -3, -3);
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    QPainterPath outline;
    outline.addRoundedRect(QRectF(frame).adjusted(0.5, 0.5, -0.5, -0.5), 3, 3);
    painter->fillPath(outline, option.palette.color(QPalette::Base));
    painter->setClipPath(outline);
    QRect filled = frame;
    filled.setWidth(int(frame.width() * std::clamp(fraction, 0.0, 1.0)));
    painter->fillRect(filled, barColor(fraction));
    painter->setClipping(false);
    painter->setPen(option.palette.color(QPalette::Mid));
    painter->drawPath(outline);

    const QString full = index.data().toString();
    const QFontMetrics fm(option.font);
    const int room = frame.width() - 6;
    QString text = full;
    if (fm.horizontalAdvance(text) > room) {
        // "4.2 s of 6 s" → "4.2/6 s"
        QString shorter = full;
        shorter.replace(QStringLiteral(" s of "), QStringLiteral("/"));
        text = fm.horizontalAdvance(shorter) <= room ? shorter : fm.elidedText(shorter, Qt::ElideRight, room);
    }
    // Dark text on the bright bar, the palette's text on the empty part: draw it twice, clipped.
    painter->setFont(option.font);
    painter->setClipRect(filled);
    painter->setPen(Qt::black);
    painter->drawText(frame, Qt::AlignCenter, text);
    painter->setClipRect(QRect(QPoint(filled.right() + 1, frame.top()), frame.bottomRight()));
    painter->setPen(option.palette.color(QPalette::Text));
    painter->drawText(frame, Qt::AlignCenter, text);
    painter->restore();
}

} // namespace Monitor
