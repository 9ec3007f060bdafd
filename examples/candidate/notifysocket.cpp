#include "notifysocket.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QFile>
#include <QtCore/QRandomGenerator>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

NotifySocket::NotifySocket(QObject *parent)
    : QObject(parent)
{
}

NotifySocket::~NotifySocket()
{
    if (m_fd >= 0)
        ::close(m_fd);
    if (!m_path.isEmpty())
        QFile::remove(m_path);
}

bool NotifySocket::listen(const QString &requested, QString *problem)
{
    m_address = requested.isEmpty()
            ? QStringLiteral("@conclave-notify-%1-%2").arg(QCoreApplication::applicationPid())
                      .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0'))
            : requested;
    const QByteArray name = m_address.toLocal8Bit();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (name.size() >= qsizetype(sizeof addr.sun_path) || name.size() < 2) {
        *problem = QStringLiteral("notify socket \"%1\": the address must be 2..%2 bytes").arg(m_address).arg(sizeof addr.sun_path - 1);
        return false;
    }
    memcpy(addr.sun_path, name.constData(), size_t(name.size()));
    if (name.startsWith('@'))
        addr.sun_path[0] = '\0'; // abstract: no file, gone with the socket
    const socklen_t length = socklen_t(offsetof(sockaddr_un, sun_path) + size_t(name.size()) + (name.startsWith('@') ? 0 : 1));
    m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<const sockaddr *>(&addr), length) != 0) {
        *problem = QStringLiteral("notify socket \"%1\": %2").arg(m_address, QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    if (!name.startsWith('@'))
        m_path = m_address;
    m_notifier = std::make_unique<QSocketNotifier>(m_fd, QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, &NotifySocket::onReadable);
    return true;
}

void NotifySocket::onReadable()
{
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
        if (n <= 0)
            return; // EAGAIN: drained
        for (const QByteArray &line : QByteArray(buffer, n).split('\n'))
            if (!line.isEmpty())
                handle(line);
    }
}

void NotifySocket::handle(const QByteArray &assignment)
{
    const qsizetype eq = assignment.indexOf('=');
    const QByteArray key = assignment.left(eq);
    const QByteArray value = eq < 0 ? QByteArray() : assignment.mid(eq + 1);
    if (key == "READY" && value == "1")
        Q_EMIT ready();
    else if (key == "WATCHDOG" && value == "1")
        Q_EMIT watchdogPing();
    else if (key == "WATCHDOG" && value == "trigger")
        Q_EMIT watchdogTrigger();
    else if (key == "STATUS")
        Q_EMIT statusChanged(QString::fromUtf8(value));
    else if (key == "STOPPING" && value == "1")
        Q_EMIT stopping();
}
