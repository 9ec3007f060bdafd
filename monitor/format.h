#pragma once

#include <conclave/electiondirectory.h>

#include <QtCore/QDateTime>
#include <QtCore/QString>

namespace Monitor {

//! "850 ms", "12.4 s", "3 min 5 s", "2 h 10 min".
QString formatDuration(qint64 ms);
//! "7.2 s of 10 s", "gone", "…" (not read yet).
QString formatTtl(const Conclave::LeaseStatus &status);
//! remaining / granted in [0, 1]; -1 when unknown.
double ttlFraction(const Conclave::LeaseStatus &status);
//! Lease ids in lowercase hex, the way candidate keys spell them.
QString leaseHex(qint64 lease);
//! Time since \a since, or "" when invalid.
QString age(const QDateTime &since);

} // namespace Monitor
