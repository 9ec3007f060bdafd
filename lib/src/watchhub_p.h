#pragma once

// WatchHub's insides, shared by its three files: watchhub.cpp (watches, and which stream carries
// each), watchstreams.cpp (one stream's life: its body, its replies, its end) and
// watchaudit.cpp (the audit that finds silent streams).

#include "watchhub.h"
#include "watchstreamparser.h"

#include <QtCore/QIODevice>
#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtNetwork/QNetworkReply>

namespace Conclave {

namespace WatchTuning {

// How long a stream may stay quiet while creates are unconfirmed before we conclude that the
// gateway dropped them (it answers in milliseconds; a false alarm only costs a spare stream).
inline constexpr int QuietMs = 300;
inline constexpr int FirstReplyMs = 5000;
inline constexpr int StreamsPerNam = 5; // QNAM allows 6 connections per host
inline constexpr int CoalesceMs = 5;
// More streams than the budget by this many: a burst of new watches (see scheduleAssign).
inline constexpr int BurstStreams = 4;
// ... or more than this many streams opened within BurstWindowMs.
inline constexpr int BurstOpenings = 16;
inline constexpr int BurstWindowMs = 500;
inline constexpr int BurstCoalesceMs = 100;
// Go's HTTP/1.1 server discards the unread rest of a request body when the handler writes its
// first reply, unless that rest is this big or bigger (net/http maxPostHandlerReadBytes); then
// it leaves the body to the handler. A body with more than a few creates ends with more
// whitespace than that: either every request in it was read before the first reply (only
// whitespace is discarded) or the rest is too big to discard and the gateway reads it all.
// Debian's etcd 3.5 (grpc-gateway v2) answers the first create so quickly that even the second
// line of a two-create body was discarded (its log: "invalid Read on closed Body"), about
// once a run: that watch waited QuietMs to be placed again, and a candidate that had just
// become first led, stepped down for want of its own-key watch, and led again. So every body
// with more than one create is padded; a single create is the body's first line and is
// always read before the reply.
inline constexpr int GoDiscardLimit = 256 * 1024;
inline constexpr int PadAboveCreates = 1;
// A stream's body holds this many creates at most (the gateway reads ~100 bytes each).
inline constexpr int MaxCreatesPerStream = 2048;
// etcd's default --max-txn-ops: an audit txn holds this many ranges at most.
inline constexpr int MaxOpsPerTxn = 128;
// Merging again too soon can chase its own spills; leave streams alone for a while.
inline constexpr int MergeCooldownMs = 2000;
} // namespace WatchTuning

// A request body that ends in \a pad spaces it does not store (a stream's body lives as long as
// the stream; a quarter of a megabyte of padding per stream would be most of a Client's memory).
class PaddedBody : public QIODevice
{
public:
    PaddedBody(QByteArray body, qint64 pad, QObject *parent)
        : QIODevice(parent), m_body(std::move(body)), m_size(m_body.size() + pad)
    {
        open(QIODevice::ReadOnly);
    }
    qint64 size() const override { return m_size; }

protected:
    qint64 readData(char *data, qint64 maxSize) override
    {
        const qint64 at = pos();
        const qint64 n = qMin(maxSize, m_size - at);
        if (n <= 0)
            return -1;
        const qint64 fromBody = qBound<qint64>(0, m_body.size() - at, n);
        if (fromBody > 0)
            memcpy(data, m_body.constData() + at, size_t(fromBody));
        memset(data + fromBody, ' ', size_t(n - fromBody));
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QByteArray m_body;
    qint64 m_size;
};

struct WatchStream
{
    QPointer<QNetworkReply> reply;
    QNetworkAccessManager *nam = nullptr;
    WatchStreamParser parser;
    QList<qint64> awaiting; // creates sent, not yet confirmed, in body order
    int owned = 0;          // watches this stream delivers
    int dropped = 0;        // watches cancelled locally but still open on the server
    int endpoint = 0;
    QByteArray token; // the auth token it was opened with
    bool settled = false;
    bool replacing = false; // its watches are being moved to a new stream
    QList<QPointer<GatewayReply>> audits; // one txn per MaxOpsPerTxn anchored watches
    QTimer quiet;
};

} // namespace Conclave
