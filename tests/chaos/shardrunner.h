#pragma once

// conclave-chaos --shards N: the campaign at scale. P conclave-shards processes, each one
// Client joined to the same N elections, as the replicas of a sharded service are; one fault
// at a time on a whole process (every election it leads hands over at once) or on etcd. Each
// process's lines are cut into one log per election, which the checker judges exactly as it
// judges one-election candidates (docs/chaos.md).

#include "chaosrunner.h"

namespace Chaos {

//! The fault kinds of a run at scale.
QStringList shardKinds(bool cluster);

//! Runs the campaign; the process exit code (0: no violation, no miss; 130: interrupted).
int runShards(const Options &options, const std::function<bool()> &interrupted);

} // namespace Chaos
