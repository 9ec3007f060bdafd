#include "format.h"

namespace Monitor {

QString formatDuration(qint64 ms)
{
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(qMax<qint64>(0, ms));
    if (ms < 60000)
        return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', 1);
    const qint64 s = ms / 1000;
    if (s < 3600)
        return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
    if (s < 86400)
        return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
    return QStringLiteral("%1 d %2 h").arg(s / 86400).arg((s % 86400) / 3600);
}

QString formatTtl(const Conclave::LeaseStatus &status)
{
    switch (status.state) {
    case Conclave::LeaseStatus::State::Unknown: return QStringLiteral("…");
    case Conclave::LeaseStatus::State::Gone: return QStringLiteral("gone");
    case Conclave::LeaseStatus::State::Alive: break;
    }
    return QStringLiteral("%1 s of %2 s")
            .arg(double(status.remaining.count()) / 1000.0, 0, 'f', 1)
            .arg(status.grantedTtl.count());
}

double ttlFraction(const Conclave::LeaseStatus &status)
{
    if (status.state != Conclave::LeaseStatus::State::Alive || status.grantedTtl.count() <= 0)
        return status.state == Conclave::LeaseStatus::State::Gone ? 0.0 : -1.0;
    const std::chrono::duration<double> granted = status.grantedTtl;
    return qBound(0.0, std::chrono::duration<double>(status.remaining) / granted, 1.0);
}

QString leaseHex(qint64 lease)
{
    return lease ? QString::number(quint64(lease), 16) : QStringLiteral("-");
}

QString age(const QDateTime &since)
{
    if (!since.isValid())
        return {};
    return formatDuration(since.msecsTo(QDateTime::currentDateTimeUtc()));
}

} // namespace Monitor
