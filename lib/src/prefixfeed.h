#pragma once

// PrefixFeed: a key range read page by page at one revision, then followed with a watch from
// the next revision; listed again after a compaction or a failed watch. What ElectionDirectory
// and ElectionObserver both need before they can index anything.

#include "codec.h"

#include <conclave/conclaveglobal.h>

#include <QtCore/QObject>
#include <QtCore/QTimer>

#include <memory>

namespace Conclave {

class ClientPrivate;
class GatewayReply;
class Watch;

class PrefixFeed : public QObject
{
    Q_OBJECT
public:
    PrefixFeed(ClientPrivate *client, QObject *parent = nullptr);
    ~PrefixFeed() override;

    //! The range \a key … \a rangeEnd (etcd's convention); set while stopped.
    void setRange(const QByteArray &key, const QByteArray &rangeEnd);
    bool isRunning() const { return m_running; }
    //! True from a complete listing until the watch ends.
    bool isSynced() const { return m_synced; }

    void start();
    void stop();

Q_SIGNALS:
    //! A listing page arrived (etcd answered).
    void pageReceived();
    //! The whole range at \a revision; the watch runs from \a revision + 1.
    void listed(const QList<Conclave::KeyValue> &kvs, qint64 revision);
    void eventsReceived(const QList<Conclave::WatchEvent> &events);
    //! A listing failed; it is tried again with backoff (at once after a compaction).
    void listingFailed(Conclave::Error error, const QString &message);
    //! The watch failed for good; listed again in a second.
    void watchFailed(Conclave::Error error, const QString &message);
    void syncedChanged(bool synced);

private:
    void list();
    void fetchPage(const QByteArray &from, int generation);
    void onPage(GatewayReply *reply, int generation);
    void follow(qint64 revision);
    void relistIn(int ms);
    void setSynced(bool on);

    ClientPrivate *const m_client;
    QByteArray m_key;
    QByteArray m_rangeEnd;
    bool m_running = false;
    bool m_synced = false;
    int m_generation = 0;
    qint64 m_listRevision = 0;
    QList<KeyValue> m_listing;
    std::unique_ptr<Watch> m_watch;
    QTimer m_retryTimer;
    int m_backoffMs = 0;
};

} // namespace Conclave
