#pragma once

// The etcd cluster beneath the elections, as the monitor shows it everywhere: the members'
// JSON (--once --json "members"), their text, the one warning line, and the table of the window.

#include <conclave/clusterstatus.h>

#include <QtCore/QAbstractTableModel>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonObject>
#include <QtCore/QPointer>

namespace Monitor {

//! "has_leader", "no_leader", "unknown".
QString leaderStateName(Conclave::ClusterStatus::LeaderState state);
//! A member's name, or its endpoint when it has none (not listed, not started).
QString memberLabel(const Conclave::MemberStatus &member);
//! "20.0 KiB", "1.5 MiB"; "" for -1.
QString formatBytes(qint64 bytes);
/*!
 * [{"name","id","endpoint","version","is_leader","db_size","raft_term","reachable","problem"}]:
 * numbers not read are null, id in hex as etcdctl prints it.
 */
QJsonArray membersJson(const Conclave::ClusterStatus &cluster);
//! What --once --json adds: "members", "etcd_leader" (leaderStateName), "etcd_problem" (text or null).
void addClusterTo(QJsonObject *snapshot, const Conclave::ClusterStatus &cluster);
/*!
 * One sentence when an operator should look at etcd: a member down, no raft leader; empty
 * otherwise (also when the status may not be read: that is said per member, not warned of).
 */
QString clusterWarning(const Conclave::ClusterStatus &cluster);

//! The members, one row each, for the window.
class MemberModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, EndpointColumn, VersionColumn, RaftColumn, DbSizeColumn, TermColumn, StateColumn, ColumnCount };

    explicit MemberModel(Conclave::ClusterStatus *cluster, QObject *parent = nullptr);
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    void reload();
    QVariant text(const Conclave::MemberStatus &member, int column) const;

    QPointer<Conclave::ClusterStatus> m_cluster;
    QList<Conclave::MemberStatus> m_rows;
};

} // namespace Monitor
