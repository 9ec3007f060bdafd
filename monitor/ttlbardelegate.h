#pragma once

#include <QtWidgets/QStyledItemDelegate>

namespace Monitor {

//! The TTL column as a bar: remaining of granted (CandidateModel::TtlFractionRole), with the
//! figures on it; a plain cell where the fraction is unknown (negative).
class TtlBarDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
};

} // namespace Monitor
