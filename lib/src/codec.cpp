#include "codec.h"

#include <QtCore/QJsonValue>

namespace Conclave {

RangeOptions RangeOptions::ofKey(const QByteArray &key)
{
    RangeOptions o;
    o.key = key;
    return o;
}

RangeOptions RangeOptions::ofPrefix(const QByteArray &prefix)
{
    RangeOptions o;
    o.key = prefix;
    o.rangeEnd = Codec::prefixEnd(prefix);
    return o;
}

} // namespace Conclave

namespace Conclave::Codec {

QString encodeBytes(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toBase64());
}

QByteArray decodeBytes(const QJsonValue &value, bool *ok)
{
    if (value.isUndefined() || value.isNull()) {
        if (ok)
            *ok = true;
        return {};
    }
    const auto result = QByteArray::fromBase64Encoding(value.toString().toLatin1(),
                                                       QByteArray::AbortOnBase64DecodingErrors);
    if (ok)
        *ok = value.isString() && result.decodingStatus == QByteArray::Base64DecodingStatus::Ok;
    return result.decoded;
}

QByteArray prefixEnd(const QByteArray &prefix)
{
    QByteArray end = prefix;
    while (!end.isEmpty()) {
        if (quint8(end.back()) < 0xff) {
            end.back() = char(quint8(end.back()) + 1);
            return end;
        }
        end.chop(1);
    }
    return QByteArray(1, '\0'); // every key ≥ key
}

QString encodeInt(qint64 value)
{
    return QString::number(value);
}

qint64 decodeInt(const QJsonValue &value, bool *ok)
{
    bool good = true;
    qint64 result = 0;
    if (value.isString())
        result = value.toString().toLongLong(&good);
    else if (value.isDouble())
        result = value.toInteger();
    else
        good = value.isUndefined() || value.isNull();
    if (ok)
        *ok = good;
    return good ? result : 0;
}

quint64 decodeUInt(const QJsonValue &value)
{
    return value.toString().toULongLong();
}

ResponseHeader parseHeader(const QJsonObject &object)
{
    ResponseHeader header;
    header.clusterId = decodeUInt(object.value(QLatin1String("cluster_id")));
    header.memberId = decodeUInt(object.value(QLatin1String("member_id")));
    header.revision = decodeInt(object.value(QLatin1String("revision")));
    header.raftTerm = decodeInt(object.value(QLatin1String("raft_term")));
    return header;
}

KeyValue parseKeyValue(const QJsonObject &object, bool *ok)
{
    bool k = true, v = true, c = true, m = true, ver = true, l = true;
    KeyValue kv;
    kv.key = decodeBytes(object.value(QLatin1String("key")), &k);
    kv.value = decodeBytes(object.value(QLatin1String("value")), &v);
    kv.createRevision = decodeInt(object.value(QLatin1String("create_revision")), &c);
    kv.modRevision = decodeInt(object.value(QLatin1String("mod_revision")), &m);
    kv.version = decodeInt(object.value(QLatin1String("version")), &ver);
    kv.lease = decodeInt(object.value(QLatin1String("lease")), &l);
    if (ok)
        *ok = k && v && c && m && ver && l && !kv.key.isEmpty();
    return kv;
}

QList<KeyValue> parseKeyValues(const QJsonArray &array, bool *ok)
{
    QList<KeyValue> result;
    result.reserve(array.size());
    bool all = true;
    for (const QJsonValue &item : array) {
        bool good = item.isObject();
        result.append(parseKeyValue(item.toObject(), &good));
        all = all && good && item.isObject();
    }
    if (ok)
        *ok = all;
    return result;
}

WatchEvent parseEvent(const QJsonObject &object, bool *ok)
{
    WatchEvent event;
    const QString type = object.value(QLatin1String("type")).toString();
    bool good = type.isEmpty() || type == QLatin1String("PUT") || type == QLatin1String("DELETE");
    event.type = type == QLatin1String("DELETE") ? WatchEvent::Type::Delete : WatchEvent::Type::Put;
    bool kvOk = false;
    event.kv = parseKeyValue(object.value(QLatin1String("kv")).toObject(), &kvOk);
    const QJsonValue prev = object.value(QLatin1String("prev_kv"));
    bool prevOk = true;
    if (prev.isObject()) {
        event.prevKv = parseKeyValue(prev.toObject(), &prevOk);
        event.hasPrevKv = true;
    }
    if (ok)
        *ok = good && kvOk && prevOk;
    return event;
}

static QString sortTargetName(RangeOptions::SortTarget target)
{
    switch (target) {
    case RangeOptions::SortTarget::Key: return QStringLiteral("KEY");
    case RangeOptions::SortTarget::Version: return QStringLiteral("VERSION");
    case RangeOptions::SortTarget::Create: return QStringLiteral("CREATE");
    case RangeOptions::SortTarget::Mod: return QStringLiteral("MOD");
    case RangeOptions::SortTarget::Value: return QStringLiteral("VALUE");
    }
    return QStringLiteral("KEY");
}

QJsonObject rangeRequest(const RangeOptions &o)
{
    QJsonObject r{{QStringLiteral("key"), encodeBytes(o.key)}};
    if (!o.rangeEnd.isEmpty())
        r.insert(QStringLiteral("range_end"), encodeBytes(o.rangeEnd));
    if (o.limit > 0)
        r.insert(QStringLiteral("limit"), encodeInt(o.limit));
    if (o.revision > 0)
        r.insert(QStringLiteral("revision"), encodeInt(o.revision));
    if (o.sortOrder != RangeOptions::SortOrder::None) {
        r.insert(QStringLiteral("sort_order"), o.sortOrder == RangeOptions::SortOrder::Ascend
                                                   ? QStringLiteral("ASCEND")
                                                   : QStringLiteral("DESCEND"));
        r.insert(QStringLiteral("sort_target"), sortTargetName(o.sortTarget));
    }
    if (o.keysOnly)
        r.insert(QStringLiteral("keys_only"), true);
    if (o.minCreateRevision > 0)
        r.insert(QStringLiteral("min_create_revision"), encodeInt(o.minCreateRevision));
    if (o.maxCreateRevision > 0)
        r.insert(QStringLiteral("max_create_revision"), encodeInt(o.maxCreateRevision));
    if (o.countOnly)
        r.insert(QStringLiteral("count_only"), true);
    if (o.serializable)
        r.insert(QStringLiteral("serializable"), true);
    return r;
}

QJsonObject putRequest(const QByteArray &key, const QByteArray &value, qint64 lease, bool prevKv)
{
    QJsonObject r{{QStringLiteral("key"), encodeBytes(key)},
                  {QStringLiteral("value"), encodeBytes(value)}};
    if (lease)
        r.insert(QStringLiteral("lease"), encodeInt(lease));
    if (prevKv)
        r.insert(QStringLiteral("prev_kv"), true);
    return r;
}

QJsonObject deleteRequest(const QByteArray &key, const QByteArray &rangeEnd, bool prevKv)
{
    QJsonObject r{{QStringLiteral("key"), encodeBytes(key)}};
    if (!rangeEnd.isEmpty())
        r.insert(QStringLiteral("range_end"), encodeBytes(rangeEnd));
    if (prevKv)
        r.insert(QStringLiteral("prev_kv"), true);
    return r;
}

QJsonObject compareJson(const Compare &c)
{
    static const char *const targets[] = {"VERSION", "CREATE", "MOD", "VALUE", "LEASE"};
    static const char *const fields[] = {"version", "create_revision", "mod_revision", "value",
                                         "lease"};
    static const char *const results[] = {"EQUAL", "GREATER", "LESS", "NOT_EQUAL"};
    const int t = int(c.target);
    QJsonObject r{{QStringLiteral("key"), encodeBytes(c.key)},
                  {QStringLiteral("target"), QLatin1String(targets[t])},
                  {QStringLiteral("result"), QLatin1String(results[int(c.result)])}};
    // The value field must match the target, or etcd silently compares against 0.
    if (c.target == Compare::Target::Value)
        r.insert(QLatin1String(fields[t]), encodeBytes(c.value));
    else
        r.insert(QLatin1String(fields[t]), encodeInt(c.number));
    return r;
}

QJsonObject txnRequest(const QList<Compare> &compares, const QJsonArray &success,
                       const QJsonArray &failure)
{
    QJsonArray cmp;
    for (const Compare &c : compares)
        cmp.append(compareJson(c));
    return {{QStringLiteral("compare"), cmp},
            {QStringLiteral("success"), success},
            {QStringLiteral("failure"), failure}};
}

QJsonObject opPut(const QJsonObject &put) { return {{QStringLiteral("request_put"), put}}; }
QJsonObject opRange(const QJsonObject &range) { return {{QStringLiteral("request_range"), range}}; }
QJsonObject opDelete(const QJsonObject &del)
{
    return {{QStringLiteral("request_delete_range"), del}};
}

RangeResult parseRange(const QJsonObject &object, bool *ok)
{
    RangeResult r;
    bool kvsOk = true, countOk = true;
    r.header = parseHeader(object.value(QLatin1String("header")).toObject());
    r.kvs = parseKeyValues(object.value(QLatin1String("kvs")).toArray(), &kvsOk);
    r.more = object.value(QLatin1String("more")).toBool();
    r.count = decodeInt(object.value(QLatin1String("count")), &countOk);
    if (ok)
        *ok = kvsOk && countOk;
    return r;
}

TxnResult parseTxn(const QJsonObject &object)
{
    TxnResult r;
    r.header = parseHeader(object.value(QLatin1String("header")).toObject());
    r.succeeded = object.value(QLatin1String("succeeded")).toBool();
    r.responses = object.value(QLatin1String("responses")).toArray();
    return r;
}

} // namespace Conclave::Codec
