#pragma once

#include "electionhealth.h"

#include <QtCore/QJsonObject>
#include <QtCore/QList>

namespace Conclave {
class ElectionDirectory;
struct Handover;
}

namespace Monitor {

/*!
 * What `conclave-monitor --once --json` prints (with "history":[…], the second overload):
 * {"revision":N,"etcd_version":V,"elections":[{"name":…,"leader":ID|null,
 *  "status":…,"anomalies":[…],"candidates":[{"key":…,"id":…,"host":…,"port":…,"value":…,
 *  "lease":"<hex>","ttl":N|null,"granted_ttl":N|null,"fencing":N,"role":"leader"|"follower"}]}]}
 * ttl is whole seconds left (-1: lease gone, null: not read).
 */
QJsonObject snapshot(const Conclave::ElectionDirectory &directory, const HealthRules &rules = {});
//! The same with "history": the handovers kept across restarts (HistoryStore), oldest first.
QJsonObject snapshot(const Conclave::ElectionDirectory &directory, const QList<Conclave::Handover> &history,
                     const HealthRules &rules = {});

} // namespace Monitor
