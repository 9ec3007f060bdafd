#include "watchconnection.h"

#include <QtNetwork/QSslSocket>
#include <QtNetwork/QTcpSocket>

namespace Conclave {

WatchConnection::WatchConnection(QObject *parent)
    : QObject(parent)
{
}

WatchConnection::~WatchConnection()
{
    abort();
}

void WatchConnection::open(const QUrl &endpoint, const QByteArray &path, const Headers &headers,
                           const QSslConfiguration &ssl)
{
    Q_ASSERT(!m_socket);
    const bool tls = endpoint.scheme() == QLatin1String("https");
    const int port = endpoint.port(tls ? 443 : 80);
    m_where = endpoint.toDisplayString();
    QByteArray host = endpoint.host(QUrl::FullyEncoded).toLatin1();
    if (host.contains(':'))
        host = '[' + host + ']';
    m_head = "POST " + path + " HTTP/1.1\r\nHost: " + host + ':' + QByteArray::number(port) + "\r\n";
    for (const auto &[name, value] : headers)
        m_head += name + ": " + value + "\r\n";
    m_head += "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

    if (tls) {
        auto *socket = new QSslSocket(this);
        socket->setSslConfiguration(ssl);
        connect(socket, &QSslSocket::encrypted, this, &WatchConnection::onConnected);
        m_socket = socket;
        socket->connectToHostEncrypted(endpoint.host(), quint16(port));
    } else {
        m_socket = new QTcpSocket(this);
        connect(m_socket, &QTcpSocket::connected, this, &WatchConnection::onConnected);
        m_socket->connectToHost(endpoint.host(), quint16(port));
    }
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    connect(m_socket, &QTcpSocket::readyRead, this, &WatchConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::errorOccurred, this, &WatchConnection::onSocketError);
}

void WatchConnection::send(const QByteArray &data)
{
    if (data.isEmpty() || m_finished || !m_socket)
        return; // an empty chunk would end the body
    QByteArray chunk = QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n";
    m_bytesSent += chunk.size();
    if (m_up)
        m_socket->write(chunk);
    else
        m_unsent += chunk;
}

QByteArray WatchConnection::readAll()
{
    return std::exchange(m_body, {});
}

void WatchConnection::abort()
{
    if (!m_socket)
        return;
    m_socket->disconnect(this);
    m_socket->abort();
    m_socket->deleteLater();
    m_socket = nullptr;
    m_finished = true;
}

void WatchConnection::onConnected()
{
    m_up = true;
    m_bytesSent += m_head.size();
    m_socket->write(m_head + std::exchange(m_unsent, {}));
    m_head.clear();
}

void WatchConnection::onReadyRead()
{
    const QByteArray data = m_socket->readAll();
    m_bytesReceived += data.size();
    m_in += data;
    if (m_state == Body::Head && !parseHead())
        return;
    const qsizetype before = m_body.size();
    const bool going = parseBody();
    if (m_body.size() > before)
        Q_EMIT readyRead();
    if (!going && !m_finished)
        finish();
}

// The status line and the headers: how the body is framed.
bool WatchConnection::parseHead()
{
    const qsizetype end = m_in.indexOf("\r\n\r\n");
    if (end < 0) {
        if (m_in.size() > MaxHeadBytes)
            fail(Failure::Protocol, QStringLiteral("an answer head longer than %1 bytes").arg(MaxHeadBytes));
        return false;
    }
    const QList<QByteArray> lines = m_in.left(end).split('\n');
    m_in.remove(0, end + 4);
    const QList<QByteArray> status = lines.first().trimmed().split(' ');
    bool ok = false;
    m_status = status.value(1).toInt(&ok);
    if (!status.first().startsWith("HTTP/1.") || !ok || m_status < 100) {
        fail(Failure::Protocol, QStringLiteral("not an HTTP/1.1 answer: \"%1\"")
                     .arg(QString::fromLatin1(lines.first().trimmed().left(80))));
        return false;
    }
    m_state = Body::UntilClose;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "transfer-encoding" && value.toLower().contains("chunked")) {
            m_state = Body::ChunkSize;
        } else if (name == "content-length" && m_state != Body::ChunkSize) {
            m_left = value.toLongLong(&ok);
            if (!ok || m_left < 0) {
                fail(Failure::Protocol, QStringLiteral("a bad Content-Length: %1").arg(QString::fromLatin1(value)));
                return false;
            }
            m_state = Body::Fixed;
        }
    }
    return true;
}

// Returns false once the body has ended (or cannot be read).
bool WatchConnection::parseBody()
{
    for (;;) {
        switch (m_state) {
        case Body::Head:
            return true;
        case Body::UntilClose:
            m_body += std::exchange(m_in, {});
            return true;
        case Body::Fixed:
            if (!takeCounted())
                return true;
            m_state = Body::Done;
            return false;
        case Body::ChunkSize: {
            const qsizetype eol = m_in.indexOf("\r\n");
            if (eol < 0) {
                if (m_in.size() > 1024)
                    fail(Failure::Protocol, QStringLiteral("a chunk size line longer than 1 KiB"));
                return !m_finished;
            }
            QByteArray size = m_in.left(eol);
            if (const qsizetype semicolon = size.indexOf(';'); semicolon >= 0)
                size.truncate(semicolon); // chunk extensions
            bool ok = false;
            m_left = size.trimmed().toLongLong(&ok, 16);
            if (!ok || m_left < 0) {
                fail(Failure::Protocol, QStringLiteral("a bad chunk size \"%1\"")
                             .arg(QString::fromLatin1(size.left(20))));
                return false;
            }
            m_in.remove(0, eol + 2);
            m_state = m_left == 0 ? Body::Trailer : Body::ChunkData;
            break;
        }
        case Body::ChunkData:
            if (!takeCounted())
                return true;
            m_state = Body::ChunkEnd;
            break;
        case Body::ChunkEnd:
            if (m_in.size() < 2)
                return true;
            if (!m_in.startsWith("\r\n")) {
                fail(Failure::Protocol, QStringLiteral("a chunk not followed by CRLF"));
                return false;
            }
            m_in.remove(0, 2);
            m_state = Body::ChunkSize;
            break;
        case Body::Trailer: {
            const qsizetype eol = m_in.indexOf("\r\n");
            if (eol < 0)
                return true;
            m_in.remove(0, eol + 2);
            if (eol == 0) { // the empty line after the trailer fields
                m_state = Body::Done;
                return false;
            }
            break;
        }
        case Body::Done:
            return false;
        }
    }
}

// Moves up to m_left received bytes into the body; true once all m_left have come.
bool WatchConnection::takeCounted()
{
    const qsizetype n = qsizetype(qMin<qint64>(m_left, m_in.size()));
    m_body += m_in.left(n);
    m_in.remove(0, n);
    m_left -= n;
    return m_left == 0;
}

void WatchConnection::onSocketError()
{
    if (m_finished)
        return;
    onReadyRead(); // whatever came before the end
    if (m_finished)
        return;
    const QAbstractSocket::SocketError error = m_socket->error();
    if (error == QAbstractSocket::RemoteHostClosedError && m_state == Body::UntilClose) {
        finish();
        return;
    }
    switch (error) {
    case QAbstractSocket::ConnectionRefusedError:
        fail(Failure::Refused, QStringLiteral("connection refused by %1").arg(m_where));
        break;
    case QAbstractSocket::HostNotFoundError:
        fail(Failure::HostNotFound, QStringLiteral("host of %1 not found").arg(m_where));
        break;
    case QAbstractSocket::RemoteHostClosedError:
        fail(Failure::Closed, m_status ? QStringLiteral("%1 closed the stream").arg(m_where)
                                       : QStringLiteral("%1 closed the connection before answering").arg(m_where));
        break;
    case QAbstractSocket::SslHandshakeFailedError:
    case QAbstractSocket::SslInternalError:
    case QAbstractSocket::SslInvalidUserDataError:
        fail(Failure::Tls, m_socket->errorString());
        break;
    default:
        fail(Failure::Other, m_socket->errorString());
        break;
    }
}

void WatchConnection::fail(Failure failure, const QString &message)
{
    if (m_finished)
        return;
    m_failure = failure;
    m_errorString = message;
    finish();
}

void WatchConnection::finish()
{
    if (m_finished)
        return;
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    m_finished = true;
    Q_EMIT finished();
}

} // namespace Conclave
