#include <conclave/leaderinfo.h>

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

namespace Conclave {

class LeaderInfoData : public QSharedData
{
public:
    QString id;
    QString host;
    int port = 0;
    QVariantMap attributes;
    QByteArray value;
    QByteArray key;
    qint64 leaseId = 0;
    qint64 fencingToken = 0;
    QDateTime since;
    bool ready = true;
    QString status;
};

LeaderInfo::LeaderInfo()
    : d(new LeaderInfoData)
{
}

LeaderInfo::LeaderInfo(const LeaderInfo &other) = default;
LeaderInfo::LeaderInfo(LeaderInfo &&other) noexcept = default;
LeaderInfo &LeaderInfo::operator=(const LeaderInfo &other) = default;
LeaderInfo &LeaderInfo::operator=(LeaderInfo &&other) noexcept = default;
LeaderInfo::~LeaderInfo() = default;

QString LeaderInfo::id() const { return d->id; }
QString LeaderInfo::host() const { return d->host; }
int LeaderInfo::port() const { return d->port; }
QVariantMap LeaderInfo::attributes() const { return d->attributes; }
QByteArray LeaderInfo::value() const { return d->value; }
QByteArray LeaderInfo::key() const { return d->key; }
qint64 LeaderInfo::leaseId() const { return d->leaseId; }
qint64 LeaderInfo::fencingToken() const { return d->fencingToken; }
QDateTime LeaderInfo::since() const { return d->since; }
bool LeaderInfo::isValid() const { return !d->key.isEmpty(); }
bool LeaderInfo::isReady() const { return d->ready; }
QString LeaderInfo::statusText() const { return d->status; }

bool LeaderInfo::operator==(const LeaderInfo &o) const
{
    // since is when we noticed, not part of the identity.
    return d->key == o.d->key && d->value == o.d->value && d->leaseId == o.d->leaseId
            && d->fencingToken == o.d->fencingToken;
}

LeaderInfo LeaderInfo::fromKeyValue(const QByteArray &key, const QByteArray &value,
                                    qint64 leaseId, qint64 createRevision, const QDateTime &since)
{
    LeaderInfo info;
    info.d->key = key;
    info.d->value = value;
    info.d->leaseId = leaseId;
    info.d->fencingToken = createRevision;
    info.d->since = since;
    const QJsonObject obj = QJsonDocument::fromJson(value).object();
    if (obj.contains(QLatin1String("conclave")) && obj.value(QLatin1String("id")).isString()) {
        info.d->id = obj.value(QLatin1String("id")).toString();
        info.d->host = obj.value(QLatin1String("host")).toString();
        info.d->port = obj.value(QLatin1String("port")).toInt();
        info.d->attributes = obj.value(QLatin1String("attributes")).toObject().toVariantMap();
        info.d->ready = obj.value(QLatin1String("ready")).toBool(true);
        info.d->status = obj.value(QLatin1String("status")).toString();
    } else {
        info.d->id = QString::fromUtf8(value); // a foreign candidate, e.g. etcdctl elect
    }
    return info;
}

QByteArray LeaderInfo::encodeValue(const QString &id, const QString &host, int port,
                                   const QVariantMap &attributes)
{
    QJsonObject obj{{QStringLiteral("conclave"), 1}, {QStringLiteral("id"), id}};
    if (!host.isEmpty())
        obj.insert(QStringLiteral("host"), host);
    if (port > 0)
        obj.insert(QStringLiteral("port"), port);
    if (!attributes.isEmpty())
        obj.insert(QStringLiteral("attributes"), QJsonObject::fromVariantMap(attributes));
    return QJsonDocument(obj).toJson(QJsonDocument::Compact);
}

} // namespace Conclave
