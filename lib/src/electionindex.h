#pragma once

// ElectionIndex: every election under a key range, kept from a listing and the watch events
// that follow it. No I/O: listings and events go in, the changes they made come out. Shared by
// ElectionDirectory (every election) and ElectionObserver (one election).

#include <conclave/leaderinfo.h>

#include "codec.h"

#include <QtCore/QDateTime>
#include <QtCore/QHash>
#include <QtCore/QMap>
#include <QtCore/QStringList>

namespace Conclave {

class ElectionIndex
{
public:
    /*!
     * How a key is read. Every direct child of `<name>/` is a candidate of election `<name>`,
     * as every client of etcd's recipe sees it; but a key alone cannot say whether its parent
     * is an election. A parent becomes one (is discovered) by a child named after its own lease
     * (hex: Go, etcdctl, Conclave; decimal: etcd3 for Node.js), and stays one.
     */
    enum class KeyKind {
        Other,      //!< no parent (`key`, `/key`)
        Candidate,  //!< `<name>/<its own lease id>`: makes `<name>` an election
        Member,     //!< another child of `<name>`: a candidate if `<name>` is an election
    };
    static KeyKind classify(const QByteArray &key, qint64 lease, QString *election);
    //! A member that will not leave by itself or names a lease it is not on (an anomaly).
    static bool isStray(const KeyValue &kv);

    struct LeaderChange
    {
        QString election;
        LeaderInfo previous; //!< invalid: there was no leader
        LeaderInfo next;     //!< invalid: nobody leads now
        qint64 revision = 0; //!< the store revision of the change
    };
    struct Changes
    {
        QStringList added;   //!< elections seen for the first time, sorted
        QStringList changed; //!< known elections whose candidates or strays changed, sorted
        QList<LeaderChange> leaders;
        qint64 revision = 0; //!< the store revision these changes reflect
    };

    /*!
     * Follows every election (\a election empty) or just \a election: keys of other
     * elections, sub-elections included, are then ignored, and \a election is known from the
     * start (its strays count before any candidate appears).
     */
    explicit ElectionIndex(const QString &election = {});

    /*!
     * Replaces the view with a complete \a listing at \a revision. Elections seen before stay
     * known (with no keys). Leader changes are reported from the second listing on: the first
     * has nothing to compare with.
     */
    Changes reset(const QList<KeyValue> &listing, qint64 revision, const QDateTime &now);
    //! Applies watch events in revision order. Leader changes are reported revision by
    //! revision: a leader that held office only between two revisions of one batch (a watch
    //! catching up after a reconnect) is reported, not skipped.
    Changes apply(const QList<WatchEvent> &events, const QDateTime &now);

    //! The next listing starts over (after a stop): its leader changes are not reported.
    void forgetListing() { m_listed = false; }
    bool isListed() const { return m_listed; }
    qint64 revision() const { return m_revision; }
    QStringList elections() const { return m_elections.keys(); }
    bool contains(const QString &election) const { return m_elections.contains(election); }
    //! Every direct child of the election, oldest (the leader) first: the queue as an Elector,
    //! etcdctl and every client of the recipe wait on it.
    QList<LeaderInfo> candidates(const QString &election) const;
    //! The candidates that isStray(): on no lease, or named after a lease they are not on.
    QList<LeaderInfo> strays(const QString &election) const;
    //! The oldest candidate, invalid when there is none.
    LeaderInfo leader(const QString &election) const;

private:
    struct Entry
    {
        QList<KeyValue> queue; // every direct child, oldest first
    };
    LeaderInfo info(const KeyValue &kv) const;
    QList<LeaderInfo> infos(const QList<KeyValue> &kvs) const;
    void noteSeen(const KeyValue &kv, const QDateTime &when);
    void remove(const QByteArray &key, QSet<QString> *touched);
    void insert(const QString &election, const KeyValue &kv, const QDateTime &now);
    //! The election \a kv belongs to (empty: none known, or not the one followed).
    QString electionOf(const KeyValue &kv, bool *discovers) const;
    void forgetGone();
    Changes finish(const QMap<QString, LeaderInfo> &before, const QSet<QString> &touched,
                   const QStringList &added, qint64 revision, bool reportLeaders) const;
    //! The elections of \a before whose leader is not the one it had, as changes at \a revision.
    QList<LeaderChange> leaderChanges(const QMap<QString, LeaderInfo> &before, qint64 revision) const;

    QString m_only;
    bool m_listed = false;
    qint64 m_revision = 0;
    QMap<QString, Entry> m_elections;
    QHash<QByteArray, QString> m_owner;       // candidate key → its election
    QHash<QByteArray, QDateTime> m_firstSeen; // incarnation (key@create revision) → first seen
};

} // namespace Conclave
