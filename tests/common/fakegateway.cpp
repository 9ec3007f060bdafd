#include "fakegateway.h"

#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtNetwork/QTcpSocket>

FakeGateway::FakeGateway(QObject *parent)
    : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, &FakeGateway::onConnection);
}

bool FakeGateway::listen()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

QUrl FakeGateway::url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()));
}

QByteArray FakeGateway::response(int status, const QByteArray &contentType, const QByteArray &body)
{
    return "HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: " + contentType
            + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

QByteArray FakeGateway::chunkedHeader()
{
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
}

QByteArray FakeGateway::chunk(const QByteArray &data)
{
    return QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n";
}

void FakeGateway::onConnection()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        auto *buffer = new QByteArray;
        connect(socket, &QObject::destroyed, this, [buffer] { delete buffer; });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
            *buffer += socket->readAll();
            const qsizetype end = buffer->indexOf("\r\n\r\n");
            if (end < 0)
                return;
            qsizetype length = 0;
            for (const QByteArray &line : buffer->left(end).split('\n'))
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            if (buffer->size() < end + 4 + length)
                return;
            m_lastBody = buffer->mid(end + 4, length);
            buffer->remove(0, end + 4 + length);
            ++m_requests;
            int at = 0;
            QPointer<QTcpSocket> guard = socket;
            for (const Step &step : std::as_const(m_script)) {
                at += step.delayMs;
                QTimer::singleShot(at, this, [guard, step] {
                    if (!guard)
                        return;
                    guard->write(step.data);
                    guard->flush();
                    if (step.close)
                        guard->disconnectFromHost();
                });
            }
        });
    }
}
