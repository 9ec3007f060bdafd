#pragma once

// A LeaderInfo as a plain JavaScript object for QML: {id, host, port, attributes, key, leaseId
// (hex), fencingToken, since, ready, statusText, valid}. Maps need no value-type registration and read
// the same in every QML engine since 6.4.

#include <conclave/leaderinfo.h>

#include <QtCore/QVariantList>
#include <QtCore/QVariantMap>

namespace Conclave::Qml {

QVariantMap leaderMap(const Conclave::LeaderInfo &info);
QVariantList leaderMaps(const QList<Conclave::LeaderInfo> &infos);

} // namespace Conclave::Qml
