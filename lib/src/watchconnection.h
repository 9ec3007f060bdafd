#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QPair>
#include <QtCore/QUrl>
#include <QtNetwork/QSslConfiguration>

QT_BEGIN_NAMESPACE
class QTcpSocket;
QT_END_NAMESPACE

namespace Conclave {

/*!
 * One HTTP/1.1 request whose body goes on for as long as the request lives, on a socket of
 * its own: a watch stream, to which creates and cancels are appended as chunks while its
 * answers come back. QNetworkAccessManager cannot do that (it sends a body only once the
 * body has ended), so a stream's watch set was fixed when it opened.
 *
 * The request says "Connection: close". Go's HTTP/1.1 server, when a handler first writes
 * its answer before it has read the whole request body, reads and discards up to 256 KiB
 * more of that body first, unless the connection is to be closed after the answer
 * (net/http's chunkWriter.writeHeader). For a chunked body that discard waits for bytes the
 * client has not sent: etcd's first answer was held back until 256 KiB more arrived, and
 * whatever arrived meanwhile was raced for by the gateway and the discard. With
 * "Connection: close" nothing is discarded and every chunk reaches the gateway, on 3.4.23,
 * 3.5.16 and 3.5.30 alike (docs/watch-multiplexing.md).
 */
class WatchConnection : public QObject
{
    Q_OBJECT
public:
    enum class Failure { None, Refused, HostNotFound, Closed, Tls, Protocol, Other };
    using Headers = QList<QPair<QByteArray, QByteArray>>;

    explicit WatchConnection(QObject *parent = nullptr);
    ~WatchConnection() override;

    //! Connects to \a endpoint and sends the head of POST \a path (\a ssl for https).
    void open(const QUrl &endpoint, const QByteArray &path, const Headers &headers,
              const QSslConfiguration &ssl);
    //! Sends \a data as one chunk of the body (kept until the connection is up).
    void send(const QByteArray &data);
    //! The body of the answer received so far, without its chunk framing.
    QByteArray readAll();
    //! The answer's status code, 0 until its head has arrived.
    int statusCode() const { return m_status; }
    bool isFinished() const { return m_finished; }
    //! Why the answer ended early (None: it ended as HTTP says it should, or has not ended).
    Failure failure() const { return m_failure; }
    QString errorString() const { return m_errorString; }
    //! Closes the connection at once; finished() is not emitted.
    void abort();
    qint64 bytesSent() const { return m_bytesSent; }
    qint64 bytesReceived() const { return m_bytesReceived; }

    //! Longest answer head accepted (a gateway's is well under 1 KiB).
    static constexpr int MaxHeadBytes = 64 * 1024;

Q_SIGNALS:
    void readyRead();
    void finished();

private:
    void onConnected();
    void onReadyRead();
    void onSocketError();
    bool parseHead();
    bool parseBody();
    bool takeCounted();
    void fail(Failure failure, const QString &message);
    void finish();

    enum class Body { Head, ChunkSize, ChunkData, ChunkEnd, Trailer, Fixed, UntilClose, Done };
    QTcpSocket *m_socket = nullptr;
    QByteArray m_head;    // the request's head, sent once connected
    QByteArray m_unsent;  // chunks given before the connection was up
    bool m_up = false;
    QByteArray m_in;      // received, not parsed yet
    QByteArray m_body;    // parsed body bytes for readAll()
    Body m_state = Body::Head;
    qint64 m_left = 0;    // bytes left in this chunk, or of a Content-Length body
    int m_status = 0;
    bool m_finished = false;
    Failure m_failure = Failure::None;
    QString m_errorString;
    QString m_where;
    qint64 m_bytesSent = 0;
    qint64 m_bytesReceived = 0;
};

} // namespace Conclave
