#pragma once

// A TCP proxy in front of one etcd member, for fault injection: pass bytes, black-hole them
// (a partition: connections stay open, nothing gets through, in either direction), reset every
// connection, or freeze the connections that exist now (half-dead: bytes dropped forever, no
// reset, as a NAT or load balancer that forgot the flow does) while new ones pass.

#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QUrl>

class QTcpServer;
class QTcpSocket;

class TcpProxy : public QObject
{
    Q_OBJECT
public:
    enum class Mode { Pass, Blackhole };

    explicit TcpProxy(QObject *parent = nullptr);
    ~TcpProxy() override;

    //! Listens on a free loopback port and forwards to \a target (http://host:port).
    bool listen(const QUrl &target);
    //! The proxy's own URL (same scheme as the target).
    QUrl url() const;
    void setTarget(const QUrl &target) { m_target = target; }

    Mode mode() const { return m_mode; }
    void setMode(Mode mode);
    //! Aborts every connection with a TCP reset (both sides).
    void resetAll();
    //! The connections open now drop every byte from here on; new connections pass.
    void freezeExisting();
    //! Resets every connection, now and later, whose first request is for a path starting with
    //! \a path (e.g. "/v3/watch": watch streams fail, unary calls pass); empty: none.
    void refusePath(const QByteArray &path);
    int connectionCount() const { return int(m_links.size()); }
    int frozenCount() const;

private:
    struct Link
    {
        QTcpSocket *client = nullptr;
        QTcpSocket *upstream = nullptr;
        bool frozen = false;
        QByteArray path; // of the first request, once seen
    };
    void onNewConnection();
    void forward(Link *link, QTcpSocket *from, QTcpSocket *to);
    void drop(Link *link, bool reset);

    QTcpServer *m_server = nullptr;
    QUrl m_target;
    Mode m_mode = Mode::Pass;
    QByteArray m_refused;
    QList<Link *> m_links;
};
