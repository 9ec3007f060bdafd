#pragma once

// How healthy one election looks, from what an ElectionDirectory knows: the status column of
// the elections list and the anomalies the detail view lists.

#include <QtCore/QString>
#include <QtCore/QStringList>

namespace Conclave {
class ElectionDirectory;
}

namespace Monitor {

enum class Status { Healthy, LeaseLow, NoLeader, Anomaly };

struct Health
{
    Status status = Status::Healthy;
    QStringList anomalies; //!< one sentence each
};

QString statusName(Status status);
/*!
 * Anomaly: the first candidate's lease is gone (no live leader while candidates exist), a
 * candidate's lease is gone, keys whose lease does not match their suffix, an id campaigning
 * twice. NoLeader: no candidates. LeaseLow: the leader's remaining TTL is below a third of
 * its granted TTL (keepalives normally keep it above two thirds).
 */
Health assess(const Conclave::ElectionDirectory &directory, const QString &election);

} // namespace Monitor
