#include "snapshot.h"

#include "historystore.h"

#include "electionhealth.h"
#include "format.h"

#include <conclave/electiondirectory.h>

#include <QtCore/QJsonArray>

namespace Monitor {

QJsonObject snapshot(const Conclave::ElectionDirectory &directory, const HealthRules &rules)
{
    QJsonArray elections;
    const QStringList names = directory.elections();
    for (const QString &name : names) {
        const QList<Conclave::LeaderInfo> candidates = directory.candidates(name);
        QJsonArray rows;
        for (int i = 0; i < candidates.size(); ++i) {
            const Conclave::LeaderInfo &c = candidates.at(i);
            const Conclave::LeaseStatus lease = directory.leaseStatus(c.leaseId());
            QJsonValue ttl, granted;
            if (lease.state == Conclave::LeaseStatus::State::Alive) {
                ttl = qRound64(double(lease.remaining.count()) / 1000.0);
                granted = qint64(lease.grantedTtl.count());
            } else if (lease.state == Conclave::LeaseStatus::State::Gone) {
                ttl = -1;
            }
            rows.append(QJsonObject{
                    {QStringLiteral("key"), QString::fromUtf8(c.key())},
                    {QStringLiteral("id"), c.id()},
                    {QStringLiteral("host"), c.host().isEmpty() ? QJsonValue() : QJsonValue(c.host())},
                    {QStringLiteral("port"), c.port() > 0 ? QJsonValue(c.port()) : QJsonValue()},
                    {QStringLiteral("value"), QString::fromUtf8(c.value())},
                    {QStringLiteral("lease"), leaseHex(c.leaseId())},
                    {QStringLiteral("ttl"), ttl},
                    {QStringLiteral("granted_ttl"), granted},
                    {QStringLiteral("fencing"), c.fencingToken()},
                    {QStringLiteral("role"), i == 0 ? QStringLiteral("leader") : QStringLiteral("follower")},
                    {QStringLiteral("ready"), c.isReady()},
                    {QStringLiteral("status_text"), c.statusText().isEmpty() ? QJsonValue() : QJsonValue(c.statusText())},
            });
        }
        const Health health = assess(directory, name, rules);
        elections.append(QJsonObject{
                {QStringLiteral("name"), name},
                {QStringLiteral("leader"), candidates.isEmpty() ? QJsonValue() : QJsonValue(candidates.first().id())},
                {QStringLiteral("leader_ready"), candidates.isEmpty() ? QJsonValue() : QJsonValue(candidates.first().isReady())},
                {QStringLiteral("status"), statusName(health.status)},
                {QStringLiteral("anomalies"), QJsonArray::fromStringList(health.anomalies)},
                {QStringLiteral("candidates"), rows},
        });
    }
    return QJsonObject{
            {QStringLiteral("revision"), directory.revision()},
            {QStringLiteral("etcd_version"), directory.serverVersion()},
            {QStringLiteral("elections"), elections},
    };
}

QJsonObject snapshot(const Conclave::ElectionDirectory &directory, const QList<Conclave::Handover> &history,
                     const HealthRules &rules)
{
    QJsonObject snap = snapshot(directory, rules);
    QJsonArray kept;
    for (const Conclave::Handover &h : history)
        kept.append(HistoryStore::toJson(h));
    snap.insert(QStringLiteral("history"), kept);
    return snap;
}

} // namespace Monitor
