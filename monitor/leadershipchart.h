#pragma once

#include "leadershippicture.h"

#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtWidgets/QWidget>

#include <chrono>

namespace Conclave {
class ElectionDirectory;
}

namespace Monitor {

class HistoryStore;

/*!
 * Who led one election over time: time runs left to right and ends at "now" (it follows the
 * clock), one lane per candidate, a bar in the candidate's colour while it led, periods
 * without a leader in red across every lane, a marker at each handover whose tooltip gives
 * time, from → to, cause and fencing token. The wheel zooms (1 min to 24 h).
 */
class LeadershipChart : public QWidget
{
    Q_OBJECT
public:
    static constexpr std::chrono::seconds MinSpan{60};
    static constexpr std::chrono::seconds MaxSpan{24 * 3600};

    explicit LeadershipChart(QWidget *parent = nullptr);
    //! Where the handovers come from: \a history when given (it outlives runs), else the directory.
    void setSources(Conclave::ElectionDirectory *directory, HistoryStore *history);
    void setElection(const QString &election);
    QString election() const { return m_election; }
    //! How much time the chart shows, clamped to [MinSpan, MaxSpan].
    void setSpan(std::chrono::seconds span);
    std::chrono::seconds span() const { return m_span; }

    //! What is painted now (for tests and the bench).
    LeadershipPicture picture() const { return m_picture; }
    //! The handover whose marker is at \a pos (within a few pixels), or an empty text.
    QString toolTipAt(const QPoint &pos) const;
    //! Where the marker of the picture's \a index-th handover is drawn.
    QPoint markerPosition(int index) const;
    //! The rectangle of \a lane's bars.
    QRect laneRect(int lane) const;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

public Q_SLOTS:
    //! Rebuilds the picture for "now" and repaints.
    void refresh();

Q_SIGNALS:
    void spanChanged(std::chrono::seconds span);

protected:
    void paintEvent(QPaintEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    bool event(QEvent *event) override;

private:
    QRect plotRect() const;
    int xOf(const QDateTime &t) const;
    int labelWidth() const;
    void paintAxis(QPainter &p, const QRect &plot);

    QPointer<Conclave::ElectionDirectory> m_directory;
    QPointer<HistoryStore> m_history;
    QString m_election;
    std::chrono::seconds m_span{15 * 60};
    LeadershipPicture m_picture;
    QTimer m_clock;
};

//! The short name of a span: "1 min", "15 min", "6 h".
QString spanName(std::chrono::seconds span);
//! "90s", "5m", "2h" (or plain seconds) within [MinSpan, MaxSpan]; false otherwise.
bool parseSpan(const QString &text, std::chrono::seconds *span);

} // namespace Monitor
