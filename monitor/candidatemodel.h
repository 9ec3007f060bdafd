#pragma once

#include <conclave/leaderinfo.h>

#include <QtCore/QAbstractTableModel>
#include <QtCore/QPointer>
#include <QtCore/QSet>

namespace Conclave {
class ElectionDirectory;
struct LeaseStatus;
}

namespace Monitor {

//! The candidates of one election in queue order (leader first); strays among them are marked.
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
    bool isStray(int row) const { return m_strays.contains(m_rows.value(row).key()); }
    void refreshLiveColumns();

private:
    void reload();
    bool stale() const;
    QVariant text(const Conclave::LeaderInfo &candidate, const QModelIndex &index, int role,
                  const Conclave::LeaseStatus &lease) const;

    QPointer<Conclave::ElectionDirectory> m_directory;
    QString m_election;
    QList<Conclave::LeaderInfo> m_rows;
    QSet<QByteArray> strayKeys(const QString &election) const;
    QSet<QByteArray> m_strays;
};

} // namespace Monitor
