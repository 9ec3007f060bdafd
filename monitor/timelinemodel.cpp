#include "timelinemodel.h"

#include "historystore.h"

#include <algorithm>

namespace Monitor {

static const int MaxRows = 2000;

TimelineModel::TimelineModel(Conclave::ElectionDirectory *directory, QObject *parent)
    : TimelineModel(directory, nullptr, parent)
{
}

TimelineModel::TimelineModel(Conclave::ElectionDirectory *directory, HistoryStore *history, QObject *parent)
    : QAbstractTableModel(parent)
    , m_directory(directory)
    , m_history(history)
{
    // The store records what the directory reports (and keeps what earlier runs saw).
    if (history) {
        connect(history, &HistoryStore::appended, this, &TimelineModel::onRecorded);
        connect(history, &HistoryStore::reloaded, this, [this] { setElection(m_election); });
    }
    else
        connect(directory, &Conclave::ElectionDirectory::handoverRecorded, this, &TimelineModel::onRecorded);
    setElection({});
}

void TimelineModel::setElection(const QString &election)
{
    beginResetModel();
    m_election = election;
    m_rows.clear();
    if (m_history) {
        for (const Conclave::Handover &h : m_history->handovers())
            if (election.isEmpty() || h.election == election)
                m_rows.append(h);
    } else {
        const QStringList names = election.isEmpty() ? m_directory->elections() : QStringList{election};
        for (const QString &name : names)
            m_rows += m_directory->history(name);
    }
    std::stable_sort(m_rows.begin(), m_rows.end(), [](const Conclave::Handover &a, const Conclave::Handover &b) {
        return a.at < b.at;
    });
    if (m_rows.size() > MaxRows)
        m_rows.erase(m_rows.begin(), m_rows.end() - MaxRows);
    endResetModel();
}

void TimelineModel::onRecorded(const Conclave::Handover &handover)
{
    if (!m_election.isEmpty() && handover.election != m_election)
        return;
    if (m_rows.size() >= MaxRows) {
        beginRemoveRows({}, 0, 0);
        m_rows.removeFirst();
        endRemoveRows();
    }
    const int row = int(m_rows.size());
    beginInsertRows({}, row, row);
    m_rows.append(handover);
    endInsertRows();
}

int TimelineModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TimelineModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TimelineModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Conclave::Handover &h = m_rows.at(index.row());
    if (role == CauseRole)
        return int(h.cause);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case TimeColumn: return h.at.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
    case ElectionColumn: return h.election;
    case FromColumn: return h.previous.isValid() ? h.previous.id() : QStringLiteral("(none)");
    case ToColumn: return h.next.isValid() ? h.next.id() : QStringLiteral("(none)");
    case CauseColumn:
        return h.cause == Conclave::Handover::Cause::Evicted ? tr("evicted by this monitor")
                                                             : Conclave::causeName(h.cause);
    }
    return {};
}

QVariant TimelineModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case TimeColumn: return tr("Time");
    case ElectionColumn: return tr("Election");
    case FromColumn: return tr("From");
    case ToColumn: return tr("To");
    case CauseColumn: return tr("Cause");
    }
    return {};
}

} // namespace Monitor
