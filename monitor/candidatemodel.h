#pragma once

#include <conclave/leaderinfo.h>

#include <QtCore/QAbstractTableModel>
#include <QtCore/QPointer>

namespace Conclave {
class ElectionDirectory;
struct LeaseStatus;
}

namespace Monitor {

//! The candidates of one election in queue order (leader first), then its stray keys.
class CandidateModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { PositionColumn, RoleColumn, IdColumn, AddressColumn, DetailsColumn, LeaseColumn,
                  TtlColumn, FencingColumn, JoinedColumn, ColumnCount };
    enum Role { TtlFractionRole = Qt::UserRole + 1, IsStrayRole, IsLeaderRole };

    explicit CandidateModel(Conclave::ElectionDirectory *directory, QObject *parent = nullptr);

    QString election() const { return m_election; }
    void setElection(const QString &election);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    Conclave::LeaderInfo candidateAt(int row) const;
    bool isStray(int row) const { return row >= m_candidates; }
    void refreshLiveColumns();

private:
    void reload();
    bool stale() const;
    QVariant text(const Conclave::LeaderInfo &candidate, const QModelIndex &index, int role,
                  const Conclave::LeaseStatus &lease) const;

    QPointer<Conclave::ElectionDirectory> m_directory;
    QString m_election;
    QList<Conclave::LeaderInfo> m_rows;
    int m_candidates = 0;
};

} // namespace Monitor
