// Prints how fast WatchStreamParser turns watch-stream bytes into messages, for one large
// message arriving in small reads (the case that used to rescan the buffer from its start on
// every read) and for a stream of many small messages.
//   bench_watchparser [megabytes (default 6)] [read size in bytes (default 16384)]

#include "watchstreamparser.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>

#include <cstdio>

using namespace Conclave;

namespace {

// One events message of about \a bytes bytes (values of 1 KiB), as etcd frames it.
QByteArray bigMessage(qsizetype bytes)
{
    const QByteArray value = QByteArray(1024, 'v').toBase64();
    QByteArray events;
    int i = 0;
    while (events.size() < bytes) {
        if (!events.isEmpty())
            events += ',';
        events += "{\"kv\":{\"key\":\"" + QByteArray("k" + QByteArray::number(i++)).toBase64()
                + "\",\"create_revision\":\"5\",\"mod_revision\":\"9\",\"version\":\"1\",\"value\":\""
                + value + "\"}}";
    }
    return "{\"result\":{\"header\":{\"revision\":\"9\"},\"watch_id\":\"3\",\"events\":[" + events + "]}}\n";
}

QByteArray smallMessages(qsizetype bytes)
{
    QByteArray out;
    for (int i = 0; out.size() < bytes; ++i)
        out += "{\"result\":{\"header\":{\"revision\":\"" + QByteArray::number(i + 10)
             + "\"},\"watch_id\":\"1\",\"events\":[{\"kv\":{\"key\":\"a2V5\",\"create_revision\":\"5\","
               "\"mod_revision\":\"" + QByteArray::number(i + 10) + "\",\"version\":\"1\",\"value\":\"dg==\"}}]}}\n";
    return out;
}

void run(const char *what, const QByteArray &stream, qsizetype readSize)
{
    WatchStreamParser parser;
    QElapsedTimer timer;
    timer.start();
    qsizetype messages = 0;
    qsizetype events = 0;
    for (qsizetype at = 0; at < stream.size(); at += readSize) {
        for (const WatchMessage &m : parser.feed(stream.mid(at, readSize))) {
            ++messages;
            events += m.events.size();
        }
    }
    const double ms = timer.nsecsElapsed() / 1e6;
    std::printf("%-28s %8.1f MiB in %6lld-byte reads: %9.1f ms  %8.1f MiB/s  (%lld messages, %lld events)\n",
                what, stream.size() / 1048576.0, qlonglong(readSize), ms,
                stream.size() / 1048576.0 / (ms / 1000.0), qlonglong(messages), qlonglong(events));
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    bool ok = true;
    const double megabytes = args.size() > 1 ? args.at(1).toDouble(&ok) : 6;
    const qsizetype readSize = args.size() > 2 && ok ? args.at(2).toLongLong(&ok) : 16384;
    if (!ok || megabytes <= 0 || megabytes > 7.5 || readSize <= 0) {
        std::fprintf(stderr, "usage: bench_watchparser [megabytes, at most 7.5] [read size in bytes]\n");
        return 2;
    }
    const qsizetype bytes = qsizetype(megabytes * 1048576);
    run("one large message", bigMessage(bytes), readSize);
    run("many small messages", smallMessages(bytes), readSize);
    return 0;
}
