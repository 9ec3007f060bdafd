#include "electionhealth.h"

#include <conclave/electiondirectory.h>

#include <QtCore/QHash>

namespace Monitor {

using Conclave::LeaseStatus;

QString statusName(Status status)
{
    switch (status) {
    case Status::Healthy: return QStringLiteral("healthy");
    case Status::LeaseLow: return QStringLiteral("leader lease low");
    case Status::NoLeader: return QStringLiteral("no leader");
    case Status::Flapping: return QStringLiteral("flapping");
    case Status::Anomaly: return QStringLiteral("anomaly");
    case Status::Stale: return QStringLiteral("stale");
    }
    return {};
}

bool FlapRule::parse(const QString &text, FlapRule *rule, QString *problem)
{
    const QStringList parts = text.split(QLatin1Char('/'));
    bool okN = false;
    bool okS = false;
    const int n = parts.size() == 2 ? parts[0].toInt(&okN) : 0;
    const int s = parts.size() == 2 ? parts[1].toInt(&okS) : 0;
    if (!okN || !okS || n < 2 || s < 1) {
        *problem = QStringLiteral("--flap-threshold must be HANDOVERS/SECONDS with at least 2 handovers and 1 second (e.g. 3/60), not \"%1\"").arg(text);
        return false;
    }
    rule->handovers = n;
    rule->seconds = s;
    return true;
}

bool isFlapping(const Conclave::ElectionDirectory &directory, const QString &election, const FlapRule &rule)
{
    QList<QDateTime> moves;
    for (const Conclave::Handover &handover : directory.history(election))
        if (handover.previous.isValid())
            moves.append(handover.at);
    return moves.size() >= rule.handovers
            && moves.at(moves.size() - rule.handovers).secsTo(QDateTime::currentDateTimeUtc()) < rule.seconds;
}

Health assess(const Conclave::ElectionDirectory &directory, const QString &election, const HealthRules &rules)
{
    Health h;
    const QList<Conclave::LeaderInfo> candidates = directory.candidates(election);
    if (candidates.isEmpty())
        h.status = Status::NoLeader;

    QHash<QString, int> ids;
    for (int i = 0; i < candidates.size(); ++i) {
        const Conclave::LeaderInfo &c = candidates.at(i);
        ++ids[c.id()];
        if (directory.leaseStatus(c.leaseId()).state == LeaseStatus::State::Gone)
            h.anomalies << (i == 0 ? QStringLiteral("no live leader: the first candidate's lease %1 is gone but its key %2 remains")
                                   : QStringLiteral("candidate %3's lease %1 is gone but its key %2 remains"))
                                   .arg(QString::number(c.leaseId(), 16), QString::fromUtf8(c.key()), c.id());
    }
    for (auto it = ids.cbegin(); it != ids.cend(); ++it)
        if (it.value() > 1)
            h.anomalies << QStringLiteral("id \"%1\" campaigns %2 times").arg(it.key()).arg(it.value());
    const QList<Conclave::LeaderInfo> strays = directory.strays(election);
    for (const Conclave::LeaderInfo &s : strays)
        h.anomalies << (s.leaseId() == 0
                                ? QStringLiteral("key %1 is on no lease: it holds its place in the queue until it is deleted")
                                          .arg(QString::fromUtf8(s.key()))
                                : QStringLiteral("key %1 is not attached to the lease it names (it is on lease %2)")
                                          .arg(QString::fromUtf8(s.key()), QString::number(s.leaseId(), 16)));
    if (!candidates.isEmpty() && !candidates.first().isReady()) {
        const Conclave::LeaderInfo &leader = candidates.first();
        const qint64 leading = leader.since().isValid() ? leader.since().secsTo(QDateTime::currentDateTimeUtc()) : 0;
        if (leading >= rules.notReadyLimit.count())
            h.anomalies << QStringLiteral("leader %1 has led for %2 s without saying it is ready%3")
                                   .arg(leader.id()).arg(leading)
                                   .arg(leader.statusText().isEmpty() ? QString() : QStringLiteral(" (status: %1)").arg(leader.statusText()));
    }
    if (!h.anomalies.isEmpty()) {
        h.status = Status::Anomaly;
        return h;
    }
    if (isFlapping(directory, election, rules.flap)) {
        h.status = Status::Flapping;
        h.anomalies << QStringLiteral("flapping: %1 changes of leader within %2 s").arg(rules.flap.handovers).arg(rules.flap.seconds);
        return h;
    }
    if (!candidates.isEmpty()) {
        const LeaseStatus lease = directory.leaseStatus(candidates.first().leaseId());
        if (lease.state == LeaseStatus::State::Alive && lease.grantedTtl.count() > 0
            && lease.remaining * 3 < lease.grantedTtl)
            h.status = Status::LeaseLow;
    }
    return h;
}

} // namespace Monitor
