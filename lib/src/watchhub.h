#pragma once

#include "client_p.h"
#include "codec.h"
#include "watchstreamparser.h"

#include <QtCore/QElapsedTimer>
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
 *
 * A watch is live while a stream that confirmed it is open; liveChanged(false) says its stream
 * broke and the hub is re-placing it (nothing is lost: it resumes where it was). While its
 * stream is replaced as possibly half-dead, isLive() is false without a signal (whoever relies
 * on the watch already keeps relying on it until it breaks, as a leader riding out an etcd
 * outage does; whoever is about to start waits), and liveChanged(true) follows once a new
 * stream confirms it. An anchored
 * watch (one key that existed when the watch starts) is also audited: the hub checks about once
 * a second that etcd's copy of the key agrees with what the stream delivered, replaces a stream
 * that fell silent or hangs, and moves the resume point forward so that a re-opened stream is
 * not refused as compacted.
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
    //! A stream that confirmed it is open, and no call of the Client has hung since (see
    //! WatchHub::replaceAllStreams()).
    bool isLive() const { return m_live && !m_suspect; }
    //! NoDelete: etcd filters deletes out (they are never sent); such a watch cannot be anchored.
    enum class Filter { None, NoDelete };
    Filter filter() const { return m_filter; }

Q_SIGNALS:
    void created();
    void liveChanged(bool live);
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
    Filter m_filter = Filter::None;
    bool m_anchored = false;
    bool m_active = true;
    bool m_confirmed = false;
    bool m_live = false;
    bool m_suspect = false; // its stream is being replaced as possibly half-dead
    bool m_lastWasDelete = false;
};

struct WatchStream;

/*!
 * Serves all watches of a Client with as few HTTP/1.1 streams as it can, on private
 * QNetworkAccessManagers (so watches never starve unary calls).
 *
 * Two facts shape it (docs/etcd-gateway.md §3 and docs/watch-multiplexing.md):
 * - QNAM sends a request body only once it has ended, so the watch set of one stream is fixed
 *   when it opens: new watches go to a new stream.
 * - etcd's gateway (Go net/http, HTTP/1.1) discards the unread rest of a request body when it
 *   writes its first reply, so a body with many create_requests may have its tail dropped.
 *   Every body therefore ends with a progress_request (its answer, when etcd sends one, proves
 *   the whole body was read; 3.5 may send it early or never, so it is no barrier) and creates
 *   not confirmed when a stream goes quiet are moved to a new stream. A stream is settled when
 *   every create of its body has been answered.
 * A watch belongs to the stream that confirmed it; when it moves (spill, merge, failure) it
 * resumes at its last delivered revision + 1 and revisions already delivered are dropped, so
 * no event is lost, duplicated or reordered.
 */
class WatchHub : public QObject
{
    Q_OBJECT
public:
    explicit WatchHub(ClientPrivate *client);
    ~WatchHub() override;

    //! Watches [key, rangeEnd) from \a startRevision (0: from now, i.e. current revision + 1).
    Watch *watch(const QByteArray &key, const QByteArray &rangeEnd, qint64 startRevision,
                 bool prevKv, QObject *parent, Watch::Filter filter = Watch::Filter::None);
    /*!
     * Watches one key that existed at \a startRevision - 1 (the caller read it there), audited
     * (see Watch).
     */
    Watch *watchAnchored(const QByteArray &key, qint64 startRevision, QObject *parent);
    //! True when every watch is confirmed by a live stream.
    bool isSettled() const;
    int watchCount() const { return int(m_watches.size()); }
    int streamCount() const { return int(m_streams.size()); }
    //! How many streams were opened so far (for tests and benchmarks).
    int streamOpenings() const { return m_openings; }
    //! How often anchored watches are audited, and how long an audit may take.
    static constexpr int AuditIntervalMs = 1000;
    static constexpr int AuditTimeoutMs = 1000;
    //! How long a change an audit saw may take to arrive on its stream before it counts as missed.
    static constexpr int MissGraceMs = 200;
    //! How many streams were replaced because one was found silent or a call hung.
    int streamReplacements() const { return m_replacements; }
    /*!
     * Replaces every stream, make-before-break (the watches resume elsewhere from where they
     * were, nothing is lost), because a connection of the Client was found half-dead (\a why).
     * Until a new stream confirms a watch, isLive() is false: nothing new may be built on what
     * the old stream would have told (see Watch).
     */
    void replaceAllStreams(const QString &why);

Q_SIGNALS:
    //! Every watch is confirmed by a live stream again: after new watches were placed, or after
    //! a stream was lost.
    void settled();
    void streamLost(Conclave::Error error, const QString &message);
    //! After a watch on \a key delivered \a events (for tests and benchmarks: what woke a Client).
    void eventsDelivered(const QByteArray &key, const QList<Conclave::WatchEvent> &events);

private:
    friend class Watch;
    void remove(qint64 id);
    void scheduleAssign();
    void assign();
    void probeRevision();
    void openStream(const QList<qint64> &ids);
    void closeStream(WatchStream *stream);
    void onReadyRead(WatchStream *stream);
    void onStreamFinished(WatchStream *stream);
    void onSettleTimeout(WatchStream *stream);
    //! False when the stream is gone (broken by a message, or closed by a receiver).
    bool handleMessages(WatchStream *stream, const QList<WatchMessage> &messages);
    void handleCreated(WatchStream *stream, const WatchMessage &message);
    void handleCanceled(WatchStream *stream, const WatchMessage &message);
    void handleEvents(WatchStream *stream, const WatchMessage &message);
    void endWatch(Watch *watch);
    void releaseIfIdle(WatchStream *stream);
    void maybeMerge();
    //! How many streams the watches need at most; beyond it, maybeMerge() folds them.
    int streamBudget() const;
    void checkSettled();
    void streamBroken(WatchStream *stream, Error error, const QString &message);
    void audit();
    void onAudited(WatchStream *stream, GatewayReply *reply, const QList<qint64> &ids);
    static bool missed(const Watch *watch, qint64 modified, qint64 revision);
    void setLive(const QList<qint64> &ids, bool live);
    QNetworkAccessManager *namForNewStream();
    QString where(const WatchStream *stream) const;

    ClientPrivate *m_client;
    QList<QNetworkAccessManager *> m_nams;
    QHash<qint64, Watch *> m_watches;
    QHash<qint64, WatchStream *> m_owner;  // the stream that delivers a watch's events
    QList<qint64> m_unassigned;            // watches waiting for a stream
    QList<WatchStream *> m_streams;
    qint64 m_nextId = 1;
    QPointer<GatewayReply> m_probe;
    QTimer m_retryTimer;
    int m_backoffMs = 0;
    bool m_assignScheduled = false;
    bool m_authRetried = false;
    bool m_wasSettled = true;
    bool m_mergePending = false;
    WatchStream *m_merging = nullptr;
    QElapsedTimer m_lastMerge;
    QTimer m_mergeTimer;
    int m_openings = 0;
    QElapsedTimer m_burstWindow; // streams opened since it started: m_openings - m_windowOpenings
    int m_windowOpenings = 0;
    int m_replacements = 0;
    QTimer m_auditTimer;
};

} // namespace Conclave
