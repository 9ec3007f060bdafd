#pragma once

// Who led one election when, worked out from its recorded handovers: the picture the
// leadership chart and the elections list's strip paint. Pure computation, no widgets.

#include <conclave/electiondirectory.h>

#include <QtGui/QColor>
#include <QtCore/QDateTime>
#include <QtCore/QList>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <chrono>

namespace Monitor {

class HistoryStore;

struct LeadershipSpan
{
    QString id;           //!< the candidate that led (its lane)
    qint64 fencing = 0;   //!< the incarnation's fencing token
    QDateTime start, end; //!< clipped to the window
    bool startsBefore = false;  //!< led before the first record: from when it was first seen, or earlier
    bool endUnobserved = false; //!< the recorder was not running when it ended: end not known
};

struct LeadershipGap
{
    QDateTime start, end; //!< nobody led (observed), clipped to the window
};

struct LeadershipPicture
{
    QDateTime from, to;
    QStringList lanes;              //!< current queue first, then others that led in the window
    QList<LeadershipSpan> spans;    //!< oldest first
    QList<LeadershipGap> gaps;      //!< observed periods without a leader
    QList<Conclave::Handover> markers; //!< the handovers inside the window

    //! Builds the picture of [\a from, \a to] from \a history (one election, oldest first) and
    //! the election's current queue (leader first). A record whose predecessor is unknown
    //! ("elected" with no previous leader while someone led, as when a monitor starts again
    //! after a change it did not see) ends the earlier span there, marked endUnobserved: it led
    //! at least until the recorder stopped, and nobody saw when it ended.
    static LeadershipPicture build(const QList<Conclave::Handover> &history,
                                   const QList<Conclave::LeaderInfo> &queue, const QDateTime &from,
                                   const QDateTime &to);
    //! Milliseconds without a leader inside the window.
    qint64 leaderlessMs() const;
};

/*!
 * \a election's last \a span up to now: its handovers from \a history when given (it outlives
 * runs), else those \a directory recorded in this run, and its current queue. An empty picture
 * of the span without a directory or an election.
 */
LeadershipPicture pictureNow(const Conclave::ElectionDirectory *directory, const HistoryStore *history,
                             const QString &election, std::chrono::seconds span);

//! The same colour for the same candidate id in every run and every view.
QColor laneColor(const QString &id);
//! "12:04:31  billing-1 → billing-2  (resigned, fencing token 8812)".
QString describeHandover(const Conclave::Handover &handover);

} // namespace Monitor
