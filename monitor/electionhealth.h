#pragma once

// How healthy one election looks, from what an ElectionDirectory knows: the status column of
// the elections list and the anomalies the detail view lists.

#include <QtCore/QString>
#include <QtCore/QStringList>

#include <chrono>

namespace Conclave {
class ElectionDirectory;
}

namespace Monitor {

//! In rising order of severity. Stale is the view's state (etcd not answering, or listing
//! again), which the list shows for every election; assess() never returns it.
enum class Status { Healthy, LeaseLow, Flapping, NoLeader, Anomaly, Stale };

//! How many handovers within how many seconds make an election flapping (default 3 in 60 s).
struct FlapRule
{
    int handovers = 3;
    int seconds = 60;
    //! "N/SECONDS" (e.g. "3/60"); false with a message if it is not one.
    static bool parse(const QString &text, FlapRule *rule, QString *problem);
};
//! Whether \a election's leader changed \a rule.handovers times within \a rule.seconds, as the
//! directory's history says (a first leader is no change).
bool isFlapping(const Conclave::ElectionDirectory &directory, const QString &election, const FlapRule &rule);

struct Health
{
    Status status = Status::Healthy;
    QStringList anomalies; //!< one sentence each
};

QString statusName(Status status);
//! How long a leader may lead without saying it is ready before its election is an anomaly.
inline constexpr std::chrono::seconds DefaultNotReadyLimit{60};

//! What the window, --once and the exporter judge an election by (one set for all three).
struct HealthRules
{
    FlapRule flap;                                          //!< --flap-threshold
    std::chrono::seconds notReadyLimit = DefaultNotReadyLimit; //!< --not-ready-limit
};
/*!
 * Anomaly: the first candidate's lease is gone (no live leader while candidates exist), a
 * candidate's lease is gone, keys whose lease does not match their suffix, an id campaigning
 * twice. NoLeader: no candidates. LeaseLow: the leader's remaining TTL is below a third of
 * its granted TTL (keepalives normally keep it above two thirds). Flapping: the leader changed
 * \a rules.flap (as this directory saw it); also an anomaly sentence, and the status unless
 * another anomaly outranks it. A leader that has led for \a rules.notReadyLimit or longer
 * without saying it is ready (LeaderInfo::isReady()) is an anomaly.
 */
Health assess(const Conclave::ElectionDirectory &directory, const QString &election, const HealthRules &rules = {});

} // namespace Monitor
