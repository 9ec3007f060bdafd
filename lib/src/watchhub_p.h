#pragma once

// WatchHub's insides, shared by its three files: watchhub.cpp (watches, and which stream carries
// each), watchstreams.cpp (one stream's life: its body, its replies, its end) and
// watchaudit.cpp (the audit that finds silent streams).

#include "watchconnection.h"
#include "watchhub.h"
#include "watchstreamparser.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

namespace Conclave {

namespace WatchTuning {

// A stream's first answer: how long before its connection counts as dead.
inline constexpr int FirstReplyMs = 5000;
// How long creates appended to a working stream may stay unanswered before its connection
// counts as half-dead (etcd answers in milliseconds; every answer restarts the wait).
inline constexpr int QuietMs = 2000;
// Watches added within this long of each other go out in one chunk.
inline constexpr int CoalesceMs = 5;
// Creates per chunk of a stream's body (a chunk is parsed whole by the gateway's decoder).
inline constexpr int CreatesPerChunk = 1024;
// etcd's default --max-txn-ops: an audit txn holds this many ranges at most.
inline constexpr int MaxOpsPerTxn = 128;
} // namespace WatchTuning

struct WatchStream
{
    WatchConnection *connection = nullptr;
    quint64 serial = 0; // which stream of the hub (a pointer may be reused)
    WatchStreamParser parser;
    QList<qint64> awaiting; // creates sent, not yet answered, in body order
    int owned = 0;          // watches this stream delivers
    int endpoint = 0;
    QByteArray token; // the auth token it was opened with
    bool replacing = false; // its watches are being moved to a new stream
    QList<QPointer<GatewayReply>> audits; // one txn per MaxOpsPerTxn anchored watches
    QTimer quiet;
    QElapsedTimer lastRead; // since bytes last arrived
};

} // namespace Conclave
