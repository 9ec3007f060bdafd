#include "statusstyle.h"

#include <QtGui/QPalette>

namespace Monitor {

QColor statusColor(Status status)
{
    switch (status) {
    case Status::Healthy: return QColor(0x2e, 0x7d, 0x32);
    case Status::LeaseLow: return QColor(0xf9, 0xa8, 0x25);
    case Status::Flapping: return QColor(0xef, 0x6c, 0x00);
    case Status::NoLeader: return QColor(0xc6, 0x28, 0x28);
    case Status::Anomaly: return QColor(0xad, 0x14, 0x57);
    case Status::Stale: return QColor(0x9e, 0x9e, 0x9e);
    }
    return {};
}

QColor statusTint(Status status, const QPalette &palette)
{
    if (status == Status::Healthy)
        return {};
    const QColor base = palette.color(QPalette::Base);
    const QColor c = statusColor(status);
    const double a = base.lightness() < 128 ? 0.35 : 0.22; // stronger on dark bases
    return QColor::fromRgbF(float(base.redF() * (1 - a) + c.redF() * a), float(base.greenF() * (1 - a) + c.greenF() * a),
                            float(base.blueF() * (1 - a) + c.blueF() * a));
}

QString statusIconPath(Status status)
{
    switch (status) {
    case Status::Healthy: return QStringLiteral(":/icons/status-healthy.svg");
    case Status::LeaseLow: return QStringLiteral(":/icons/status-lease-low.svg");
    case Status::Flapping: return QStringLiteral(":/icons/status-flapping.svg");
    case Status::NoLeader: return QStringLiteral(":/icons/status-no-leader.svg");
    case Status::Anomaly: return QStringLiteral(":/icons/status-anomaly.svg");
    case Status::Stale: return QStringLiteral(":/icons/status-stale.svg");
    }
    return {};
}

QIcon statusIcon(Status status)
{
    return QIcon(statusIconPath(status));
}

QIcon themedIcon(const char *themeName, const char *fallback)
{
    return QIcon::fromTheme(QString::fromLatin1(themeName),
                            QIcon(QStringLiteral(":/icons/%1.svg").arg(QLatin1String(fallback))));
}

} // namespace Monitor
