#include "etcdmembersview.h"

#include "etcdmembers.h"
#include "statusstyle.h"
#include "tables.h"

#include <conclave/clusterstatus.h>

#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QTableView>
#include <QtWidgets/QVBoxLayout>

namespace Monitor {

EtcdMembersView::EtcdMembersView(QWidget *parent)
    : QWidget(parent)
    , m_summary(new QLabel(this))
    , m_warning(new QLabel(this))
    , m_table(makeTable(this))
{
    setObjectName(QStringLiteral("etcdMembers"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    m_summary->setObjectName(QStringLiteral("etcdSummary"));
    m_warning->setObjectName(QStringLiteral("etcdWarning"));
    m_warning->setWordWrap(true);
    m_warning->setStyleSheet(QStringLiteral("color: %1; font-weight: bold").arg(statusColor(Status::Anomaly).name()));
    m_warning->hide();
    m_table->setObjectName(QStringLiteral("members"));
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    layout->addWidget(m_summary);
    layout->addWidget(m_warning);
    layout->addWidget(m_table, 1);
}

void EtcdMembersView::setCluster(Conclave::ClusterStatus *cluster)
{
    delete m_model;
    m_model = nullptr;
    m_cluster = cluster;
    if (cluster) {
        m_model = new MemberModel(cluster, this);
        connect(cluster, &Conclave::ClusterStatus::updated, this, &EtcdMembersView::update);
    }
    m_table->setModel(m_model);
    update();
}

QString EtcdMembersView::summary() const { return m_summary->text(); }
QString EtcdMembersView::warning() const { return m_warning->isHidden() ? QString() : m_warning->text(); }

void EtcdMembersView::update()
{
    if (!m_cluster || !m_cluster->updatedAt().isValid()) {
        m_summary->setText(tr("etcd members: not read yet"));
        m_warning->hide();
        return;
    }
    const QList<Conclave::MemberStatus> members = m_cluster->members();
    QString leader = tr("raft leader unknown");
    if (m_cluster->leaderState() == Conclave::ClusterStatus::LeaderState::NoLeader)
        leader = tr("no raft leader");
    for (const Conclave::MemberStatus &m : members)
        if (m.isLeader)
            leader = tr("raft leader %1").arg(memberLabel(m));
    m_summary->setText((members.size() == 1 ? tr("etcd: 1 member, %1") : tr("etcd: %1 members, %2").arg(members.size()))
                               .arg(leader));
    m_summary->setToolTip(m_cluster->problem());
    const QString warning = clusterWarning(*m_cluster);
    m_warning->setText(QStringLiteral("⚠ ") + warning);
    m_warning->setVisible(!warning.isEmpty());
    for (int column = 0; column < MemberModel::StateColumn; ++column)
        m_table->resizeColumnToContents(column); // the state (the last) takes what is left, elided
    // Every member in view without scrolling (up to seven; a larger cluster scrolls).
    const int rows = int(qMin<qsizetype>(members.size(), 7));
    const int rowHeight = m_table->verticalHeader()->defaultSectionSize();
    m_table->setFixedHeight(m_table->horizontalHeader()->sizeHint().height() + rows * rowHeight + 2 * m_table->frameWidth());
}

} // namespace Monitor
