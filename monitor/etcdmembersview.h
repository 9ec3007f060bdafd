#pragma once

#include <QtCore/QPointer>
#include <QtWidgets/QWidget>

QT_BEGIN_NAMESPACE
class QLabel;
class QTableView;
QT_END_NAMESPACE

namespace Conclave {
class ClusterStatus;
}

namespace Monitor {

class MemberModel;

/*!
 * The etcd cluster under the elections list: one line ("etcd: 3 members, raft leader m1"), a
 * warning in red when a member is down or there is no raft leader, and a row per member
 * (endpoint, version, raft role, DB size, term, state; the reason in the tooltip).
 */
class EtcdMembersView : public QWidget
{
    Q_OBJECT
public:
    explicit EtcdMembersView(QWidget *parent = nullptr);
    //! The cluster to show (the window makes a new one per connection); nullptr shows nothing.
    void setCluster(Conclave::ClusterStatus *cluster);
    QString summary() const;
    QString warning() const;
    QTableView *table() const { return m_table; }

private:
    void update();

    QPointer<Conclave::ClusterStatus> m_cluster;
    MemberModel *m_model = nullptr;
    QLabel *m_summary;
    QLabel *m_warning;
    QTableView *m_table;
};

} // namespace Monitor
