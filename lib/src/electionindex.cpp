#include "electionindex.h"

#include "election.h"

#include <QtCore/QSet>

#include <algorithm>

namespace Conclave {

namespace {

QByteArray incarnation(const KeyValue &kv)
{
    return kv.key + '@' + QByteArray::number(kv.createRevision);
}

bool byCreateRevision(const KeyValue &a, const KeyValue &b)
{
    return a.createRevision < b.createRevision;
}

QStringList sorted(QStringList names)
{
    names.sort();
    return names;
}

} // namespace

ElectionIndex::KeyKind ElectionIndex::classify(const QByteArray &key, qint64 lease, QString *election)
{
    const qsizetype slash = key.lastIndexOf('/');
    if (slash <= 0)
        return KeyKind::Other;
    *election = QString::fromUtf8(key.left(slash));
    return Election::isNamedAfterLease(key.mid(slash + 1), lease) ? KeyKind::Candidate : KeyKind::Member;
}

bool ElectionIndex::isStray(const KeyValue &kv)
{
    if (kv.lease == 0)
        return true;
    const QByteArray name = kv.key.mid(kv.key.lastIndexOf('/') + 1);
    return Election::isHexName(name) && !Election::isNamedAfterLease(name, kv.lease);
}

QString ElectionIndex::electionOf(const KeyValue &kv, bool *discovers) const
{
    QString election;
    const KeyKind kind = classify(kv.key, kv.lease, &election);
    *discovers = false;
    if (kind == KeyKind::Other || (!m_only.isEmpty() && election != m_only))
        return {};
    if (m_elections.contains(election))
        return election;
    *discovers = kind == KeyKind::Candidate;
    return *discovers ? election : QString();
}

ElectionIndex::ElectionIndex(const QString &election)
    : m_only(election)
{
    if (!m_only.isEmpty())
        m_elections.insert(m_only, {});
}

LeaderInfo ElectionIndex::info(const KeyValue &kv) const
{
    return LeaderInfo::fromKeyValue(kv.key, kv.value, kv.lease, kv.createRevision,
                                    m_firstSeen.value(incarnation(kv)));
}

// Strays have no first-seen time (only candidates are noted), so info() serves both.
QList<LeaderInfo> ElectionIndex::infos(const QList<KeyValue> &kvs) const
{
    QList<LeaderInfo> result;
    result.reserve(kvs.size());
    for (const KeyValue &kv : kvs)
        result.append(info(kv));
    return result;
}

QList<LeaderInfo> ElectionIndex::candidates(const QString &election) const
{
    return infos(m_elections.value(election).queue);
}

QList<LeaderInfo> ElectionIndex::strays(const QString &election) const
{
    QList<KeyValue> strays;
    for (const KeyValue &kv : m_elections.value(election).queue)
        if (isStray(kv))
            strays.append(kv);
    return infos(strays);
}

void ElectionIndex::noteSeen(const KeyValue &kv, const QDateTime &when)
{
    if (!m_firstSeen.contains(incarnation(kv)))
        m_firstSeen.insert(incarnation(kv), when);
}

LeaderInfo ElectionIndex::leader(const QString &election) const
{
    const auto it = m_elections.constFind(election);
    if (it == m_elections.constEnd() || it->queue.isEmpty())
        return {};
    return info(it->queue.first());
}

void ElectionIndex::insert(const QString &election, const KeyValue &kv, const QDateTime &now)
{
    Entry &e = m_elections[election];
    e.queue.insert(std::upper_bound(e.queue.begin(), e.queue.end(), kv, byCreateRevision), kv);
    noteSeen(kv, now);
    m_owner.insert(kv.key, election);
}

void ElectionIndex::remove(const QByteArray &key, QSet<QString> *touched)
{
    const auto it = m_owner.constFind(key);
    if (it == m_owner.constEnd())
        return;
    const QString election = *it;
    m_owner.erase(it);
    QList<KeyValue> &queue = m_elections[election].queue;
    for (auto kv = queue.begin(); kv != queue.end(); ++kv) {
        if (kv->key != key)
            continue;
        m_firstSeen.remove(incarnation(*kv)); // re-inserted by insert() if it stays
        queue.erase(kv);
        break;
    }
    touched->insert(election);
}

void ElectionIndex::forgetGone()
{
    QSet<QByteArray> live;
    for (const Entry &e : std::as_const(m_elections))
        for (const KeyValue &kv : e.queue)
            live.insert(incarnation(kv));
    for (auto it = m_firstSeen.begin(); it != m_firstSeen.end();)
        it = live.contains(it.key()) ? std::next(it) : m_firstSeen.erase(it);
}

ElectionIndex::Changes ElectionIndex::reset(const QList<KeyValue> &listing, qint64 revision,
                                            const QDateTime &now)
{
    QMap<QString, LeaderInfo> before;
    for (auto it = m_elections.cbegin(); it != m_elections.cend(); ++it)
        before.insert(it.key(), leader(it.key()));
    const QMap<QString, Entry> old = std::exchange(m_elections, {});
    for (auto it = old.cbegin(); it != old.cend(); ++it)
        m_elections.insert(it.key(), {}); // once seen, an election stays known
    if (!m_only.isEmpty())
        m_elections.insert(m_only, {});
    m_owner.clear();

    // Two passes: a parent is an election once any child is named after its lease, and then
    // every child of it counts, wherever it stands in the listing.
    for (const KeyValue &kv : listing) {
        bool discovers = false;
        const QString election = electionOf(kv, &discovers);
        if (discovers)
            m_elections.insert(election, {});
    }
    for (const KeyValue &kv : listing) {
        bool discovers = false;
        const QString election = electionOf(kv, &discovers);
        if (election.isEmpty())
            continue;
        m_elections[election].queue.append(kv); // sorted below, once
        m_owner.insert(kv.key, election);
        noteSeen(kv, now);
    }
    for (auto it = m_elections.begin(); it != m_elections.end(); ++it)
        std::stable_sort(it->queue.begin(), it->queue.end(), byCreateRevision);
    forgetGone();

    QStringList added;
    QSet<QString> touched;
    for (auto it = m_elections.cbegin(); it != m_elections.cend(); ++it) {
        if (old.contains(it.key()))
            touched.insert(it.key());
        else
            added.append(it.key());
    }
    const bool report = m_listed;
    m_listed = true;
    m_revision = qMax(m_revision, revision);
    return finish(before, touched, added, revision, report);
}

ElectionIndex::Changes ElectionIndex::apply(const QList<WatchEvent> &events, const QDateTime &now)
{
    QMap<QString, LeaderInfo> before; // leaders as of the end of the previous revision
    QSet<QString> touched;
    QStringList added;
    QList<LeaderChange> leaders;
    qint64 last = m_revision;
    auto remember = [&](const QString &election) {
        if (!election.isEmpty() && !before.contains(election))
            before.insert(election, leader(election));
    };
    for (qsizetype i = 0; i < events.size(); ++i) {
        const WatchEvent &e = events.at(i);
        last = qMax(last, e.kv.modRevision);
        remember(m_owner.value(e.kv.key));
        // The incarnation's first-seen time survives a value change (same create revision).
        const QDateTime seen = m_firstSeen.value(incarnation(e.kv));
        remove(e.kv.key, &touched);
        bool discovers = false;
        const QString election = e.type == WatchEvent::Type::Delete ? QString() : electionOf(e.kv, &discovers);
        if (!election.isEmpty()) {
            remember(election);
            if (discovers)
                added.append(election);
            insert(election, e.kv, seen.isValid() ? seen : now);
            touched.insert(election);
        }
        // The end of a revision (the events of one revision come together, in order).
        if (i + 1 == events.size() || events.at(i + 1).kv.modRevision != e.kv.modRevision) {
            leaders += leaderChanges(before, e.kv.modRevision);
            before.clear();
        }
    }
    m_revision = qMax(m_revision, last);
    Changes changes = finish({}, touched, added, last, true);
    changes.leaders = leaders;
    return changes;
}

QList<ElectionIndex::LeaderChange> ElectionIndex::leaderChanges(const QMap<QString, LeaderInfo> &before,
                                                                qint64 revision) const
{
    QList<LeaderChange> changes;
    for (auto it = before.cbegin(); it != before.cend(); ++it) {
        const LeaderInfo now = leader(it.key());
        if (now.key() != it->key() || now.fencingToken() != it->fencingToken())
            changes.append({it.key(), it.value(), now, revision});
    }
    return changes;
}

ElectionIndex::Changes ElectionIndex::finish(const QMap<QString, LeaderInfo> &before,
                                             const QSet<QString> &touched,
                                             const QStringList &added, qint64 revision,
                                             bool reportLeaders) const
{
    Changes changes;
    changes.revision = revision;
    changes.added = sorted(added);
    for (const QString &election : touched)
        if (!added.contains(election))
            changes.changed.append(election);
    changes.changed.sort();
    if (reportLeaders)
        changes.leaders = leaderChanges(before, revision);
    return changes;
}

} // namespace Conclave
