#pragma once

// Wire encoding of etcd's v3 JSON gateway: base64 bytes, int64-as-string, omitted zero
// values, request builders and reply parsers. Pure functions, no I/O (see docs/etcd-gateway.md §1).

#include <conclave/conclaveglobal.h>

#include <QtCore/QByteArray>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonObject>
#include <QtCore/QList>

namespace Conclave {

struct ResponseHeader
{
    quint64 clusterId = 0;
    quint64 memberId = 0;
    qint64 revision = 0;
    qint64 raftTerm = 0;
};

struct KeyValue
{
    QByteArray key;
    QByteArray value;
    qint64 createRevision = 0;
    qint64 modRevision = 0;
    qint64 version = 0;
    qint64 lease = 0;
};

struct WatchEvent
{
    enum class Type { Put, Delete };
    Type type = Type::Put;
    KeyValue kv;
    KeyValue prevKv;
    bool hasPrevKv = false;
};

struct RangeOptions
{
    enum class SortTarget { Key, Version, Create, Mod, Value };
    enum class SortOrder { None, Ascend, Descend };
    QByteArray key;
    QByteArray rangeEnd;     // empty: the single key
    qint64 limit = 0;
    qint64 revision = 0;
    SortTarget sortTarget = SortTarget::Key;
    SortOrder sortOrder = SortOrder::None;
    bool keysOnly = false;
    bool countOnly = false;
    qint64 minCreateRevision = 0; // 0: no lower bound
    qint64 maxCreateRevision = 0; // 0: no upper bound
    bool serializable = false;

    static RangeOptions ofKey(const QByteArray &key);
    static RangeOptions ofPrefix(const QByteArray &prefix);
};

struct Compare
{
    enum class Target { Version, Create, Mod, Value, Lease };
    enum class Result { Equal, Greater, Less, NotEqual };
    QByteArray key;
    Target target = Target::Version;
    Result result = Result::Equal;
    qint64 number = 0;  // version, create/mod revision or lease
    QByteArray value;   // for Target::Value

    //! The create-revision guard: \a key is still the incarnation created at \a createRevision
    //! (0: \a key does not exist). Every write to a candidate's key goes through it.
    static Compare incarnation(const QByteArray &key, qint64 createRevision)
    {
        return {key, Target::Create, Result::Equal, createRevision, {}};
    }
    //! \a key has not been written since \a modRevision (a request answered only if unchanged).
    static Compare unchangedSince(const QByteArray &key, qint64 modRevision)
    {
        return {key, Target::Mod, Result::Equal, modRevision, {}};
    }
};

struct RangeResult
{
    ResponseHeader header;
    QList<KeyValue> kvs;
    bool more = false;
    qint64 count = 0;
};

struct TxnResult
{
    ResponseHeader header;
    bool succeeded = false;
    QJsonArray responses;  // [{"response_put":…}|{"response_range":…}|…] of the branch that ran
};

namespace Codec {

QString encodeBytes(const QByteArray &bytes);
// Strict standard base64; \a ok is false for anything else (a malformed reply).
QByteArray decodeBytes(const QJsonValue &value, bool *ok = nullptr);
// The etcd prefix convention: range_end = prefix with its last byte incremented.
QByteArray prefixEnd(const QByteArray &prefix);
QString encodeInt(qint64 value);
// int64 fields come as JSON strings ("12"); absent means 0. \a ok false on garbage.
qint64 decodeInt(const QJsonValue &value, bool *ok = nullptr);
quint64 decodeUInt(const QJsonValue &value);

ResponseHeader parseHeader(const QJsonObject &object);
KeyValue parseKeyValue(const QJsonObject &object, bool *ok = nullptr);
QList<KeyValue> parseKeyValues(const QJsonArray &array, bool *ok = nullptr);
WatchEvent parseEvent(const QJsonObject &object, bool *ok = nullptr);

QJsonObject rangeRequest(const RangeOptions &options);
QJsonObject putRequest(const QByteArray &key, const QByteArray &value, qint64 lease = 0,
                       bool prevKv = false);
QJsonObject deleteRequest(const QByteArray &key, const QByteArray &rangeEnd = {},
                          bool prevKv = false);
QJsonObject compareJson(const Compare &compare);
QJsonObject txnRequest(const QList<Compare> &compares, const QJsonArray &success,
                       const QJsonArray &failure);
QJsonObject opPut(const QJsonObject &put);
QJsonObject opRange(const QJsonObject &range);
QJsonObject opDelete(const QJsonObject &deleteRange);

RangeResult parseRange(const QJsonObject &object, bool *ok = nullptr);
TxnResult parseTxn(const QJsonObject &object);

} // namespace Codec
} // namespace Conclave

Q_DECLARE_METATYPE(Conclave::KeyValue)
Q_DECLARE_METATYPE(Conclave::WatchEvent)
