#include "electionindex.h"

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
    const QByteArray suffix = key.mid(slash + 1);
    if (suffix.isEmpty() || suffix.size() > 16)
        return KeyKind::Other;
    for (const char ch : suffix)
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return KeyKind::Other;
    *election = QString::fromUtf8(key.left(slash));
    bool ok = false;
    const quint64 id = suffix.toULongLong(&ok, 16);
    return ok && lease != 0 && qint64(id) == lease ? KeyKind::Candidate : KeyKind::Stray;
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
    return infos(m_elections.value(election).strays);
}

QList<LeaderInfo> ElectionIndex::members(const QString &election) const
{
    const Entry e = m_elections.value(election);
    QList<KeyValue> all = e.queue + e.strays;
    std::stable_sort(all.begin(), all.end(), byCreateRevision);
    return infos(all);
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

void ElectionIndex::insert(const QString &election, KeyKind kind, const KeyValue &kv,
                           const QDateTime &now)
{
    Entry &e = m_elections[election];
    if (kind == KeyKind::Candidate) {
        e.queue.insert(std::upper_bound(e.queue.begin(), e.queue.end(), kv, byCreateRevision), kv);
        noteSeen(kv, now);
    } else {
        e.strays.append(kv);
    }
    m_owner.insert(kv.key, election);
}

void ElectionIndex::remove(const QByteArray &key, QSet<QString> *touched)
{
    const auto it = m_owner.constFind(key);
    if (it == m_owner.constEnd())
        return;
    const QString election = *it;
    m_owner.erase(it);
    Entry &e = m_elections[election];
    for (QList<KeyValue> *list : {&e.queue, &e.strays}) {
        for (auto kv = list->begin(); kv != list->end(); ++kv) {
            if (kv->key != key)
                continue;
            m_firstSeen.remove(incarnation(*kv)); // re-inserted by insert() if it stays
            list->erase(kv);
            break;
        }
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

    QList<QPair<QString, KeyValue>> strayKeys;
    for (const KeyValue &kv : listing) {
        QString election;
        const KeyKind kind = classify(kv.key, kv.lease, &election);
        if (kind == KeyKind::Other || (!m_only.isEmpty() && election != m_only))
            continue;
        if (kind == KeyKind::Stray) {
            strayKeys.append({election, kv}); // counted once its election is known
            continue;
        }
        m_elections[election].queue.append(kv); // sorted below, once
        m_owner.insert(kv.key, election);
        noteSeen(kv, now);
    }
    for (auto it = m_elections.begin(); it != m_elections.end(); ++it)
        std::stable_sort(it->queue.begin(), it->queue.end(), byCreateRevision);
    for (const auto &[election, kv] : std::as_const(strayKeys)) {
        const auto e = m_elections.find(election);
        if (e == m_elections.end())
            continue;
        e->strays.append(kv);
        m_owner.insert(kv.key, election);
    }
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
    QMap<QString, LeaderInfo> before;
    QSet<QString> touched;
    QStringList added;
    qint64 last = m_revision;
    auto remember = [&](const QString &election) {
        if (!election.isEmpty() && !before.contains(election))
            before.insert(election, leader(election));
    };
    for (const WatchEvent &e : events) {
        last = qMax(last, e.kv.modRevision);
        remember(m_owner.value(e.kv.key));
        QString election;
        const KeyKind kind = e.type == WatchEvent::Type::Delete
                ? KeyKind::Other
                : classify(e.kv.key, e.kv.lease, &election);
        const bool ignored = kind == KeyKind::Other
                || (!m_only.isEmpty() && election != m_only)
                || (kind == KeyKind::Stray && !m_elections.contains(election));
        // The incarnation's first-seen time survives a value change (same create revision).
        const QDateTime seen = m_firstSeen.value(incarnation(e.kv));
        remove(e.kv.key, &touched);
        if (ignored)
            continue;
        remember(election);
        if (!m_elections.contains(election))
            added.append(election);
        insert(election, kind, e.kv, seen.isValid() ? seen : now);
        touched.insert(election);
    }
    m_revision = qMax(m_revision, last);
    return finish(before, touched, added, last, true);
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
    if (!reportLeaders)
        return changes;
    for (auto it = before.cbegin(); it != before.cend(); ++it) {
        const LeaderInfo now = leader(it.key());
        if (now.key() == it->key() && now.fencingToken() == it->fencingToken())
            continue;
        changes.leaders.append({it.key(), it.value(), now});
    }
    return changes;
}

} // namespace Conclave
