#pragma once

#include <QtCore/QJsonObject>

namespace Conclave {
class ElectionDirectory;
}

namespace Monitor {

/*!
 * What `conclave-monitor --once --json` prints:
 * {"revision":N,"etcd_version":V,"elections":[{"name":…,"leader":ID|null,
 *  "status":…,"anomalies":[…],"candidates":[{"key":…,"id":…,"host":…,"port":…,"value":…,
 *  "lease":"<hex>","ttl":N|null,"granted_ttl":N|null,"fencing":N,"role":"leader"|"follower"}]}]}
 * ttl is whole seconds left (-1: lease gone, null: not read).
 */
QJsonObject snapshot(const Conclave::ElectionDirectory &directory);

} // namespace Monitor
