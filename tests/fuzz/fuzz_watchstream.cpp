// The watch stream's framing and message typing on arbitrary bytes cut at arbitrary places.
// Besides "no crash, no leak, no undefined behaviour", it checks a property: the messages do
// not depend on how the network split the bytes (fed whole, or in the pieces the first byte
// seeds), and nothing is parsed after a stream error.
#include "watchstreamparser.h"

#include <cstdint>

using namespace Conclave;

namespace {

bool same(const QList<WatchMessage> &a, const QList<WatchMessage> &b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        const WatchMessage &x = a[i];
        const WatchMessage &y = b[i];
        if (x.kind != y.kind || x.watchId != y.watchId || x.header.revision != y.header.revision
            || x.canceled != y.canceled || x.compactRevision != y.compactRevision
            || x.cancelReason != y.cancelReason || x.error != y.error
            || x.events.size() != y.events.size())
            return false;
        for (qsizetype j = 0; j < x.events.size(); ++j)
            if (x.events[j].type != y.events[j].type || x.events[j].kv.key != y.events[j].kv.key
                || x.events[j].kv.modRevision != y.events[j].kv.modRevision
                || x.events[j].kv.value != y.events[j].kv.value)
                return false;
    }
    return true;
}

QList<WatchMessage> parse(const QByteArray &bytes, quint32 seed)
{
    WatchStreamParser parser;
    QList<WatchMessage> out;
    qsizetype at = 0;
    while (at < bytes.size()) {
        qsizetype n = bytes.size();
        if (seed) {
            seed = seed * 1103515245u + 12345u; // the split: pieces of 1..64 bytes
            n = 1 + qsizetype((seed >> 16) % 64);
        }
        const QList<WatchMessage> got = parser.feed(bytes.mid(at, n));
        if (parser.failed() && !out.isEmpty() && out.last().kind == WatchMessage::Kind::Error
            && !got.isEmpty())
            __builtin_trap(); // parsed on after an error
        out += got;
        at += n;
    }
    out += parser.finish();
    for (qsizetype i = 0; i + 1 < out.size(); ++i)
        if (out[i].kind == WatchMessage::Kind::Error)
            __builtin_trap(); // an error must be the last message
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const QByteArray bytes(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    const QList<WatchMessage> whole = parse(bytes, 0);
    const QList<WatchMessage> split = parse(bytes, data[0] | 1u);
    if (!same(whole, split))
        __builtin_trap(); // the result depends on how the bytes were split
    return 0;
}
