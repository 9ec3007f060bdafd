#pragma once

#include "client_p.h"
#include "codec.h"

#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

QT_BEGIN_NAMESPACE
class QNetworkAccessManager;
class QNetworkReply;
QT_END_NAMESPACE

namespace Conclave {

class WatchHub;
class GatewayReply;

/*!
 * One watch on a key or range, served by its Client's shared watch stream. Delete it to cancel.
 * Events arrive in revision order, each exactly once, across stream restarts, etcd restarts
 * and endpoint failover. compacted() and failed() end the watch.
 */
class Watch : public QObject
{
    Q_OBJECT
public:
    ~Watch() override;
    qint64 id() const { return m_id; }
    QByteArray key() const { return m_key; }
    QByteArray rangeEnd() const { return m_rangeEnd; }
    //! The revision the watch resumes from (last delivered revision + 1); 0 until known.
    qint64 nextRevision() const { return m_next; }
    bool isActive() const { return m_active; }

Q_SIGNALS:
    void created();
    void eventsReceived(const QList<Conclave::WatchEvent> &events);
    void progress(qint64 revision);
    void compacted(qint64 compactRevision);
    void failed(Conclave::Error error, const QString &message);

private:
    friend class WatchHub;
    Watch(WatchHub *hub, qint64 id, QObject *parent);
    QPointer<WatchHub> m_hub;
    qint64 m_id;
    QByteArray m_key;
    QByteArray m_rangeEnd;
    qint64 m_next = 0;
    bool m_prevKv = false;
    bool m_active = true;
    bool m_confirmed = false;
};

/*!
 * Multiplexes all watches of a Client on one HTTP/1.1 stream, on a private
 * QNetworkAccessManager. QNAM sends a request body only once it has ended, so the watch set
 * of a stream is fixed: any change re-opens the stream with every create_request resuming at
 * its watch's last revision + 1, after aborting the old one (etcd-gateway.md §6.3).
 */
class WatchHub : public QObject
{
    Q_OBJECT
public:
    explicit WatchHub(ClientPrivate *client);
    ~WatchHub() override;

    //! Watches [key, rangeEnd) from \a startRevision (0: from now, i.e. current revision + 1).
    Watch *watch(const QByteArray &key, const QByteArray &rangeEnd, qint64 startRevision,
                 bool prevKv, QObject *parent);
    bool isStreaming() const;
    int watchCount() const { return int(m_watches.size()); }
    int streamOpenings() const { return m_openings; }
    static constexpr qsizetype MaxLineBytes = 8 * 1024 * 1024;

Q_SIGNALS:
    void streamOpened();
    void streamLost(Conclave::Error error, const QString &message);

private:
    friend class Watch;
    void remove(qint64 id);
    void scheduleRestart();
    void restart();
    void probeRevision();
    void openStream();
    void closeStream();
    void onReadyRead();
    void onStreamFinished();
    void handleLine(const QByteArray &line);
    void handleCreated(const QJsonObject &result, qint64 watchId);
    void handleCanceled(const QJsonObject &result, qint64 watchId);
    void handleEvents(const QJsonObject &result, qint64 watchId);
    void endWatch(Watch *watch);
    void streamBroken(Error error, const QString &message);
    QString where() const;

    ClientPrivate *m_client;
    QNetworkAccessManager *m_nam;
    QHash<qint64, Watch *> m_watches;
    qint64 m_nextId = 1;
    QPointer<QNetworkReply> m_stream;
    int m_streamEndpoint = 0;
    QByteArray m_buffer;
    QList<qint64> m_awaitingCreated;
    QPointer<GatewayReply> m_probe;
    QTimer m_retryTimer;
    int m_backoffMs = 0;
    bool m_restartScheduled = false;
    bool m_authRetried = false;
    int m_openings = 0;
};

} // namespace Conclave
