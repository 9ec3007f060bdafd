#pragma once

#include "electionhealth.h"

#include <QtCore/QAbstractTableModel>
#include <QtCore/QPointer>

namespace Conclave {
class ElectionDirectory;
}

namespace Monitor {

//! One row per election of an ElectionDirectory, sorted by name; rows are never removed.
class ElectionListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    //! LeadershipColumn has no text: LeadershipStripDelegate paints who led over time there.
    enum Column { NameColumn, StatusColumn, LeaderColumn, CandidatesColumn, LeaderTtlColumn, InOfficeColumn,
                  LeadershipColumn, ColumnCount };
    //! SortRole: what the column sorts by (numbers for TTL and time in office, severity for
    //! status). FilterRole: the election's name, leader and every candidate id, for a filter box.
    enum Role { ElectionRole = Qt::UserRole + 1, StatusRole, StaleRole, SortRole, FilterRole };

    explicit ElectionListModel(Conclave::ElectionDirectory *directory, QObject *parent = nullptr);
    //! What the status column judges by (flapping: default 3 changes in 60 s; not ready: 60 s).
    void setHealthRules(const HealthRules &rules) { m_rules = rules; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    QString electionAt(int row) const;
    int rowOf(const QString &election) const;
    //! Live columns (TTL, time in office, status) change with the clock: call about once a second.
    void refreshLiveColumns();

private:
    void onAdded(const QString &election);
    void onChanged(const QString &election);
    void refreshAll();
    bool stale() const;
    QVariant statusData(const QString &election, int role) const;
    QVariant text(const QString &election, int column, int role) const;
    QVariant sortKey(const QString &election, int column) const;
    //! When the current leader's term began, as far as this monitor knows (\a exact: it saw it).
    QDateTime officeStart(const QString &election, bool *exact) const;

    QPointer<Conclave::ElectionDirectory> m_directory;
    QStringList m_names; // sorted
    HealthRules m_rules;
};

} // namespace Monitor
