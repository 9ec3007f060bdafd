#pragma once

// How each status looks, in the list, the detail header and the status bar: one colour and one
// icon per status, readable on light and dark palettes.

#include "electionhealth.h"

#include <QtGui/QColor>
#include <QtGui/QIcon>

QT_BEGIN_NAMESPACE
class QPalette;
QT_END_NAMESPACE

namespace Monitor {

QColor statusColor(Status status);
//! A wash of the status colour over \a palette's base, for a table cell (invalid: none).
QColor statusTint(Status status, const QPalette &palette);
QIcon statusIcon(Status status);
//! The bundled SVG of the status icon (":/icons/status-….svg"), for rich text.
QString statusIconPath(Status status);
//! An icon from the desktop theme, or the bundled SVG (":/icons/<fallback>.svg") without one.
QIcon themedIcon(const char *themeName, const char *fallback);
//! All statuses, mildest first.
inline constexpr Status AllStatuses[] = {Status::Healthy, Status::LeaseLow, Status::Flapping,
                                         Status::NoLeader, Status::Anomaly, Status::Stale};

} // namespace Monitor
