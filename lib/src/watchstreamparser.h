#pragma once

// The wire side of one watch stream: bytes in (in whatever pieces the network delivers them),
// typed messages out. Pure: no I/O, no timers, no QObject; the watch hub feeds it and acts on
// what comes out, and a fuzzer feeds it arbitrary bytes in arbitrary splits.
//
// etcd's gateway frames each WatchResponse as one JSON object {"result":{…}} followed by '\n'
// (docs/etcd-gateway.md §3); an in-stream error is {"error":{…}}, possibly without the newline
// when the server closes the stream right after it.

#include "codec.h"

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QString>

namespace Conclave {

struct WatchMessage
{
    enum class Kind {
        Created,   //!< answer to a create_request (refused if canceled is set)
        Canceled,  //!< a watch ended by etcd (compactRevision > 0: compacted)
        Progress,  //!< answer to our progress_request (watch_id -1, no events)
        Events,    //!< events or a progress notification of one watch
        Error,     //!< the stream failed: error and errorString say why
    };
    Kind kind = Kind::Events;
    qint64 watchId = 0;
    ResponseHeader header;
    bool canceled = false;
    qint64 compactRevision = 0;
    QString cancelReason;
    QList<WatchEvent> events;
    Error error = Error::NoError;
    QString errorString;
};

class WatchStreamParser
{
public:
    static constexpr qsizetype MaxLineBytes = 8 * 1024 * 1024;

    //! Takes the next bytes of the stream; returns the messages they complete, in order. After
    //! a message of kind Error nothing more is parsed.
    QList<WatchMessage> feed(const QByteArray &bytes);
    //! The stream ended: what is left must be one whole message (or nothing).
    QList<WatchMessage> finish();
    bool failed() const { return m_failed; }
    //! Bytes received that do not yet end a message.
    QByteArray pending() const { return m_buffer; }

private:
    bool parseLine(const QByteArray &line, QList<WatchMessage> *out);
    void fail(Error error, const QString &message, QList<WatchMessage> *out);

    QByteArray m_buffer;
    qsizetype m_scanned = 0; // m_buffer[0, m_scanned) holds no newline
    bool m_failed = false;
};

} // namespace Conclave
