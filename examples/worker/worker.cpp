#include "worker.h"

#include <QtCore/QJsonDocument>

#include <chrono>
#include <cstdio>

void emitLine(QJsonObject object)
{
    using namespace std::chrono;
    object.insert(QStringLiteral("mono_ns"),
                  qint64(duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count()));
    const QByteArray line = QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fflush(stdout);
}

Worker::Worker(Conclave::Elector *elector, const QString &host, quint16 port)
    : m_elector(elector)
    , m_host(host)
    , m_port(port)
{
    m_job.setInterval(200);
    connect(&m_job, &QTimer::timeout, this, &Worker::doWork);
    connect(&m_server, &QTcpServer::newConnection, this, &Worker::acceptFollowers);
    connect(elector, &Conclave::Elector::roleChanged, this, &Worker::onRoleChanged);
    connect(elector, &Conclave::Elector::leaderChanged, this, &Worker::followLeader);
    connect(&m_upstream, &QTcpSocket::readyRead, this, [this] {
        while (m_upstream.canReadLine())
            emitLine({{QStringLiteral("event"), QStringLiteral("received")},
                      {QStringLiteral("line"), QString::fromUtf8(m_upstream.readLine().trimmed())}});
    });
    connect(&m_upstream, &QTcpSocket::connected, this, [this] {
        emitLine({{QStringLiteral("event"), QStringLiteral("connected")},
                  {QStringLiteral("leader"), m_following.id()},
                  {QStringLiteral("address"), QStringLiteral("%1:%2").arg(m_following.host()).arg(m_following.port())}});
    });
    connect(&m_upstream, &QTcpSocket::errorOccurred, this, [this] {
        // The leader may not be listening yet (it opens its server once it knows it leads).
        if (m_elector->role() == Conclave::Elector::Role::Follower && m_following.isValid())
            QTimer::singleShot(300, this, [this] { followLeader(m_elector->leader()); });
    });
}

void Worker::stopWork(const char *why)
{
    if (!m_job.isActive())
        return;
    m_job.stop();
    m_server.close();
    for (QTcpSocket *s : std::as_const(m_followers))
        if (s)
            s->disconnectFromHost();
    m_followers.clear();
    emitLine({{QStringLiteral("event"), QStringLiteral("work-stopped")}, {QStringLiteral("why"), QLatin1String(why)},
              {QStringLiteral("units"), m_units}});
}

void Worker::onRoleChanged(Conclave::Elector::Role role)
{
    emitLine({{QStringLiteral("event"), QStringLiteral("role")},
              {QStringLiteral("role"), role == Conclave::Elector::Role::Leader ? QStringLiteral("leader")
                                       : role == Conclave::Elector::Role::Follower ? QStringLiteral("follower")
                                                                                    : QStringLiteral("not-a-member")}});
    if (role != Conclave::Elector::Role::Leader) {
        stopWork("lost leadership"); // runs before the Elector releases its key
        return;
    }
    m_upstream.abort();
    m_following = {};
    m_term = m_elector->fencingToken();
    if (!m_server.listen(QHostAddress(m_host), m_port))
        emitLine({{QStringLiteral("event"), QStringLiteral("error")}, {QStringLiteral("message"), m_server.errorString()}});
    m_job.start();
    emitLine({{QStringLiteral("event"), QStringLiteral("work-started")}, {QStringLiteral("term"), m_term}});
}

void Worker::doWork()
{
    ++m_units;
    const QByteArray line = QStringLiteral("unit %1 term %2\n").arg(m_units).arg(m_term).toUtf8();
    for (QTcpSocket *s : std::as_const(m_followers))
        if (s)
            s->write(line);
}

void Worker::acceptFollowers()
{
    while (QTcpSocket *s = m_server.nextPendingConnection()) {
        connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
        s->write(QStringLiteral("hello from %1 term %2\n").arg(m_elector->candidateId()).arg(m_term).toUtf8());
        m_followers.append(s);
    }
}

void Worker::followLeader(const Conclave::LeaderInfo &leader)
{
    if (m_elector->role() == Conclave::Elector::Role::Leader)
        return;
    if (leader.key() == m_following.key() && leader.fencingToken() == m_following.fencingToken()
        && m_upstream.state() != QAbstractSocket::UnconnectedState)
        return;
    m_upstream.abort();
    m_following = leader;
    if (leader.isValid() && !leader.host().isEmpty() && leader.port() > 0)
        m_upstream.connectToHost(leader.host(), quint16(leader.port()));
}
