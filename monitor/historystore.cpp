#include "historystore.h"

#include "jsonlines.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QJsonDocument>
#include <QtCore/QMetaEnum>
#include <QtCore/QStandardPaths>
#include <QtCore/QLoggingCategory>

#include <algorithm>

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

void HistoryStore::load(int hours)
{
    m_handovers.clear();
    m_byElection.clear();
    const QDateTime since = QDateTime::currentDateTimeUtc().addSecs(-qint64(hours) * 3600);
    m_skipped = JsonLines::read(m_file, lcHistory(), [this, &since](const QJsonObject &o) {
        Conclave::Handover h;
        if (!fromJson(o, &h))
            return false;
        if (h.at >= since)
            m_handovers.append(h);
        return true;
    });
    std::stable_sort(m_handovers.begin(), m_handovers.end(),
                     [](const Conclave::Handover &a, const Conclave::Handover &b) { return a.at < b.at; });
    for (const Conclave::Handover &h : std::as_const(m_handovers))
        m_byElection[h.election].append(h);
}

void HistoryStore::record(Conclave::ElectionDirectory *directory)
{
    connect(directory, &Conclave::ElectionDirectory::handoverRecorded, this, &HistoryStore::append);
}

void HistoryStore::append(const Conclave::Handover &h)
{
    // A directory that starts reports each election's leader as "elected": news only if the
    // history does not already end with that very leader.
    QList<Conclave::Handover> &mine = m_byElection[h.election];
    if (h.cause == Conclave::Handover::Cause::Elected && !h.previous.isValid() && !mine.isEmpty()
        && mine.last().next.key() == h.next.key() && mine.last().next.fencingToken() == h.next.fencingToken())
        return;
    m_handovers.append(h);
    mine.append(h);
    Q_EMIT appended(h);
    QString error;
    if (!JsonLines::append(m_file, toJson(h), &error))
        qCWarning(lcHistory).noquote() << error << "; history not kept";
}

} // namespace Monitor
