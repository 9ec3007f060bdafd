#include "election.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

#include <algorithm>

namespace Conclave::Election {

QString nameProblem(const QString &name)
{
    if (name.isEmpty())
        return QStringLiteral("the election name is empty");
    if (name.endsWith(QLatin1Char('/')))
        return QStringLiteral("the election name \"%1\" ends with '/'").arg(name);
    if (name.contains(QLatin1String("//")))
        return QStringLiteral("the election name \"%1\" contains an empty segment ('//')").arg(name);
    for (const QChar c : name)
        if (c.category() == QChar::Other_Control)
            return QStringLiteral("the election name contains a control character");
    if (name.toUtf8().size() > 1024)
        return QStringLiteral("the election name is longer than 1024 bytes");
    return {};
}

QByteArray prefix(const QString &name)
{
    return name.toUtf8() + '/';
}

QByteArray candidateKey(const QString &name, qint64 leaseId)
{
    return prefix(name) + QByteArray::number(leaseId, 16);
}

bool isCandidateKey(const QByteArray &prefix, const QByteArray &key)
{
    // Any direct child, whatever its name: Conclave, Go and etcdctl name keys after their lease
    // in hex, etcd3 for Node.js in decimal, and a client may name them otherwise; every client
    // of the recipe waits behind all of them. Deeper keys belong to a sub-election.
    return key.startsWith(prefix) && key.indexOf('/', prefix.size()) < 0;
}

bool isHexName(const QByteArray &name)
{
    return !name.isEmpty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
}

bool isNamedAfterLease(const QByteArray &name, qint64 lease)
{
    if (lease <= 0 || name.isEmpty())
        return false;
    bool ok = false;
    if (name.size() <= 16 && isHexName(name) && qint64(name.toULongLong(&ok, 16)) == lease && ok)
        return true;
    const bool decimal = std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
    return name.size() <= 19 && name.front() != '0' && decimal && name.toLongLong(&ok, 10) == lease && ok;
}

QList<KeyValue> candidates(const QByteArray &prefix, const QList<KeyValue> &kvs)
{
    QList<KeyValue> result;
    for (const KeyValue &kv : kvs)
        if (isCandidateKey(prefix, kv.key))
            result.append(kv);
    std::stable_sort(result.begin(), result.end(), [](const KeyValue &a, const KeyValue &b) {
        return a.createRevision < b.createRevision;
    });
    return result;
}

RangeOptions queueRange(const QString &name)
{
    RangeOptions o = RangeOptions::ofPrefix(prefix(name));
    o.sortTarget = RangeOptions::SortTarget::Create;
    o.sortOrder = RangeOptions::SortOrder::Ascend;
    return o;
}

RangeOptions predecessorRange(const QString &name, qint64 createRevision)
{
    RangeOptions o = RangeOptions::ofPrefix(prefix(name));
    o.sortTarget = RangeOptions::SortTarget::Create;
    o.sortOrder = RangeOptions::SortOrder::Descend;
    o.maxCreateRevision = createRevision - 1;
    o.limit = 1;
    o.keysOnly = true;
    return o;
}

RangeOptions headRange(const QString &name)
{
    RangeOptions o = queueRange(name);
    o.limit = 1;
    return o;
}

RangeOptions headAndSecondRange(const QString &name)
{
    RangeOptions o = headRange(name);
    o.limit = 2;
    return o;
}

bool announcesLeadership(const QByteArray &value)
{
    const QJsonObject o = QJsonDocument::fromJson(value).object();
    return o.contains(QLatin1String("conclave")) && o.value(QLatin1String(AnnounceField)).toBool();
}

} // namespace Conclave::Election
