#include "candidatemodel.h"

#include "format.h"

#include <conclave/electiondirectory.h>

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtGui/QBrush>
#include <QtGui/QColor>
#include <QtGui/QFont>

namespace Monitor {

CandidateModel::CandidateModel(Conclave::ElectionDirectory *directory, QObject *parent)
    : QAbstractTableModel(parent)
    , m_directory(directory)
{
    connect(directory, &Conclave::ElectionDirectory::electionChanged, this, [this](const QString &e) {
        if (e == m_election)
            reload();
    });
    connect(directory, &Conclave::ElectionDirectory::electionAdded, this, [this](const QString &e) {
        if (e == m_election)
            reload();
    });
    connect(directory, &Conclave::ElectionDirectory::leasesUpdated, this, &CandidateModel::refreshLiveColumns);
    auto all = [this] {
        if (!m_rows.isEmpty())
            Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
    };
    connect(directory, &Conclave::ElectionDirectory::syncedChanged, this, all);
    connect(directory, &Conclave::ElectionDirectory::connectedChanged, this, all);
}

void CandidateModel::setElection(const QString &election)
{
    beginResetModel();
    m_election = election;
    m_rows.clear();
    m_strays.clear();
    if (m_directory && !election.isEmpty()) {
        m_rows = m_directory->candidates(election);
        m_strays = strayKeys(election);
    }
    endResetModel();
}

QSet<QByteArray> CandidateModel::strayKeys(const QString &election) const
{
    QSet<QByteArray> keys;
    for (const Conclave::LeaderInfo &s : m_directory->strays(election))
        keys.insert(s.key());
    return keys;
}

// Same keys and incarnations in the same order: update in place (keeps the selection);
// otherwise rows move, and a reset is the honest signal.
void CandidateModel::reload()
{
    const QList<Conclave::LeaderInfo> rows = m_directory->candidates(m_election);
    const QSet<QByteArray> strays = strayKeys(m_election);
    bool same = rows.size() == m_rows.size() && strays == m_strays;
    for (int i = 0; same && i < rows.size(); ++i)
        same = rows.at(i).key() == m_rows.at(i).key() && rows.at(i).fencingToken() == m_rows.at(i).fencingToken();
    if (!same) {
        beginResetModel();
        m_rows = rows;
        m_strays = strays;
        endResetModel();
        return;
    }
    m_rows = rows;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

void CandidateModel::refreshLiveColumns()
{
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, TtlColumn), index(int(m_rows.size()) - 1, JoinedColumn));
}

int CandidateModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int CandidateModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

Conclave::LeaderInfo CandidateModel::candidateAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row) : Conclave::LeaderInfo();
}

bool CandidateModel::stale() const
{
    return !m_directory || !m_directory->isSynced() || !m_directory->isConnected();
}

QVariant CandidateModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) || !m_directory)
        return {};
    const Conclave::LeaderInfo &c = m_rows.at(index.row());
    const bool stray = isStray(index.row());
    const bool leader = index.row() == 0;
    const Conclave::LeaseStatus lease = m_directory->leaseStatus(c.leaseId());
    switch (role) {
    case TtlFractionRole: return c.leaseId() == 0 ? -1.0 : ttlFraction(lease);
    case IsStrayRole: return stray;
    case IsLeaderRole: return leader;
    case Qt::ForegroundRole:
        if (stale() || stray)
            return QBrush(QColor(Qt::gray));
        return {};
    case Qt::FontRole:
        if (leader) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        return text(c, index, role, lease);
    default:
        return {};
    }
}

QVariant CandidateModel::text(const Conclave::LeaderInfo &c, const QModelIndex &index, int role,
                              const Conclave::LeaseStatus &lease) const
{
    const bool leader = index.row() == 0;
    switch (index.column()) {
    case PositionColumn: return QString::number(index.row() + 1);
    case RoleColumn: {
        const QString role = leader ? tr("leader") : tr("follower");
        if (!isStray(index.row()))
            return role;
        return c.leaseId() == 0 ? tr("%1 (no lease: never leaves)").arg(role) : tr("%1 (lease mismatch)").arg(role);
    }
    case IdColumn: return c.id();
    case AddressColumn:
        return c.host().isEmpty() ? QString() : QStringLiteral("%1:%2").arg(c.host()).arg(c.port());
    case DetailsColumn: {
        // A Conclave candidate's value is mostly the other columns: show what is not (readiness,
        // status text, priority, attributes); the tooltip has the raw value. Anything else: its
        // raw value.
        const QJsonObject o = QJsonDocument::fromJson(c.value()).object();
        if (role == Qt::ToolTipRole || !o.contains(QLatin1String("conclave")) || !o.value(QLatin1String("id")).isString())
            return role == Qt::ToolTipRole ? QString::fromUtf8(c.value()) : QString::fromUtf8(c.value().left(200));
        QStringList parts;
        if (!c.isReady() && leader) // a follower serves nothing yet: only a leader can be "not ready"
            parts << tr("not ready");
        if (!c.statusText().isEmpty())
            parts << tr("“%1”").arg(c.statusText());
        if (const int priority = o.value(QLatin1String("priority")).toInt())
            parts << tr("priority %1").arg(priority);
        if (!c.attributes().isEmpty())
            parts << QString::fromUtf8(QJsonDocument(QJsonObject::fromVariantMap(c.attributes())).toJson(QJsonDocument::Compact));
        return parts.join(QStringLiteral(" · "));
    }
    case LeaseColumn: return leaseHex(c.leaseId());
    case TtlColumn: return c.leaseId() == 0 ? QString() : formatTtl(lease);
    case FencingColumn: return QString::number(c.fencingToken());
    case JoinedColumn: return c.since().isValid() ? c.since().toLocalTime().toString(QStringLiteral("HH:mm:ss")) : QString();
    }
    return {};
}

QVariant CandidateModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case PositionColumn: return tr("#");
    case RoleColumn: return tr("Role");
    case IdColumn: return tr("Id");
    case AddressColumn: return tr("Address");
    case DetailsColumn: return tr("Details");
    case LeaseColumn: return tr("Lease");
    case TtlColumn: return tr("TTL");
    case FencingColumn: return tr("Fencing");
    case JoinedColumn: return tr("Joined");
    }
    return {};
}

} // namespace Monitor
