#include "leadershipchart.h"

#include "historystore.h"

#include <conclave/electiondirectory.h>

#include <QtCore/QTimeZone>
#include <QtGui/QHelpEvent>
#include <QtGui/QPainter>
#include <QtGui/QWheelEvent>
#include <QtWidgets/QToolTip>

#include <algorithm>
#include <cmath>

namespace Monitor {

namespace {

constexpr int LaneHeight = 22;
constexpr int LaneGap = 4;
constexpr int Top = 6;
constexpr int AxisHeight = 20;
constexpr int MarkerReach = 4; // pixels either side of a marker that show its tooltip

QColor gapColor(const QPalette &palette)
{
    // Readable on light and dark palettes alike.
    QColor red(220, 40, 40);
    red.setAlpha(palette.color(QPalette::Base).lightness() < 128 ? 110 : 70);
    return red;
}

} // namespace

bool parseSpan(const QString &text, std::chrono::seconds *span)
{
    const QString t = text.trimmed().toLower();
    qint64 unit = 1;
    QString number = t;
    if (t.endsWith(QLatin1Char('h')))
        unit = 3600;
    else if (t.endsWith(QLatin1Char('m')))
        unit = 60;
    if (unit != 1 || t.endsWith(QLatin1Char('s')))
        number.chop(1);
    bool ok = false;
    const qint64 n = number.toLongLong(&ok);
    const std::chrono::seconds value(n * unit);
    if (!ok || value < LeadershipChart::MinSpan || value > LeadershipChart::MaxSpan)
        return false;
    *span = value;
    return true;
}

QString spanName(std::chrono::seconds span)
{
    const qint64 s = span.count();
    if (s % 3600 == 0)
        return QStringLiteral("%1 h").arg(s / 3600);
    return QStringLiteral("%1 min").arg(s / 60);
}

LeadershipChart::LeadershipChart(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("leadershipChart"));
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    // The chart follows the clock: "now" is its right edge.
    m_clock.setInterval(1000);
    connect(&m_clock, &QTimer::timeout, this, [this] {
        if (isVisible())
            refresh();
    });
    m_clock.start();
}

void LeadershipChart::setSources(Conclave::ElectionDirectory *directory, HistoryStore *history)
{
    if (m_directory)
        disconnect(m_directory, nullptr, this, nullptr);
    if (m_history)
        disconnect(m_history, nullptr, this, nullptr);
    m_directory = directory;
    m_history = history;
    auto mine = [this](const Conclave::Handover &h) {
        if (h.election == m_election)
            refresh();
    };
    if (history) {
        connect(history, &HistoryStore::appended, this, mine);
        connect(history, &HistoryStore::reloaded, this, &LeadershipChart::refresh);
    } else if (directory)
        connect(directory, &Conclave::ElectionDirectory::handoverRecorded, this, mine);
    if (directory)
        connect(directory, &Conclave::ElectionDirectory::electionChanged, this, [this](const QString &e) {
            if (e == m_election)
                refresh();
        });
    refresh();
}

void LeadershipChart::setElection(const QString &election)
{
    m_election = election;
    refresh();
}

void LeadershipChart::setSpan(std::chrono::seconds span)
{
    span = std::clamp(span, MinSpan, MaxSpan);
    if (span == m_span)
        return;
    m_span = span;
    refresh();
    Q_EMIT spanChanged(span);
}

void LeadershipChart::refresh()
{
    const qsizetype lanes = m_picture.lanes.size();
    m_picture = pictureNow(m_directory, m_history, m_election, m_span);
    if (m_picture.lanes.size() != lanes)
        updateGeometry(); // the minimum height follows the number of lanes
    update();
}

int LeadershipChart::labelWidth() const
{
    int widest = fontMetrics().horizontalAdvance(tr("no leader"));
    for (const QString &lane : m_picture.lanes)
        widest = std::max(widest, fontMetrics().horizontalAdvance(lane));
    return std::clamp(widest + 12, 80, 220);
}

QRect LeadershipChart::plotRect() const
{
    const int left = labelWidth();
    return QRect(left, Top, std::max(10, width() - left - 8), std::max(10, height() - Top - AxisHeight));
}

QRect LeadershipChart::laneRect(int lane) const
{
    const QRect plot = plotRect();
    return QRect(plot.left(), plot.top() + lane * (LaneHeight + LaneGap), plot.width(), LaneHeight);
}

int LeadershipChart::xOf(const QDateTime &t) const
{
    const QRect plot = plotRect();
    const qint64 total = m_picture.from.msecsTo(m_picture.to);
    if (total <= 0)
        return plot.left();
    const qint64 at = std::clamp(m_picture.from.msecsTo(t), qint64(0), total);
    return plot.left() + int(double(at) / double(total) * plot.width());
}

QPoint LeadershipChart::markerPosition(int index) const
{
    if (index < 0 || index >= m_picture.markers.size())
        return {};
    return QPoint(xOf(m_picture.markers.at(index).at), plotRect().top() + 2);
}

QString LeadershipChart::toolTipAt(const QPoint &pos) const
{
    if (!plotRect().adjusted(-MarkerReach, 0, MarkerReach, 0).contains(pos))
        return {};
    QStringList lines;
    for (const Conclave::Handover &h : m_picture.markers)
        if (std::abs(xOf(h.at) - pos.x()) <= MarkerReach)
            lines << describeHandover(h);
    if (!lines.isEmpty())
        return lines.join(QLatin1Char('\n'));
    // Otherwise the bar under the pointer.
    const int lane = (pos.y() - plotRect().top()) / (LaneHeight + LaneGap);
    for (const LeadershipSpan &s : m_picture.spans)
        if (lane >= 0 && lane < m_picture.lanes.size() && s.id == m_picture.lanes.at(lane)
            && xOf(s.start) <= pos.x() && pos.x() <= xOf(s.end))
            return tr("%1 led, fencing token %2\nfrom %3%4\nto %5%6")
                    .arg(s.id).arg(s.fencing)
                    .arg(s.start.toLocalTime().toString(QStringLiteral("HH:mm:ss")),
                         s.startsBefore ? tr(" (first seen then; it may have led before)") : QString(),
                         s.end.toLocalTime().toString(QStringLiteral("HH:mm:ss")),
                         s.endUnobserved ? tr(" or later (the monitor was not running)") : QString());
    for (const LeadershipGap &g : m_picture.gaps)
        if (xOf(g.start) <= pos.x() && pos.x() <= xOf(g.end))
            return tr("no leader from %1 to %2").arg(g.start.toLocalTime().toString(QStringLiteral("HH:mm:ss")),
                                                     g.end.toLocalTime().toString(QStringLiteral("HH:mm:ss")));
    return {};
}

QSize LeadershipChart::minimumSizeHint() const
{
    const int lanes = std::max<int>(1, int(m_picture.lanes.size()));
    return QSize(300, Top + lanes * (LaneHeight + LaneGap) + AxisHeight);
}

QSize LeadershipChart::sizeHint() const
{
    return minimumSizeHint().expandedTo(QSize(800, 120));
}

void LeadershipChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    const QRect plot = plotRect();
    p.setPen(palette().color(QPalette::Text));
    if (m_election.isEmpty()) {
        p.drawText(rect(), Qt::AlignCenter, tr("No election selected"));
        return;
    }
    const QFontMetrics fm = fontMetrics();
    for (int lane = 0; lane < m_picture.lanes.size(); ++lane) {
        const QRect r = laneRect(lane);
        if (r.top() > plot.bottom())
            break;
        p.fillRect(r, palette().color(QPalette::AlternateBase));
        p.setPen(palette().color(QPalette::Text));
        p.drawText(QRect(4, r.top(), plot.left() - 8, r.height()), Qt::AlignVCenter | Qt::AlignRight,
                   fm.elidedText(m_picture.lanes.at(lane), Qt::ElideMiddle, plot.left() - 8));
    }
    for (const LeadershipSpan &s : m_picture.spans) {
        const int lane = int(m_picture.lanes.indexOf(s.id));
        QRect r = laneRect(lane).adjusted(0, 3, 0, -3);
        r.setLeft(xOf(s.start));
        r.setRight(std::max(xOf(s.end), r.left() + 1));
        QColor c = laneColor(s.id);
        if (s.endUnobserved)
            c.setAlpha(120);
        p.fillRect(r, c);
        if (s.startsBefore) {
            // It may have led before it was first seen: fade its left edge in.
            QLinearGradient fade(r.left(), 0, r.left() + std::min(24, r.width()), 0);
            QColor clear = palette().color(QPalette::AlternateBase);
            fade.setColorAt(0, clear);
            clear.setAlpha(0);
            fade.setColorAt(1, clear);
            p.fillRect(QRect(r.left(), r.top(), std::min(24, r.width()), r.height()), fade);
        }
        if (r.width() > fm.horizontalAdvance(s.id) + 8) {
            p.setPen(c.lightness() > 140 ? Qt::black : Qt::white);
            p.drawText(r.adjusted(4, 0, -2, 0), Qt::AlignVCenter | Qt::AlignLeft, s.id);
        }
    }
    const QColor gap = gapColor(palette());
    for (const LeadershipGap &g : m_picture.gaps)
        p.fillRect(QRect(QPoint(xOf(g.start), plot.top()), QPoint(std::max(xOf(g.end), xOf(g.start) + 1), plot.bottom())), gap);
    p.setPen(QPen(palette().color(QPalette::Text), 1));
    for (const Conclave::Handover &h : m_picture.markers) {
        const int x = xOf(h.at);
        p.drawLine(x, plot.top(), x, plot.bottom());
        const QPolygon tip({QPoint(x - 4, plot.top()), QPoint(x + 4, plot.top()), QPoint(x, plot.top() + 6)});
        p.setBrush(palette().color(QPalette::Text));
        p.drawPolygon(tip);
    }
    paintAxis(p, plot);
}

void LeadershipChart::paintAxis(QPainter &p, const QRect &plot)
{
    static const int steps[] = {10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600};
    const qint64 total = m_picture.from.secsTo(m_picture.to);
    int step = steps[std::size(steps) - 1];
    for (const int s : steps)
        if (total / s <= 8) {
            step = s;
            break;
        }
    const QString format = step < 60 ? QStringLiteral("HH:mm:ss") : QStringLiteral("HH:mm");
    const qint64 firstTick = (m_picture.from.toSecsSinceEpoch() / step + 1) * step;
    p.setPen(palette().color(QPalette::Mid));
    p.drawLine(plot.left(), plot.bottom() + 1, plot.right(), plot.bottom() + 1);
    for (qint64 t = firstTick; t <= m_picture.to.toSecsSinceEpoch(); t += step) {
        const QDateTime at = QDateTime::fromSecsSinceEpoch(t, QTimeZone::utc());
        const int x = xOf(at);
        p.setPen(palette().color(QPalette::Mid));
        p.drawLine(x, plot.bottom() + 1, x, plot.bottom() + 4);
        p.setPen(palette().color(QPalette::Text));
        p.drawText(QRect(x - 40, plot.bottom() + 4, 80, AxisHeight - 4), Qt::AlignHCenter | Qt::AlignTop,
                   at.toLocalTime().toString(format));
    }
}

void LeadershipChart::wheelEvent(QWheelEvent *event)
{
    const int delta = event->angleDelta().y();
    if (delta == 0) {
        event->ignore();
        return;
    }
    // Towards you: a longer span; away: a shorter one. Steps of about 1.5x per notch.
    const double factor = std::pow(1.5, -delta / 120.0);
    setSpan(std::chrono::seconds(qint64(std::llround(double(m_span.count()) * factor / 60.0)) * 60));
    event->accept();
}

bool LeadershipChart::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const QString text = toolTipAt(help->pos());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QWidget::event(event);
}

} // namespace Monitor
