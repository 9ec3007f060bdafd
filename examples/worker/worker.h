#pragma once

// The worker's job, the mongo-leader pattern done the Qt way: the leader runs it (a QTimer
// doing work) and serves followers on its advertised host:port; followers stop it and connect
// to the leader's address from leaderChanged. The work stops *before* leadership is released:
// roleChanged(Follower/NotAMember) is delivered before resign()/leave() delete the key.

#include <conclave/elector.h>

#include <QtCore/QJsonObject>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>

//! One JSON object per line on stdout, stamped with the monotonic clock.
void emitLine(QJsonObject object);

class Worker : public QObject
{
public:
    Worker(Conclave::Elector *elector, const QString &host, quint16 port);
    void stopWork(const char *why);

private:
    void onRoleChanged(Conclave::Elector::Role role);
    void doWork();
    void acceptFollowers();
    void followLeader(const Conclave::LeaderInfo &leader);

    Conclave::Elector *m_elector;
    QString m_host;
    quint16 m_port;
    QTimer m_job;
    QTcpServer m_server;
    QList<QPointer<QTcpSocket>> m_followers;
    QTcpSocket m_upstream;
    Conclave::LeaderInfo m_following;
    qint64 m_term = 0;
    qint64 m_units = 0;
};
