#include "leadermap.h"

namespace Conclave::Qml {

QVariantMap leaderMap(const Conclave::LeaderInfo &info)
{
    if (!info.isValid())
        return {{QStringLiteral("valid"), false}};
    return {
        {QStringLiteral("valid"), true},
        {QStringLiteral("id"), info.id()},
        {QStringLiteral("host"), info.host()},
        {QStringLiteral("port"), info.port()},
        {QStringLiteral("attributes"), info.attributes()},
        {QStringLiteral("key"), QString::fromUtf8(info.key())},
        // In hex, as etcd and the keys show it (a JavaScript number would round a 64-bit id).
        {QStringLiteral("leaseId"), QString::number(quint64(info.leaseId()), 16)},
        {QStringLiteral("fencingToken"), info.fencingToken()},
        {QStringLiteral("since"), info.since()},
        {QStringLiteral("ready"), info.isReady()},
        {QStringLiteral("statusText"), info.statusText()},
    };
}

QVariantList leaderMaps(const QList<Conclave::LeaderInfo> &infos)
{
    QVariantList maps;
    maps.reserve(infos.size());
    for (const Conclave::LeaderInfo &info : infos)
        maps.append(leaderMap(info));
    return maps;
}

} // namespace Conclave::Qml
