#include "leadershippicture.h"

#include "historystore.h"

#include <algorithm>

namespace Monitor {

LeadershipPicture LeadershipPicture::build(const QList<Conclave::Handover> &history,
                                           const QList<Conclave::LeaderInfo> &queue,
                                           const QDateTime &from, const QDateTime &to)
{
    LeadershipPicture p;
    p.from = from;
    p.to = to;
    Conclave::LeaderInfo leader; // as the records say, from `since`
    QDateTime since;
    bool known = false;          // whether the records tell who led (or that nobody did) since `since`
    bool startsBefore = false;

    auto close = [&](const QDateTime &end, bool unobserved) {
        if (!known)
            return;
        const QDateTime start = std::max(since, from);
        const QDateTime stop = std::min(end, to);
        if (start >= stop)
            return;
        if (leader.isValid())
            p.spans.append({leader.id(), leader.fencingToken(), start, stop, startsBefore, unobserved && end <= to});
        else
            p.gaps.append({start, stop});
    };

    for (const Conclave::Handover &h : history) {
        if (h.at > to)
            break;
        const bool unseenBefore = h.cause == Conclave::Handover::Cause::Elected && !h.previous.isValid();
        if (!known) {
            // The first record: its previous leader led at least since the recorder first saw
            // it there; when it began is not known.
            if (h.previous.isValid()) {
                leader = h.previous;
                since = h.previous.since().isValid() && h.previous.since() < h.at ? h.previous.since() : h.at;
                known = true;
                startsBefore = true;
            }
        }
        // Someone led, and now a record starts from nothing: the recorder started again after
        // a change it did not see.
        close(h.at, unseenBefore && leader.isValid());
        if (h.at >= from && h.at <= to)
            p.markers.append(h);
        leader = h.next;
        since = h.at;
        known = true;
        startsBefore = false;
    }
    if (!known && !queue.isEmpty()) {
        // No record at all: the current leader, since the recorder first saw it there.
        leader = queue.first();
        since = queue.first().since().isValid() ? queue.first().since() : to;
        known = true;
        startsBefore = true;
    }
    close(to, false);

    for (const Conclave::LeaderInfo &c : queue)
        if (!p.lanes.contains(c.id()))
            p.lanes.append(c.id());
    QList<const LeadershipSpan *> others;
    for (const LeadershipSpan &s : p.spans)
        if (!p.lanes.contains(s.id))
            others.append(&s);
    std::stable_sort(others.begin(), others.end(),
                     [](const LeadershipSpan *a, const LeadershipSpan *b) { return a->end > b->end; });
    for (const LeadershipSpan *s : others)
        if (!p.lanes.contains(s->id))
            p.lanes.append(s->id);
    return p;
}

LeadershipPicture pictureNow(const Conclave::ElectionDirectory *directory, const HistoryStore *history,
                             const QString &election, std::chrono::seconds span)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    if (!directory || election.isEmpty())
        return LeadershipPicture::build({}, {}, now.addSecs(-span.count()), now);
    return LeadershipPicture::build(history ? history->handovers(election) : directory->history(election),
                                    directory->candidates(election), now.addSecs(-span.count()), now);
}

qint64 LeadershipPicture::leaderlessMs() const
{
    qint64 ms = 0;
    for (const LeadershipGap &g : gaps)
        ms += g.start.msecsTo(g.end);
    return ms;
}

QColor laneColor(const QString &id)
{
    // FNV-1a and a final mix (qHash is seeded per process, and a candidate should keep its
    // colour); ids that differ in one letter ("billing-1", "billing-2") land far apart.
    quint32 h = 2166136261u;
    for (const char c : id.toUtf8()) {
        h ^= quint8(c);
        h *= 16777619u;
    }
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    // Twelve hues 30 degrees apart, none of them the red that means "no leader".
    static const int hues[] = {30, 50, 90, 130, 160, 185, 205, 225, 250, 275, 300, 320};
    return QColor::fromHsv(hues[h % 12], 150 + int((h >> 8) % 50), 175 + int((h >> 16) % 45));
}

QString describeHandover(const Conclave::Handover &h)
{
    const QString from = h.previous.isValid() ? h.previous.id() : QStringLiteral("(none)");
    const QString to = h.next.isValid() ? h.next.id() : QStringLiteral("(none)");
    QString text = QStringLiteral("%1  %2 → %3  (%4")
                           .arg(h.at.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz")), from, to,
                                Conclave::causeName(h.cause));
    if (h.next.isValid())
        text += QStringLiteral(", fencing token %1").arg(h.next.fencingToken());
    return text + QLatin1Char(')');
}

} // namespace Monitor
