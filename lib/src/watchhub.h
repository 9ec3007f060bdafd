#pragma once

#include "client_p.h"
#include "codec.h"
#include "watchstreamparser.h"

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QSet>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QTimer>


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
    QByteArray m_anchor;       // anchored: the key the audit reads (the watched key, or one in its range)
    bool m_anchorGone = false; // the last event of m_anchor delivered was its delete
    quint64 m_auditedRound = 0; // the audit round that last read its key
};

struct WatchStream;
class WatchConnection;

/*!
 * Serves all watches of a Client on one HTTP/1.1 stream of its own (a WatchConnection, not
 * the Client's QNetworkAccessManager, so watches never starve unary calls): a new watch is a
 * create appended to the stream's body, a watch deleted a cancel appended to it, so the
 * stream's cost grows with the watches added, not with the square of them
 * (docs/watch-multiplexing.md). Creates are answered in order; a stream is settled when every
 * create it was sent has been answered.
 * A second stream is opened only to replace the first, make-before-break: when it broke, when
 * it may be half-dead (see replaceAllStreams()), when the Client moved to another endpoint or
 * token. A watch belongs to the stream that confirmed it; when it moves it resumes at its last
 * delivered revision + 1 and revisions already delivered are dropped, so no event is lost,
 * duplicated or reordered.
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
    /*!
     * Watches [key, rangeEnd), audited on \a anchor, one key in the range that existed at
     * \a startRevision - 1. One watch delivers in revision order, so a change of the anchor
     * that etcd shows and the watch has not delivered is a miss as for a one-key watch.
     */
    Watch *watchAnchoredRange(const QByteArray &key, const QByteArray &rangeEnd, const QByteArray &anchor,
                              qint64 startRevision, QObject *parent);
    //! True when every watch is confirmed by a live stream.
    bool isSettled() const;
    int watchCount() const { return int(m_watches.size()); }
    int streamCount() const { return int(m_streams.size()); }
    //! How many streams were opened so far (for tests and benchmarks).
    int streamOpenings() const { return m_openings; }
    //! How many creates and cancels were sent so far, and the bytes sent and received on
    //! streams (tests and benchmarks).
    qint64 createsSent() const { return m_createsSent; }
    qint64 cancelsSent() const { return m_cancelsSent; }
    qint64 bytesSent() const;
    qint64 bytesReceived() const;
    //! How often anchored watches are audited, and how long an audit may take.
    static constexpr int AuditIntervalMs = 1000;
    static constexpr int AuditTimeoutMs = 1000;
    //! How long a change an audit saw may take to arrive on its stream before it counts as missed.
    static constexpr int MissGraceMs = 200;
    //! How many graces a stream that is still receiving gets before a change counts as missed.
    static constexpr int MaxMissGraces = 25;
    //! At most this many anchored watches of a stream are read per audit round (8 txns), those
    //! read longest ago first: beyond it, each is read every watches/1024 rounds.
    static constexpr int MaxAuditedPerRound = 1024;
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
    bool canAppend(const WatchStream *stream) const;
    QList<qint64> takeOver(WatchStream *stream, QSet<qint64> &unassigned);
    void probeRevision();
    void openStream(const QList<qint64> &ids);
    void sendCreates(WatchStream *stream, const QList<qint64> &ids);
    void sendCancel(WatchStream *stream, qint64 id);
    void closeStream(WatchStream *stream);
    void onReadyRead(WatchStream *stream);
    void onStreamFinished(WatchStream *stream);
    bool stillOpen(WatchStream *stream, const QPointer<WatchConnection> &connection) const;
    void onQuiet(WatchStream *stream);
    //! False when the stream is gone (broken by a message, or closed by a receiver).
    bool handleMessages(WatchStream *stream, const QList<WatchMessage> &messages);
    void handleCreated(WatchStream *stream, const WatchMessage &message);
    void handleCanceled(WatchStream *stream, const WatchMessage &message);
    void handleEvents(WatchStream *stream, const WatchMessage &message);
    void endWatch(Watch *watch);
    void releaseIfIdle(WatchStream *stream);
    void checkSettled();
    void streamBroken(WatchStream *stream, Error error, const QString &message);
    void audit();
    void onAudited(WatchStream *stream, GatewayReply *reply, const QList<qint64> &ids);
    static bool missed(const Watch *watch, qint64 modified, qint64 revision);
    void judgeMiss(const QPointer<Watch> &watch, qint64 modified, qint64 revision, int graces);
    void judgeMissLater(const QPointer<Watch> &watch, qint64 modified, qint64 revision, int graces);
    void setLive(const QList<qint64> &ids, bool live);
    QString where(const WatchStream *stream) const;

    ClientPrivate *m_client;
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
    int m_openings = 0;
    quint64 m_streamSerial = 0;
    int m_replacements = 0;
    qint64 m_createsSent = 0;
    qint64 m_cancelsSent = 0;
    qint64 m_bytesSent = 0;     // of closed streams
    qint64 m_bytesReceived = 0; // of closed streams
    QTimer m_auditTimer;
    quint64 m_auditRound = 0;
};

} // namespace Conclave
