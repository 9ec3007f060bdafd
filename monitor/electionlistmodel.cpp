#include "electionlistmodel.h"

#include "electionhealth.h"
#include "format.h"
#include "statusstyle.h"

#include <conclave/electiondirectory.h>

#include <QtGui/QBrush>
#include <QtGui/QColor>
#include <QtGui/QGuiApplication>
#include <QtGui/QPalette>

#include <algorithm>

namespace Monitor {

ElectionListModel::ElectionListModel(Conclave::ElectionDirectory *directory, QObject *parent)
    : QAbstractTableModel(parent)
    , m_directory(directory)
{
    m_names = directory->elections();
    connect(directory, &Conclave::ElectionDirectory::electionAdded, this, &ElectionListModel::onAdded);
    connect(directory, &Conclave::ElectionDirectory::electionChanged, this, &ElectionListModel::onChanged);
    connect(directory, &Conclave::ElectionDirectory::syncedChanged, this, &ElectionListModel::refreshAll);
    connect(directory, &Conclave::ElectionDirectory::connectedChanged, this, &ElectionListModel::refreshAll);
    connect(directory, &Conclave::ElectionDirectory::leasesUpdated, this, &ElectionListModel::refreshLiveColumns);
}

int ElectionListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_names.size());
}

int ElectionListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ElectionListModel::electionAt(int row) const
{
    return row >= 0 && row < m_names.size() ? m_names.at(row) : QString();
}

int ElectionListModel::rowOf(const QString &election) const
{
    const auto it = std::lower_bound(m_names.cbegin(), m_names.cend(), election);
    return it != m_names.cend() && *it == election ? int(it - m_names.cbegin()) : -1;
}

bool ElectionListModel::stale() const
{
    return !m_directory || !m_directory->isSynced() || !m_directory->isConnected();
}

QVariant ElectionListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) || !m_directory)
        return {};
    const QString name = m_names.at(index.row());
    if (role == ElectionRole)
        return name;
    if (role == StaleRole)
        return stale();
    if (role == SortRole)
        return sortKey(name, index.column());
    if (role == FilterRole) {
        QStringList words{name};
        for (const Conclave::LeaderInfo &c : m_directory->candidates(name))
            words << c.id();
        return words.join(QLatin1Char('\n'));
    }
    if (role == Qt::ForegroundRole && stale())
        return QBrush(QColor(Qt::gray)); // stale data is never shown as live
    if (role == StatusRole
        || (index.column() == StatusColumn
            && (role == Qt::DisplayRole || role == Qt::ToolTipRole || role == Qt::BackgroundRole || role == Qt::DecorationRole)))
        return statusData(name, role);
    if (index.column() == LeadershipColumn)
        return {};
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    return text(name, index.column(), role);
}

QVariant ElectionListModel::sortKey(const QString &name, int column) const
{
    switch (column) {
    case StatusColumn: return statusData(name, StatusRole);
    case CandidatesColumn: return int(m_directory->candidates(name).size());
    case LeaderTtlColumn: {
        const Conclave::LeaderInfo leader = m_directory->leader(name);
        const Conclave::LeaseStatus lease = m_directory->leaseStatus(leader.leaseId());
        return leader.isValid() && lease.state == Conclave::LeaseStatus::State::Alive ? qint64(lease.remaining.count()) : qint64(-1);
    }
    case InOfficeColumn: {
        if (!m_directory->leader(name).isValid())
            return qint64(-1);
        bool exact = false;
        return officeStart(name, &exact).msecsTo(QDateTime::currentDateTimeUtc());
    }
    case LeadershipColumn: return qint64(m_directory->history(name).size());
    default: return text(name, column, Qt::DisplayRole);
    }
}

QVariant ElectionListModel::statusData(const QString &name, int role) const
{
    Health h;
    if (stale())
        h = {Status::Stale, {tr("etcd does not answer, or the monitor is listing again: what is shown may be out of date")}};
    else
        h = assess(*m_directory, name, m_rules);
    if (role == StatusRole)
        return int(h.status);
    if (role == Qt::ToolTipRole)
        return h.anomalies.join(QLatin1Char('\n'));
    if (role == Qt::DecorationRole)
        return statusIcon(h.status);
    if (role == Qt::BackgroundRole) {
        const QColor tint = statusTint(h.status, QGuiApplication::palette());
        return tint.isValid() ? QVariant(QBrush(tint)) : QVariant();
    }
    return statusName(h.status);
}

QVariant ElectionListModel::text(const QString &name, int column, int role) const
{
    const Conclave::LeaderInfo leader = m_directory->leader(name);
    switch (column) {
    case NameColumn:
        return name;
    case LeaderColumn:
        if (!leader.isValid())
            return QStringLiteral("(none)");
        if (role == Qt::ToolTipRole && !leader.host().isEmpty())
            return QStringLiteral("%1 at %2:%3").arg(leader.id(), leader.host()).arg(leader.port());
        return leader.id();
    case CandidatesColumn:
        return int(m_directory->candidates(name).size());
    case LeaderTtlColumn:
        return leader.isValid() ? formatTtl(m_directory->leaseStatus(leader.leaseId())) : QString();
    case InOfficeColumn: {
        if (!leader.isValid())
            return QString();
        bool exact = false;
        const QDateTime start = officeStart(name, &exact);
        return exact ? age(start) : QStringLiteral("≥ ") + age(start);
    }
    }
    return {};
}

// Exact only when this monitor saw the handover; a leader found by the first listing has led
// at least since then (etcd keeps no timestamps).
QDateTime ElectionListModel::officeStart(const QString &name, bool *exact) const
{
    const Conclave::LeaderInfo leader = m_directory->leader(name);
    const QList<Conclave::Handover> history = m_directory->history(name);
    *exact = !history.isEmpty() && history.last().next.key() == leader.key()
            && history.last().next.fencingToken() == leader.fencingToken() && history.last().previous.isValid();
    return *exact ? history.last().at : leader.since();
}

QVariant ElectionListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn: return tr("Election");
    case LeaderColumn: return tr("Leader");
    case CandidatesColumn: return tr("Candidates");
    case LeaderTtlColumn: return tr("Leader TTL");
    case InOfficeColumn: return tr("In office");
    case StatusColumn: return tr("Status");
    case LeadershipColumn: return tr("Leadership");
    }
    return {};
}

void ElectionListModel::onAdded(const QString &election)
{
    const auto it = std::lower_bound(m_names.begin(), m_names.end(), election);
    if (it != m_names.end() && *it == election)
        return;
    const int row = int(it - m_names.begin());
    beginInsertRows({}, row, row);
    m_names.insert(row, election);
    endInsertRows();
}

void ElectionListModel::onChanged(const QString &election)
{
    const int row = rowOf(election);
    if (row >= 0)
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

void ElectionListModel::refreshAll()
{
    if (!m_names.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_names.size()) - 1, ColumnCount - 1));
}

void ElectionListModel::refreshLiveColumns()
{
    if (!m_names.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_names.size()) - 1, ColumnCount - 1));
}

} // namespace Monitor
