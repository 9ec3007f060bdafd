#include "etcdmembers.h"

#include "statusstyle.h"

#include <QtGui/QBrush>
#include <QtGui/QFont>

namespace Monitor {

QString leaderStateName(Conclave::ClusterStatus::LeaderState state)
{
    switch (state) {
    case Conclave::ClusterStatus::LeaderState::HasLeader: return QStringLiteral("has_leader");
    case Conclave::ClusterStatus::LeaderState::NoLeader: return QStringLiteral("no_leader");
    case Conclave::ClusterStatus::LeaderState::Unknown: break;
    }
    return QStringLiteral("unknown");
}

QString memberLabel(const Conclave::MemberStatus &member)
{
    return member.name.isEmpty() ? member.endpoint.toString() : member.name;
}

QString formatBytes(qint64 bytes)
{
    if (bytes < 0)
        return {};
    if (bytes < 1024)
        return QStringLiteral("%1 B").arg(bytes);
    if (bytes < 1024 * 1024)
        return QStringLiteral("%1 KiB").arg(double(bytes) / 1024.0, 0, 'f', 1);
    if (bytes < qint64(1024) * 1024 * 1024)
        return QStringLiteral("%1 MiB").arg(double(bytes) / 1024.0 / 1024.0, 0, 'f', 1);
    return QStringLiteral("%1 GiB").arg(double(bytes) / 1024.0 / 1024.0 / 1024.0, 0, 'f', 2);
}

QJsonArray membersJson(const Conclave::ClusterStatus &cluster)
{
    QJsonArray out;
    const bool leaderKnown = cluster.leaderState() != Conclave::ClusterStatus::LeaderState::Unknown;
    for (const Conclave::MemberStatus &m : cluster.members()) {
        out.append(QJsonObject{
                {QStringLiteral("name"), m.name},
                {QStringLiteral("id"), m.id ? QJsonValue(QString::number(m.id, 16)) : QJsonValue()},
                {QStringLiteral("endpoint"), m.endpoint.toString()},
                {QStringLiteral("version"), m.version.isEmpty() ? QJsonValue() : QJsonValue(m.version)},
                {QStringLiteral("is_leader"), leaderKnown ? QJsonValue(m.isLeader) : QJsonValue()},
                {QStringLiteral("db_size"), m.dbSize >= 0 ? QJsonValue(m.dbSize) : QJsonValue()},
                {QStringLiteral("raft_term"), m.raftTerm >= 0 ? QJsonValue(m.raftTerm) : QJsonValue()},
                {QStringLiteral("reachable"), m.reachable},
                {QStringLiteral("problem"), m.problem.isEmpty() ? QJsonValue() : QJsonValue(m.problem)},
        });
    }
    return out;
}

void addClusterTo(QJsonObject *snapshot, const Conclave::ClusterStatus &cluster)
{
    snapshot->insert(QStringLiteral("members"), membersJson(cluster));
    snapshot->insert(QStringLiteral("etcd_leader"), leaderStateName(cluster.leaderState()));
    snapshot->insert(QStringLiteral("etcd_problem"), cluster.problem().isEmpty() ? QJsonValue() : QJsonValue(cluster.problem()));
}

QString clusterWarning(const Conclave::ClusterStatus &cluster)
{
    if (!cluster.updatedAt().isValid())
        return {};
    QStringList down;
    for (const Conclave::MemberStatus &m : cluster.members())
        if (!m.reachable)
            down << memberLabel(m);
    QStringList parts;
    if (cluster.leaderState() == Conclave::ClusterStatus::LeaderState::NoLeader)
        parts << QStringLiteral("etcd has no raft leader (no quorum?): elections cannot change");
    if (!down.isEmpty())
        parts << (down.size() == 1 ? QStringLiteral("etcd member %1 is down").arg(down.first())
                                   : QStringLiteral("etcd members %1 are down").arg(down.join(QStringLiteral(", "))));
    return parts.join(QStringLiteral("; "));
}

MemberModel::MemberModel(Conclave::ClusterStatus *cluster, QObject *parent)
    : QAbstractTableModel(parent)
    , m_cluster(cluster)
{
    connect(cluster, &Conclave::ClusterStatus::updated, this, &MemberModel::reload);
    reload();
}

void MemberModel::reload()
{
    const QList<Conclave::MemberStatus> members = m_cluster ? m_cluster->members() : QList<Conclave::MemberStatus>();
    if (members.size() != m_rows.size()) {
        beginResetModel();
        m_rows = members;
        endResetModel();
        return;
    }
    m_rows = members;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

int MemberModel::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }
int MemberModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant MemberModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *const names[] = {"Member", "Endpoint", "Version", "Raft", "DB size", "Term", "State"};
    return section >= 0 && section < ColumnCount ? QString::fromLatin1(names[section]) : QVariant();
}

QVariant MemberModel::text(const Conclave::MemberStatus &m, int column) const
{
    const bool leaderKnown = m_cluster && m_cluster->leaderState() != Conclave::ClusterStatus::LeaderState::Unknown;
    switch (column) {
    case NameColumn: return m.name.isEmpty() ? QStringLiteral("(unnamed)") : m.name;
    case EndpointColumn: return m.endpoint.toString();
    case VersionColumn: return m.version;
    case RaftColumn: return !m.reachable || !leaderKnown ? QString() : m.isLeader ? QStringLiteral("leader") : QStringLiteral("follower");
    case DbSizeColumn: return formatBytes(m.dbSize);
    case TermColumn: return m.raftTerm >= 0 ? QString::number(m.raftTerm) : QString();
    case StateColumn: return !m.reachable ? QStringLiteral("down") : m.problem.isEmpty() ? QStringLiteral("ok") : m.problem;
    }
    return {};
}

QVariant MemberModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Conclave::MemberStatus &m = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return text(m, index.column());
    case Qt::ToolTipRole:
        return m.problem.isEmpty() ? QVariant() : QVariant(m.problem);
    case Qt::ForegroundRole:
        return !m.reachable ? QVariant(QBrush(statusColor(Status::Anomaly))) : QVariant();
    case Qt::FontRole:
        if (m.isLeader) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        return {};
    }
    return {};
}

} // namespace Monitor
