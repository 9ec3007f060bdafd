#pragma once

#include <conclave/electiondirectory.h>

#include <QtCore/QAbstractTableModel>
#include <QtCore/QPointer>

namespace Monitor {

class HistoryStore;

//! Handovers, oldest first: of one election, or of all when the election is empty. With a
//! HistoryStore, those kept from earlier runs too (the last 24 h).
class TimelineModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { TimeColumn, ElectionColumn, FromColumn, ToColumn, CauseColumn, ColumnCount };
    enum Role { CauseRole = Qt::UserRole + 1 };

    explicit TimelineModel(Conclave::ElectionDirectory *directory, QObject *parent = nullptr);
    TimelineModel(Conclave::ElectionDirectory *directory, HistoryStore *history, QObject *parent = nullptr);

    void setElection(const QString &election);
    QString election() const { return m_election; }
    Conclave::Handover handoverAt(int row) const { return m_rows.value(row); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    void onRecorded(const Conclave::Handover &handover);

    QPointer<Conclave::ElectionDirectory> m_directory;
    QPointer<HistoryStore> m_history;
    QString m_election;
    QList<Conclave::Handover> m_rows;
};

} // namespace Monitor
