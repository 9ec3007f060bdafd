#include "tcpproxy.h"

#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>

#include <sys/socket.h>

TcpProxy::TcpProxy(QObject *parent)
    : QObject(parent)
    , m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &TcpProxy::onNewConnection);
}

TcpProxy::~TcpProxy()
{
    while (!m_links.isEmpty())
        drop(m_links.first(), false);
}

bool TcpProxy::listen(const QUrl &target)
{
    m_target = target;
    return m_server->listen(QHostAddress::LocalHost, 0);
}

QUrl TcpProxy::url() const
{
    QUrl u = m_target;
    u.setHost(QStringLiteral("127.0.0.1"));
    u.setPort(m_server->serverPort());
    return u;
}

void TcpProxy::setMode(Mode mode)
{
    m_mode = mode;
}

int TcpProxy::frozenCount() const
{
    int n = 0;
    for (const Link *l : m_links)
        n += l->frozen;
    return n;
}

void TcpProxy::resetAll()
{
    while (!m_links.isEmpty())
        drop(m_links.first(), true);
}

void TcpProxy::freezeExisting()
{
    for (Link *l : std::as_const(m_links))
        l->frozen = true;
}

void TcpProxy::refusePath(const QByteArray &path)
{
    m_refused = path;
    const QList<Link *> links = m_links;
    for (Link *l : links)
        if (!m_refused.isEmpty() && l->path.startsWith(m_refused))
            drop(l, true);
}

void TcpProxy::onNewConnection()
{
    while (QTcpSocket *client = m_server->nextPendingConnection()) {
        auto *link = new Link;
        link->client = client;
        link->upstream = new QTcpSocket(this);
        m_links.append(link);
        connect(client, &QTcpSocket::readyRead, this, [this, link] {
            forward(link, link->client, link->upstream);
        });
        connect(link->upstream, &QTcpSocket::readyRead, this, [this, link] {
            forward(link, link->upstream, link->client);
        });
        connect(link->upstream, &QTcpSocket::connected, this, [this, link] {
            forward(link, link->client, link->upstream); // what the client sent meanwhile
        });
        // Either side closing closes the other (a clean close, not a reset).
        auto closeBoth = [this, link] {
            if (m_links.contains(link))
                drop(link, false);
        };
        connect(client, &QTcpSocket::disconnected, this, closeBoth, Qt::QueuedConnection);
        connect(link->upstream, &QTcpSocket::disconnected, this, closeBoth, Qt::QueuedConnection);
        connect(link->upstream, &QTcpSocket::errorOccurred, this, closeBoth, Qt::QueuedConnection);
        link->upstream->connectToHost(m_target.host(), quint16(m_target.port()));
    }
}

void TcpProxy::forward(Link *link, QTcpSocket *from, QTcpSocket *to)
{
    // Bytes the client sent before the upstream connection was up are held until it is.
    const QByteArray bytes = from->property("pending").toByteArray() + from->readAll();
    from->setProperty("pending", QByteArray());
    if (link->frozen || m_mode == Mode::Blackhole)
        return; // dropped: the connection stays open and silent
    if (from == link->client && link->path.isEmpty()) // "POST /v3/watch HTTP/1.1"
        link->path = bytes.split(' ').value(1);
    if (!m_refused.isEmpty() && link->path.startsWith(m_refused)) {
        drop(link, true);
        return;
    }
    if (to->state() == QAbstractSocket::ConnectedState)
        to->write(bytes);
    else
        from->setProperty("pending", bytes);
}

static void abortWithReset(QTcpSocket *socket)
{
    if (socket->socketDescriptor() >= 0) {
        linger l{1, 0}; // close() now sends RST instead of FIN
        ::setsockopt(int(socket->socketDescriptor()), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    socket->abort();
}

void TcpProxy::drop(Link *link, bool reset)
{
    m_links.removeAll(link);
    for (QTcpSocket *s : {link->client, link->upstream}) {
        s->disconnect(this);
        if (reset)
            abortWithReset(s);
        else
            s->close();
        s->deleteLater();
    }
    delete link;
}
