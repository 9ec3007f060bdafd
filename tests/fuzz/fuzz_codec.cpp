// Unary reply parsing and candidate value decoding on arbitrary bytes. The first byte picks
// the parser; the rest is its input. Nothing may crash, leak, overflow or hit undefined
// behaviour, whatever etcd (or any program writing into an election) sends.
#include "codec.h"
#include "gatewayerror.h"

#include <conclave/leaderinfo.h>

#include <QtCore/QJsonDocument>

#include <cstdint>

using namespace Conclave;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const QByteArray input(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    const QJsonObject object = QJsonDocument::fromJson(input).object();
    bool ok = false;
    switch (data[0] % 5) {
    case 0: { // a range or txn reply
        const RangeResult r = Codec::parseRange(object, &ok);
        for (const KeyValue &kv : r.kvs)
            (void)kv.key.size();
        const TxnResult t = Codec::parseTxn(object);
        for (const QJsonValue &v : t.responses)
            Codec::parseRange(v.toObject().value(QLatin1String("response_range")).toObject(), &ok);
        break;
    }
    case 1: { // one watch event, and a header
        const WatchEvent e = Codec::parseEvent(object, &ok);
        (void)e.kv.modRevision;
        Codec::parseHeader(object.value(QLatin1String("header")).toObject());
        break;
    }
    case 2: { // a candidate's value: any program in the election can write it
        const LeaderInfo info = LeaderInfo::fromKeyValue("svc/694d7f2a1b3c", input, 0x694d7f2a1b3c,
                                                         12, QDateTime());
        (void)info.id().size();
        (void)info.host().size();
        (void)info.port();
        (void)info.attributes().size();
        (void)info.isValid();
        break;
    }
    case 3: // base64 and int64 fields as the gateway writes them
        Codec::decodeBytes(QJsonValue(QString::fromUtf8(input)), &ok);
        Codec::decodeInt(QJsonValue(QString::fromUtf8(input)), &ok);
        Codec::decodeUInt(QJsonValue(QString::fromUtf8(input)));
        break;
    case 4: { // an error answer of either gateway dialect, unary or in-stream, or a cancel reason
        const GatewayFailure f = GatewayErrors::fromReply(400 + int(size % 200), input);
        (void)f.message.size();
        GatewayErrors::fromObject(0, object);
        GatewayErrors::fromCancelReason(QString::fromUtf8(input));
        break;
    }
    }
    return 0;
}
