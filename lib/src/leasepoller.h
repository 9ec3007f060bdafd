#pragma once

// LeasePoller: the TTLs of the leases someone is looking at. etcd has no lease events, so
// tracked leases are read with timetolive under a rate budget and counted down locally in
// between.

#include <conclave/leasestatus.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QSet>
#include <QtCore/QTimer>

namespace Conclave {

class ClientPrivate;

class LeasePoller : public QObject
{
    Q_OBJECT
public:
    explicit LeasePoller(ClientPrivate *client, QObject *parent = nullptr);

    //! Replaces the tracked set; readings of untracked leases are kept ten minutes.
    void setTracked(const QSet<qint64> &leases);
    QSet<qint64> tracked() const { return m_tracked; }
    void setRate(int perSecond);
    int rate() const { return m_rate; }
    //! The last reading, counted down to now.
    LeaseStatus status(qint64 lease) const;
    /*!
     * How long the lease was certain to live still, from its last reading: etcd's whole seconds
     * (rounded down) less the time since, less ProvenSlackMs for the answer's way; 0 when that
     * is spent or nothing is known. A lease gone before that ran out did not expire.
     */
    qint64 provenRemainingMs(qint64 lease) const;
    static constexpr qint64 ProvenSlackMs = 100;

    void start();
    void stop();

Q_SIGNALS:
    //! New readings arrived (at most once per poll tick).
    void updated();
    //! etcd answered a poll.
    void answered();

private:
    struct Lease
    {
        qint64 ttl = 0;
        qint64 granted = 0;
        LeaseStatus::State state = LeaseStatus::State::Unknown;
        QDateTime checkedAt;
        QElapsedTimer sinceCheck;
        qint64 lastAsked = -1; // m_clock ms
        bool inflight = false;
        qint64 remainingMs() const;
    };
    void poll();
    QList<qint64> due(qint64 now) const;
    void ask(qint64 lease, qint64 now);

    ClientPrivate *const m_client;
    bool m_running = false;
    int m_generation = 0;
    QSet<qint64> m_tracked;
    int m_rate = 50;
    QHash<qint64, Lease> m_leases;
    QTimer m_timer;
    QElapsedTimer m_clock;
    int m_inFlight = 0;
    bool m_dirty = false;
};

} // namespace Conclave
