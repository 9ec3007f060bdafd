#pragma once

// conclave-monitor without a window, and the window rendered to a file: each mode waits on the
// directory's and the window's signals, bounded by a deadline, and returns the exit code
// (0 done, 1 failed, 2 bad usage).

#include "electionhealth.h"

#include <conclave/clusterstatus.h>
#include <conclave/electiondirectory.h>

#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QString>

namespace Monitor {

class AuditLog;
struct AuditEntry;
class MainWindow;

namespace Cli {

//! Prints "conclave-monitor: message" to stderr and returns \a code.
int fail(const QString &message, int code = 1);
/*!
 * Starts \a dir and waits until it has listed every election and, with \a withLeases, read
 * every candidate's lease; at most \a timeoutMs. Returns why it could not, empty on success.
 */
QString load(Conclave::ElectionDirectory &dir, int timeoutMs, bool withLeases);
//! Starts \a cluster and waits for its first reading, at most \a timeoutMs; false if none came.
bool loadCluster(Conclave::ClusterStatus &cluster, int timeoutMs);
//! One snapshot of a loaded directory on stdout, as text or JSON (with \a cluster's members if given).
int runOnce(const Conclave::ElectionDirectory &dir, bool json, const QList<Conclave::Handover> &history = {},
            const HealthRules &rules = {}, const Conclave::ClusterStatus *cluster = nullptr);
//! Resigns the leader of \a election (guarded) and reports the next leader. The outcome of an
//! attempt is appended to \a audit (\a entry gives the cluster).
int runResign(Conclave::ElectionDirectory &dir, const QString &election, int timeoutS, AuditLog *audit,
              const AuditEntry &entry);
//! Asks the leader of \a election to hand over to \a candidateId; 0 once it leads. Audited too.
int runTransfer(Conclave::ElectionDirectory &dir, const QString &election, const QString &candidateId, int timeoutS,
                AuditLog *audit, const AuditEntry &entry);
//! Renders \a window to \a file once its data is complete and \a afterS more seconds passed.
int runScreenshot(MainWindow &window, const QString &file, double afterS, int timeoutS);
//! The text form of a snapshot (Monitor::snapshot()).
QString textSnapshot(const QJsonObject &snapshot);

} // namespace Cli
} // namespace Monitor
