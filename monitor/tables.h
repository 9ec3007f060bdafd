#pragma once

// The one look of the monitor's tables: whole rows selected one at a time, no row numbers,
// alternating rows, no wrapping, the last column taking what is left.

#include <QtCore/qglobal.h>

QT_BEGIN_NAMESPACE
class QTableView;
class QWidget;
QT_END_NAMESPACE

namespace Monitor {

QTableView *makeTable(QWidget *parent);

} // namespace Monitor
