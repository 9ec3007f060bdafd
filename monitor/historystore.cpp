#include "historystore.h"

#include "jsonlines.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QJsonDocument>
#include <QtCore/QMetaEnum>
#include <QtCore/QStandardPaths>
#include <QtCore/QThread>
#include <QtCore/QLoggingCategory>

#include <algorithm>
#include <memory>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <utility>

namespace Monitor {

Q_LOGGING_CATEGORY(lcHistory, "conclave.monitor.history")

namespace {

QJsonObject candidate(const Conclave::LeaderInfo &c)
{
    if (!c.isValid())
        return {};
    return {{QStringLiteral("id"), c.id()},
            {QStringLiteral("key"), QString::fromUtf8(c.key())},
            {QStringLiteral("lease"), QString::number(c.leaseId(), 16)},
            {QStringLiteral("fencing"), QString::number(c.fencingToken())},
            {QStringLiteral("since"), c.since().toUTC().toString(Qt::ISODateWithMs)},
            {QStringLiteral("value"), QString::fromUtf8(c.value())}};
}

Conclave::LeaderInfo candidateFrom(const QJsonValue &v, const QDateTime &since)
{
    const QJsonObject o = v.toObject();
    if (o.isEmpty())
        return {};
    // When the recorder first saw it in that place (files written before it was kept: the record's time).
    const QDateTime seen = QDateTime::fromString(o.value(QLatin1String("since")).toString(), Qt::ISODateWithMs);
    return Conclave::LeaderInfo::fromKeyValue(o.value(QLatin1String("key")).toString().toUtf8(),
                                              o.value(QLatin1String("value")).toString().toUtf8(),
                                              o.value(QLatin1String("lease")).toString().toLongLong(nullptr, 16),
                                              o.value(QLatin1String("fencing")).toString().toLongLong(),
                                              seen.isValid() ? seen : since);
}

} // namespace

QString HistoryStore::fileFor(const QString &endpoints, const QString &prefix)
{
    const QByteArray id = QCryptographicHash::hash((endpoints + QLatin1Char('\n') + prefix).toUtf8(),
                                                   QCryptographicHash::Sha1).toHex().left(12);
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/history-")
            + QString::fromLatin1(id) + QStringLiteral(".jsonl");
}

HistoryStore::HistoryStore(const QString &file, QObject *parent)
    : QObject(parent)
    , m_file(file)
{
}

QJsonObject HistoryStore::toJson(const Conclave::Handover &h)
{
    const QMetaEnum causes = QMetaEnum::fromType<Conclave::Handover::Cause>();
    QJsonObject o{{QStringLiteral("election"), h.election},
                  {QStringLiteral("at"), h.at.toUTC().toString(Qt::ISODateWithMs)},
                  {QStringLiteral("cause"), QString::fromLatin1(causes.valueToKey(int(h.cause)))},
                  {QStringLiteral("revision"), QString::number(h.revision)}};
    o.insert(QStringLiteral("previous"), h.previous.isValid() ? QJsonValue(candidate(h.previous)) : QJsonValue());
    o.insert(QStringLiteral("next"), h.next.isValid() ? QJsonValue(candidate(h.next)) : QJsonValue());
    return o;
}

bool HistoryStore::fromJson(const QJsonObject &o, Conclave::Handover *h)
{
    const QMetaEnum causes = QMetaEnum::fromType<Conclave::Handover::Cause>();
    bool known = false;
    const int cause = causes.keyToValue(o.value(QLatin1String("cause")).toString().toLatin1().constData(), &known);
    const QDateTime at = QDateTime::fromString(o.value(QLatin1String("at")).toString(), Qt::ISODateWithMs);
    if (!known || !at.isValid() || o.value(QLatin1String("election")).toString().isEmpty())
        return false;
    h->election = o.value(QLatin1String("election")).toString();
    h->at = at;
    h->cause = Conclave::Handover::Cause(cause);
    h->revision = o.value(QLatin1String("revision")).toString().toLongLong();
    h->previous = candidateFrom(o.value(QLatin1String("previous")), at);
    h->next = candidateFrom(o.value(QLatin1String("next")), at);
    return true;
}

HistoryStore::~HistoryStore()
{
    if (m_reader) {
        m_reader->requestInterruption();
        m_reader->wait();
    }
}

HistoryStore::Read HistoryStore::read(const QString &file, int hours, int *skipped, const std::function<bool()> &stop)
{
    Read read;
    const QDateTime since = QDateTime::currentDateTimeUtc().addSecs(-qint64(hours) * 3600);
    *skipped = JsonLines::read(file, lcHistory(), [&read, &since](const QJsonObject &o) {
        Conclave::Handover h;
        if (!fromJson(o, &h))
            return false;
        if (h.at >= since)
            read.append({h, o.value(QLatin1String("cluster")).toString().toULongLong(nullptr, 16)});
        return true;
    }, stop);
    std::stable_sort(read.begin(), read.end(), [](const auto &a, const auto &b) { return a.first.at < b.first.at; });
    return read;
}

void HistoryStore::load(int hours)
{
    adopt(read(m_file, hours, &m_skipped));
}

void HistoryStore::loadInBackground(int hours)
{
    if (m_reader)
        return;
    // The thread owns nothing of ours: the file's name in, the handovers out (through \a into,
    // taken on this thread once it has finished).
    auto into = std::make_shared<std::pair<Read, int>>();
    m_reader = QThread::create([file = m_file, hours, into] {
        into->first = read(file, hours, &into->second,
                           [] { return QThread::currentThread()->isInterruptionRequested(); });
    });
    connect(m_reader, &QThread::finished, this, [this, into] {
        m_reader->deleteLater();
        m_reader = nullptr;
        m_skipped = into->second;
        adopt(std::move(into->first));
#if defined(__GLIBC__)
        // The reader's malloc arena keeps the pages of every line it parsed and dropped, among
        // the handovers kept (120,000 handovers: +120 MiB of RSS); give the free pages back.
        malloc_trim(0);
#endif
        qCDebug(lcHistory) << "read" << m_handovers.size() << "handovers from" << m_file;
        Q_EMIT loaded();
        Q_EMIT reloaded();
        for (const Conclave::Handover &h : std::exchange(m_heldBack, {}))
            append(h);
    });
    // Idle priority (SCHED_IDLE on Linux): on a busy machine the first listing comes first.
    m_reader->start(QThread::IdlePriority);
}

void HistoryStore::adopt(Read read)
{
    m_handovers.clear();
    m_clusters.clear();
    for (const auto &[h, cluster] : std::as_const(read)) {
        m_handovers.append(h);
        m_clusters.append(cluster);
    }
    index();
    if (m_clusterId)
        setClusterId(std::exchange(m_clusterId, 0));
}

void HistoryStore::index()
{
    m_byElection.clear();
    for (const Conclave::Handover &h : std::as_const(m_handovers))
        m_byElection[h.election].append(h);
}

void HistoryStore::setClusterId(quint64 clusterId)
{
    if (clusterId == m_clusterId)
        return;
    m_clusterId = clusterId;
    qsizetype dropped = 0;
    for (qsizetype i = m_handovers.size() - 1; i >= 0; --i) {
        if (m_clusters.at(i) != 0 && clusterId != 0 && m_clusters.at(i) != clusterId) {
            m_handovers.removeAt(i);
            m_clusters.removeAt(i);
            ++dropped;
        }
    }
    if (dropped == 0)
        return;
    qCInfo(lcHistory) << "dropped" << dropped << "handovers recorded in another etcd cluster at these endpoints";
    index();
    Q_EMIT reloaded();
}

void HistoryStore::followCluster(const Conclave::ClusterStatus *cluster)
{
    connect(cluster, &Conclave::ClusterStatus::updated, this, [this, cluster] { setClusterId(cluster->clusterId()); });
    setClusterId(cluster->clusterId());
}

void HistoryStore::record(Conclave::ElectionDirectory *directory)
{
    connect(directory, &Conclave::ElectionDirectory::handoverRecorded, this, &HistoryStore::append);
}

void HistoryStore::append(const Conclave::Handover &h)
{
    if (m_reader) { // judged against the file once it is read
        m_heldBack.append(h);
        return;
    }
    // A directory that starts reports each election's leader as "elected": news only if the
    // history does not already end with that very leader.
    QList<Conclave::Handover> &mine = m_byElection[h.election];
    if (h.cause == Conclave::Handover::Cause::Elected && !h.previous.isValid() && !mine.isEmpty()
        && mine.last().next.key() == h.next.key() && mine.last().next.fencingToken() == h.next.fencingToken())
        return;
    m_handovers.append(h);
    m_clusters.append(m_clusterId);
    mine.append(h);
    Q_EMIT appended(h);
    QJsonObject line = toJson(h);
    if (m_clusterId)
        line.insert(QStringLiteral("cluster"), QString::number(m_clusterId, 16));
    QString error;
    if (!JsonLines::append(m_file, line, &error))
        qCWarning(lcHistory).noquote() << error << "; history not kept";
}

} // namespace Monitor
