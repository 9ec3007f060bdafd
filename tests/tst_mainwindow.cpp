// The dashboard window with live Electors, driven like an operator would: QTest clicks, a
// confirmation accepted, and the outcome checked in etcd, in the Electors and on screen.
#include <conclave/client.h>
#include <conclave/electiondirectory.h>
#include <conclave/elector.h>

#include "auditlog.h"
#include "auditview.h"
#include "candidatemodel.h"
#include "electionlistmodel.h"
#include "etcdmembersview.h"
#include "leadershipchart.h"
#include "leadershipstripdelegate.h"
#include "mainwindow.h"
#include "statusstyle.h"
#include "timelinemodel.h"

#include "electorgroup.h"
#include "etcdtestenv.h"

#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QSortFilterProxyModel>
#include <QtCore/QStandardPaths>
#include <QtCore/QTemporaryDir>
#include <QtGui/QWheelEvent>
#include <QtWidgets/QComboBox>
#include <QtWidgets/QLineEdit>
#include <QtGui/QAction>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QScrollBar>
#include <QtWidgets/QTableView>
#include <QtWidgets/QToolBar>

using namespace Conclave;
using namespace Monitor;
using namespace Qt::StringLiterals;

class tst_MainWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void resignFromWindow();
    void readOnly();
    void etcdctlElectAppears();
    void timelineKeepsEarlierRuns();
    void chartShowsWhoLedWhen();
    void filterSortAndCount();
    void makeLeaderAndAudit();
    void darkPalette();
    void etcdMembersBesideTheElections();

private:
    MainWindow::Options options(const EtcdTestEnv &etcd, const QString &prefix) const
    {
        MainWindow::Options o;
        o.connection.setEndpoints(etcd.endpoints().first().toString());
        o.prefix = prefix;
        return o;
    }
    EtcdTestEnv m_etcd;
};

void tst_MainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // QSettings stay out of the user's config
    QVERIFY2(m_etcd.start(), qPrintable(m_etcd.errorString()));
}

void tst_MainWindow::cleanup()
{
    m_etcd.dumpLogsIfFailed();
}

void tst_MainWindow::resignFromWindow()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    const QString svc = p + u"scheduler"_s;
    ElectorGroup g;
    const auto &electors = g.electors;
    for (const QString &id : {u"a"_s, u"b"_s, u"c"_s}) {
        Elector *e = g.add(m_etcd.endpoints(), svc, id, std::chrono::seconds(10));
        e->setAdvertisedAddress(u"10.1.0.1"_s, 7000 + int(electors.size()));
        QVERIFY(ElectorGroup::enqueue(e));
    }
    QCOMPARE(electors[0]->role(), Elector::Role::Leader);

    MainWindow window(options(m_etcd, p));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTRY_COMPARE_WITH_TIMEOUT(window.electionModel()->rowCount(), 1, TestWaitMs);
    window.selectElection(svc);
    CandidateModel *queue = window.candidateModel();
    QTRY_COMPARE_WITH_TIMEOUT(queue->rowCount(), 3, TestWaitMs);
    // The leader is shown first, then the followers in queue order.
    QCOMPARE(queue->data(queue->index(0, CandidateModel::IdColumn)).toString(), u"a"_s);
    QCOMPARE(queue->data(queue->index(0, CandidateModel::RoleColumn)).toString(), u"leader"_s);
    QCOMPARE(queue->data(queue->index(1, CandidateModel::IdColumn)).toString(), u"b"_s);
    QCOMPARE(queue->data(queue->index(2, CandidateModel::IdColumn)).toString(), u"c"_s);
    QCOMPARE(queue->data(queue->index(0, CandidateModel::AddressColumn)).toString(), u"10.1.0.1:7001"_s);
    QCOMPARE(queue->data(queue->index(0, CandidateModel::FencingColumn)).toString(), QString::number(electors[0]->fencingToken()));
    QTRY_VERIFY_WITH_TIMEOUT(queue->data(queue->index(0, CandidateModel::TtlColumn)).toString().endsWith(u"of 10 s"_s), TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(window.resignAction()->isEnabled(), TestWaitMs); // write access probed

    // Click "Resign leader"; accept the confirmation when it comes up.
    QString asked;
    QTimer acceptor;
    acceptor.setInterval(20);
    connect(&acceptor, &QTimer::timeout, this, [&] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box || box->objectName() != u"confirmation"_s)
            return;
        asked = box->text();
        acceptor.stop();
        QTest::mouseClick(box->button(QMessageBox::Yes), Qt::LeftButton);
    });
    acceptor.start();
    QWidget *button = window.findChild<QToolBar *>(u"actions"_s)->widgetForAction(window.resignAction());
    QVERIFY(button);
    QTest::mouseClick(button, Qt::LeftButton);
    QVERIFY2(asked.contains(svc) && asked.contains(u"Resign a "_s), qPrintable(asked));

    // In etcd, in the old leader's Elector and on screen, b leads now.
    QTRY_COMPARE_WITH_TIMEOUT(electors[1]->role(), Elector::Role::Leader, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(electors[0]->role(), Elector::Role::Follower, TestWaitMs);
    const QString etcdQueue = m_etcd.etcdctl({u"get"_s, svc + u'/', u"--prefix"_s, u"--print-value-only"_s,
                                              u"--sort-by=CREATE"_s, u"--order=ASCEND"_s});
    QVERIFY2(etcdQueue.section(u'\n', 0, 0).contains(u"\"id\":\"b\""_s), qPrintable(etcdQueue));
    QTRY_COMPARE_WITH_TIMEOUT(queue->data(queue->index(0, CandidateModel::IdColumn)).toString(), u"b"_s, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(queue->rowCount(), 3, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(queue->data(queue->index(2, CandidateModel::IdColumn)).toString(), u"a"_s, TestWaitMs);
    const int listRow = window.electionModel()->rowOf(svc);
    QTRY_COMPARE_WITH_TIMEOUT(window.electionModel()->data(window.electionModel()->index(listRow, ElectionListModel::LeaderColumn)).toString(), u"b"_s, TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(window.feedback().contains(u"b leads now"_s), TestWaitMs);

    // The timeline records the handover and its cause.
    TimelineModel *timeline = window.timelineModel();
    bool found = false;
    for (int row = 0; row < timeline->rowCount(); ++row) {
        const Handover h = timeline->handoverAt(row);
        found = found || (h.previous.id() == u"a"_s && h.next.id() == u"b"_s && h.cause == Handover::Cause::Evicted);
    }
    QVERIFY(found);
    // Freshness: live, the endpoint and etcd's version in the status line.
    QTRY_VERIFY_WITH_TIMEOUT(window.statusText().contains(u"etcd 3."_s), TestWaitMs);
    QVERIFY2(window.statusText().contains(u"live"_s) && window.statusText().contains(m_etcd.endpoints().first().toString()),
             qPrintable(window.statusText()));
}

void tst_MainWindow::readOnly()
{
    // --read-only: the actions are disabled at once, and say why.
    {
        MainWindow::Options o = options(m_etcd, u"/nothing-here/"_s);
        o.readOnly = true;
        MainWindow window(o);
        QVERIFY(window.isReadOnly());
        QVERIFY(!window.resignAction()->isEnabled());
        QVERIFY(window.resignAction()->toolTip().contains(u"--read-only"_s));
    }

    // A user whose role may only read: detected without writing anything.
    EtcdTestEnv secured;
    QVERIFY2(secured.start(), qPrintable(secured.errorString()));
    QVERIFY(secured.enableAuth(u"viewer"_s, u"viewerpw"_s, "/svc/", true));
    QVERIFY(secured.addUser(u"worker"_s, u"workerpw"_s, "/svc/"));
    Client workerClient;
    workerClient.setEndpoints(secured.endpoints());
    workerClient.setCredentials(u"worker"_s, u"workerpw"_s);
    Elector elector(&workerClient);
    elector.setElectionName(u"/svc/jobs"_s);
    elector.setCandidateId(u"w1"_s);
    elector.campaign();
    QTRY_COMPARE_WITH_TIMEOUT(elector.role(), Elector::Role::Leader, TestWaitMs);
    // A new leader puts its key once more (the announcement) just after it leads: count from
    // after that write, or it lands in the middle and looks like the window's.
    auto keyRevisions = [&secured] {
        const QJsonObject kv = QJsonDocument::fromJson(secured.etcdctl({u"get"_s, u"/svc/jobs/"_s, u"--prefix"_s, u"-w"_s, u"json"_s}).toUtf8())
                                       .object().value(u"kvs"_s).toArray().first().toObject();
        return std::make_pair(kv.value(u"create_revision"_s).toInteger(), kv.value(u"mod_revision"_s).toInteger());
    };
    QTRY_VERIFY_WITH_TIMEOUT(keyRevisions().second > keyRevisions().first, TestWaitMs);
    const QString revisionBefore = secured.etcdctl({u"get"_s, u"/svc/jobs/"_s, u"--prefix"_s, u"-w"_s, u"json"_s})
                                           .section(u"\"revision\":"_s, 1, 1).section(u',', 0, 0);

    MainWindow::Options o = options(secured, u"/svc/"_s);
    o.connection.setUser(u"viewer"_s);
    o.connection.setPassword(u"viewerpw"_s);
    MainWindow window(o);
    int confirmations = 0;
    window.setConfirmer([&](const QString &, const QString &) { ++confirmations; return true; });
    window.show();
    QTRY_COMPARE_WITH_TIMEOUT(window.electionModel()->rowCount(), 1, TestWaitMs);
    window.selectElection(u"/svc/jobs"_s);
    QTRY_VERIFY_WITH_TIMEOUT(window.isReadOnly(), TestWaitMs);
    QVERIFY(window.readOnlyReason().contains(u"viewer"_s));
    QVERIFY(!window.resignAction()->isEnabled());
    QVERIFY(!window.evictAction()->isEnabled());
    QVERIFY(!window.revokeAction()->isEnabled());
    QVERIFY(window.resignAction()->toolTip().startsWith(u"Read-only"_s));
    window.resignSelectedLeader(); // even when invoked directly: nothing happens
    window.evictSelectedCandidate();
    window.revokeSelectedLease();
    QCOMPARE(confirmations, 0);
    QCOMPARE(elector.role(), Elector::Role::Leader);
    const QString revisionAfter = secured.etcdctl({u"get"_s, u"/svc/jobs/"_s, u"--prefix"_s, u"-w"_s, u"json"_s})
                                          .section(u"\"revision\":"_s, 1, 1).section(u',', 0, 0);
    QVERIFY(!revisionBefore.isEmpty());
    QCOMPARE(revisionAfter, revisionBefore); // nothing was written
}

void tst_MainWindow::etcdctlElectAppears()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    MainWindow window(options(m_etcd, p));
    window.show();
    std::unique_ptr<QProcess> elect = m_etcd.startEtcdctl({u"elect"_s, p + u"go-service"_s, u"proposal-x"_s});
    QTRY_COMPARE_WITH_TIMEOUT(window.electionModel()->rowCount(), 1, TestWaitMs);
    ElectionListModel *list = window.electionModel();
    QCOMPARE(list->data(list->index(0, ElectionListModel::NameColumn)).toString(), p + u"go-service"_s);
    QTRY_COMPARE_WITH_TIMEOUT(list->data(list->index(0, ElectionListModel::LeaderColumn)).toString(), u"proposal-x"_s, TestWaitMs);
    window.selectElection(p + u"go-service"_s);
    QTRY_COMPARE_WITH_TIMEOUT(window.candidateModel()->rowCount(), 1, TestWaitMs);
    // Not Conclave: its raw value is its details.
    QCOMPARE(window.candidateModel()->data(window.candidateModel()->index(0, CandidateModel::DetailsColumn)).toString(), u"proposal-x"_s);
    elect->kill();
    elect->waitForFinished(5000);
}

// A handover one window saw is on the timeline of the next window opened on the same cluster
// and prefix (the history file), before anything new happens.
void tst_MainWindow::timelineKeepsEarlierRuns()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    const QString svc = p + u"kept"_s;
    ElectorGroup g;
    Elector *a = g.join(m_etcd.endpoints(), svc, u"a"_s, Elector::Role::Leader);
    QVERIFY(a);
    Elector *b = g.join(m_etcd.endpoints(), svc, u"b"_s, Elector::Role::Follower);
    QVERIFY(b);
    auto handedOver = [](const TimelineModel *timeline) {
        for (int row = 0; row < timeline->rowCount(); ++row) {
            const Handover h = timeline->handoverAt(row);
            if (h.previous.id() == u"a"_s && h.next.id() == u"b"_s && h.cause == Handover::Cause::Resigned)
                return true;
        }
        return false;
    };
    {
        MainWindow first(options(m_etcd, p));
        QTRY_COMPARE_WITH_TIMEOUT(first.electionModel()->rowCount(), 1, TestWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(first.isDataComplete(), TestWaitMs);
        a->resign();
        QTRY_VERIFY_WITH_TIMEOUT(handedOver(first.timelineModel()), TestWaitMs);
    }
    MainWindow second(options(m_etcd, p));
    // Read from the file (on a thread of its own: HistoryStore::loadInBackground), not from etcd.
    QTRY_VERIFY_WITH_TIMEOUT(handedOver(second.timelineModel()), TestWaitMs);
}

// The chart of an election whose leader resigned twice: a lane per candidate, one bar per
// term, a marker per handover whose tooltip names both sides and the cause; a second election
// that lost its only candidate for a while shows the gap, in the chart and in the list's strip.
void tst_MainWindow::chartShowsWhoLedWhen()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    const QString svc = p + u"charted"_s;
    const QString lonely = p + u"lonely"_s;
    ElectorGroup g;
    Elector *a = g.join(m_etcd.endpoints(), svc, u"a"_s, Elector::Role::Leader);
    Elector *b = g.join(m_etcd.endpoints(), svc, u"b"_s, Elector::Role::Follower);
    QVERIFY(g.join(m_etcd.endpoints(), svc, u"c"_s, Elector::Role::Follower));
    auto x = std::make_unique<ElectorGroup>(); // destroyed midway: it leaves
    QVERIFY(x->join(m_etcd.endpoints(), lonely, u"x"_s, Elector::Role::Leader));

    MainWindow window(options(m_etcd, p));
    window.resize(1280, 720);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTRY_COMPARE_WITH_TIMEOUT(window.electionModel()->rowCount(), 2, TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(window.isDataComplete(), TestWaitMs);
    window.selectElection(svc);
    LeadershipChart *chart = window.chart();
    QCOMPARE(chart->election(), svc);
    QCOMPARE(chart->span(), std::chrono::seconds(15 * 60));

    a->resign();
    QTRY_COMPARE_WITH_TIMEOUT(b->role(), Elector::Role::Leader, TestWaitMs);
    const qint64 bToken = b->fencingToken();
    // The monitor must have seen b's term begin: a term that begins and ends within one batch
    // of the watch (a busy machine) is recorded as two handovers at the same instant, which
    // the chart cannot draw as a bar.
    QTRY_VERIFY_WITH_TIMEOUT(chart->picture().markers.size() >= 1, TestWaitMs);
    b->resign();
    QTRY_VERIFY_WITH_TIMEOUT(chart->picture().markers.size() >= 2, TestWaitMs);
    const LeadershipPicture picture = chart->picture();
    QCOMPARE(picture.lanes.first(), u"c"_s); // the queue first: c leads now
    QVERIFY(picture.lanes.contains(u"a"_s) && picture.lanes.contains(u"b"_s));
    QStringList terms;
    for (const LeadershipSpan &s : picture.spans)
        terms << s.id;
    QCOMPARE(terms, (QStringList{u"a"_s, u"b"_s, u"c"_s}));
    QVERIFY(picture.spans.first().startsBefore);   // a led before the window saw it
    QVERIFY(!picture.spans.last().startsBefore);
    QCOMPARE(picture.spans.last().end, picture.to); // c leads on, up to now
    QCOMPARE(picture.spans.at(1).fencing, bToken);
    QVERIFY(picture.gaps.isEmpty());
    QString tips;
    for (int i = 0; i < picture.markers.size(); ++i)
        tips += chart->toolTipAt(chart->markerPosition(i) + QPoint(0, 8)) + u'\n';
    QVERIFY2(tips.contains(u"a → b  (resigned"_s) && tips.contains(u"b → c  (resigned"_s), qPrintable(tips));
    QVERIFY2(tips.contains(u"fencing token %1"_s.arg(picture.spans.last().fencing)), qPrintable(tips));

    // The wheel zooms: one notch away is 1.5x shorter, towards is longer; the span box follows.
    QWheelEvent in(QPointF(chart->width() / 2, 20), chart->mapToGlobal(QPointF(chart->width() / 2, 20)), {}, QPoint(0, 120),
                   Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(chart, &in);
    QCOMPARE(chart->span(), std::chrono::seconds(10 * 60));
    auto *spanBox = window.findChild<QComboBox *>(u"span"_s);
    QVERIFY(spanBox);
    spanBox->setCurrentIndex(0);
    QCOMPARE(chart->span(), LeadershipChart::MinSpan);
    // A bar's tooltip names the term (once the chart, following the clock, has moved the
    // handover markers away from the right edge).
    const QRect cLane = chart->laneRect(0);
    QTRY_VERIFY2_WITH_TIMEOUT(chart->toolTipAt(QPoint(cLane.right() - 2, cLane.center().y())).startsWith(u"c led, fencing token"_s),
                              qPrintable(chart->toolTipAt(QPoint(cLane.right() - 2, cLane.center().y()))), TestWaitMs);
    QWheelEvent out(QPointF(chart->width() / 2, 20), chart->mapToGlobal(QPointF(chart->width() / 2, 20)), {}, QPoint(0, -120 * 40),
                    Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(chart, &out);
    QCOMPARE(chart->span(), LeadershipChart::MaxSpan);
    QCOMPARE(spanBox->currentText(), u"last 24 h"_s);

    // The lonely election loses its only candidate, then gains one: a red gap in between.
    x.reset();
    QTRY_VERIFY_WITH_TIMEOUT(!window.directory()->leader(lonely).isValid(), TestWaitMs);
    QVERIFY(g.join(m_etcd.endpoints(), lonely, u"y"_s, Elector::Role::Leader));
    window.selectElection(lonely);
    QTRY_COMPARE_WITH_TIMEOUT(chart->picture().gaps.size(), 1, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(chart->picture().spans.size(), 2, TestWaitMs);
    QCOMPARE(chart->picture().spans.at(0).id, u"x"_s);
    QCOMPARE(chart->picture().spans.at(1).id, u"y"_s);
    QVERIFY(chart->picture().leaderlessMs() > 0);
    QCOMPARE(chart->picture().gaps.first().start, chart->picture().spans.at(0).end);
    QCOMPARE(chart->picture().gaps.first().end, chart->picture().spans.at(1).start);
    // The list's strip paints the same picture and sums it up in its tooltip.
    QCOMPARE(window.stripDelegate()->pictureOf(lonely).gaps.size(), 1);
    const QString summary = window.stripDelegate()->summary(svc);
    QVERIFY2(summary.startsWith(u"2 changes of leader in the last 24 h"_s), qPrintable(summary));
    QVERIFY2(window.stripDelegate()->summary(lonely).contains(u"no leader for"_s), qPrintable(window.stripDelegate()->summary(lonely)));
    // And it renders (offscreen): the chart draws c's bar in c's colour at its right end.
    const QImage image = chart->grab().toImage();
    QCOMPARE(image.pixelColor(chart->laneRect(0).right() - 3, chart->laneRect(0).center().y()).rgb() != 0, true);
}

// The filter box matches election names, leaders and candidate ids, case-insensitively; the
// status column sorts by severity; the status bar counts elections per status.
void tst_MainWindow::filterSortAndCount()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    ElectorGroup g;
    QVERIFY(g.join(m_etcd.endpoints(), p + u"alpha"_s, u"zed"_s, Elector::Role::Leader));
    QVERIFY(g.join(m_etcd.endpoints(), p + u"beta"_s, u"one"_s, Elector::Role::Leader));
    Elector *needle = g.add(m_etcd.endpoints(), p + u"beta"_s, u"needle"_s);
    needle->setPriority(2); // it will take over from "one"
    needle->setAttributes({{u"zone"_s, u"eu-1"_s}});
    needle->campaign();
    QTRY_COMPARE_WITH_TIMEOUT(needle->role(), Elector::Role::Leader, TestWaitMs);
    auto gone = std::make_unique<ElectorGroup>(); // destroyed midway: it leaves
    QVERIFY(gone->join(m_etcd.endpoints(), p + u"gamma"_s, u"gone"_s, Elector::Role::Leader));

    MainWindow window(options(m_etcd, p));
    window.show();
    QTRY_COMPARE_WITH_TIMEOUT(window.electionModel()->rowCount(), 3, TestWaitMs);
    gone.reset(); // gamma stays listed, with nobody in it
    QTRY_VERIFY_WITH_TIMEOUT(!window.directory()->leader(p + u"gamma"_s).isValid(), TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(window.isDataComplete(), TestWaitMs);

    QSortFilterProxyModel *shown = window.electionProxy();
    auto names = [shown] {
        QStringList out;
        for (int row = 0; row < shown->rowCount(); ++row)
            out << shown->index(row, 0).data(ElectionListModel::ElectionRole).toString();
        return out;
    };
    QTest::keyClicks(window.filterEdit(), u"NEEDLE"_s);
    QCOMPARE(names(), QStringList{p + u"beta"_s});
    QTRY_COMPARE_WITH_TIMEOUT(window.selectedElection(), p + u"beta"_s, TestWaitMs); // the only row is selected
    window.filterEdit()->setText(u"zed"_s); // a leader
    QCOMPARE(names(), QStringList{p + u"alpha"_s});
    window.filterEdit()->setText(u"amm"_s); // part of a name
    QCOMPARE(names(), QStringList{p + u"gamma"_s});
    window.filterEdit()->clear();
    QCOMPARE(names().size(), 3);

    window.electionView()->sortByColumn(ElectionListModel::StatusColumn, Qt::DescendingOrder);
    QCOMPARE(names().first(), p + u"gamma"_s); // no leader outranks healthy
    window.electionView()->sortByColumn(ElectionListModel::CandidatesColumn, Qt::DescendingOrder);
    QCOMPARE(names().first(), p + u"beta"_s);
    window.electionView()->sortByColumn(ElectionListModel::NameColumn, Qt::AscendingOrder);
    QCOMPARE(names(), (QStringList{p + u"alpha"_s, p + u"beta"_s, p + u"gamma"_s}));

    // The queue's details: what a Conclave value says beyond the other columns.
    window.selectElection(p + u"beta"_s);
    CandidateModel *queue = window.candidateModel();
    QTRY_COMPARE_WITH_TIMEOUT(queue->rowCount(), 2, TestWaitMs);
    QCOMPARE(queue->data(queue->index(0, CandidateModel::IdColumn)).toString(), u"needle"_s);
    QCOMPARE(queue->data(queue->index(0, CandidateModel::DetailsColumn)).toString(), u"priority 2 · {\"zone\":\"eu-1\"}"_s);
    QCOMPARE(queue->data(queue->index(1, CandidateModel::DetailsColumn)).toString(), QString());
    QVERIFY(queue->data(queue->index(1, CandidateModel::DetailsColumn), Qt::ToolTipRole).toString().contains(u"\"id\":\"one\""_s));
    const int gammaRow = window.electionModel()->rowOf(p + u"gamma"_s);
    const QModelIndex status = window.electionModel()->index(gammaRow, ElectionListModel::StatusColumn);
    QCOMPARE(status.data().toString(), u"no leader"_s);
    QVERIFY(!status.data(Qt::DecorationRole).value<QIcon>().isNull());
    QCOMPARE(status.data(Qt::BackgroundRole).value<QBrush>().color(), statusTint(Status::NoLeader, QGuiApplication::palette()));
    QTRY_COMPARE_WITH_TIMEOUT(window.statusCounts().value(Status::Healthy), 2, TestWaitMs);
    QCOMPARE(window.statusCounts().value(Status::NoLeader), 1);
    QTRY_VERIFY_WITH_TIMEOUT(window.countsText().contains(u"2 healthy"_s) && window.countsText().contains(u"1 no leader"_s), TestWaitMs);
}

// "Make leader" previews what will happen, hands over on confirmation, and every action lands
// in the audit log (file and dock), a failed one too.
void tst_MainWindow::makeLeaderAndAudit()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    const QString svc = p + u"billing"_s;
    ElectorGroup g;
    Elector *one = g.join(m_etcd.endpoints(), svc, u"billing-1"_s, Elector::Role::Leader);
    QVERIFY(one);
    QVERIFY(g.join(m_etcd.endpoints(), svc, u"billing-2"_s, Elector::Role::Follower));
    Elector *three = g.join(m_etcd.endpoints(), svc, u"billing-3"_s, Elector::Role::Follower);
    QVERIFY(three);
    const qint64 before = one->fencingToken();

    QTemporaryDir dir;
    MainWindow::Options o = options(m_etcd, p);
    o.auditLog = dir.filePath(u"audit.jsonl"_s);
    MainWindow window(o);
    window.show();
    QTRY_COMPARE_WITH_TIMEOUT(window.electionModel()->rowCount(), 1, TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(window.isDataComplete(), TestWaitMs);
    window.selectElection(svc);
    QTRY_COMPARE_WITH_TIMEOUT(window.candidateModel()->rowCount(), 3, TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(window.resignAction()->isEnabled(), TestWaitMs); // write access probed
    QVERIFY(!window.makeLeaderAction()->isEnabled()); // the leader is selected
    window.candidateView()->selectRow(2);
    QVERIFY(window.makeLeaderAction()->isEnabled());
    QCOMPARE(window.makeLeaderAction()->toolTip(), u"billing-3 will lead; billing-1 and billing-2 re-join at the back."_s);

    QString asked;
    window.setConfirmer([&](const QString &, const QString &text) {
        asked = text;
        return true;
    });
    window.makeLeaderAction()->trigger();
    QVERIFY2(asked.contains(u"billing-3 will lead; billing-1 and billing-2 re-join at the back."_s), qPrintable(asked));
    QTRY_COMPARE_WITH_TIMEOUT(three->role(), Elector::Role::Leader, TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(window.feedback().contains(u"billing-3 leads"_s), TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(one->role(), Elector::Role::Follower, TestWaitMs); // re-joined at the back

    // A revoke whose lease is already gone when it is sent fails: recorded as failed.
    QTRY_COMPARE_WITH_TIMEOUT(window.candidateModel()->candidateAt(0).id(), u"billing-3"_s, TestWaitMs);
    window.candidateView()->selectRow(1);
    const Conclave::LeaderInfo victim = window.candidateModel()->candidateAt(1);
    window.setConfirmer([&](const QString &, const QString &) {
        m_etcd.etcdctl({u"lease"_s, u"revoke"_s, QString::number(victim.leaseId(), 16)});
        return true;
    });
    window.revokeAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(window.auditLog()->entries().size(), 2, TestWaitMs);

    const AuditEntry made = window.auditLog()->entries().at(0);
    QCOMPARE(made.action, u"transfer"_s);
    QCOMPARE(made.election, svc);
    QCOMPARE(made.target, u"billing-3"_s);
    QVERIFY(made.succeeded);
    QCOMPARE(made.fencingBefore, before);
    QCOMPARE(made.fencingAfter, three->fencingToken());
    QCOMPARE(made.user, AuditLog::currentUser());
    const AuditEntry revoked = window.auditLog()->entries().at(1);
    QCOMPARE(revoked.action, u"revoke"_s);
    QCOMPARE(revoked.target, QString::number(victim.leaseId(), 16));
    QVERIFY(!revoked.succeeded);
    QVERIFY2(!revoked.message.isEmpty(), "a failure says why");

    // An evict and a resign: both succeed; the resign's line waits for the next leader.
    window.setConfirmer([](const QString &, const QString &) { return true; });
    // Wait for the queue without the revoked key, and the Elector back at the back on a new lease.
    // (An evicted Elector re-joins under the same key name: the fencing token tells them apart.)
    auto settled = [&](const Conclave::LeaderInfo &gone) {
        CandidateModel *q = window.candidateModel();
        if (q->rowCount() != 3)
            return false;
        for (int row = 0; row < 3; ++row)
            if (q->candidateAt(row).key() == gone.key() && q->candidateAt(row).fencingToken() == gone.fencingToken())
                return false;
        return true;
    };
    QTRY_VERIFY_WITH_TIMEOUT(settled(victim), TestWaitMs);
    window.candidateView()->selectRow(1);
    const QString evicted = window.candidateModel()->candidateAt(1).id();
    const Conclave::LeaderInfo evictedOne = window.candidateModel()->candidateAt(1);
    window.evictAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(window.auditLog()->entries().size(), 3, TestWaitMs);
    QCOMPARE(window.auditLog()->entries().at(2).action, u"evict"_s);
    QCOMPARE(window.auditLog()->entries().at(2).target, evicted);
    QVERIFY(window.auditLog()->entries().at(2).succeeded);
    QTRY_VERIFY_WITH_TIMEOUT(settled(evictedOne) && window.resignAction()->isEnabled(), TestWaitMs);
    const qint64 resigned = three->fencingToken();
    window.resignAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(window.auditLog()->entries().size(), 4, TestWaitMs);
    const AuditEntry resign = window.auditLog()->entries().at(3);
    QCOMPARE(resign.action, u"resign"_s);
    QCOMPARE(resign.target, u"billing-3"_s);
    QVERIFY(resign.succeeded);
    QCOMPARE(resign.fencingBefore, resigned);
    QVERIFY(resign.fencingAfter > resigned); // the next leader's
    QCOMPARE(resign.fencingAfter, window.directory()->leader(svc).fencingToken());

    // The file holds the same lines; the dock shows them, newest first.
    QFile file(o.auditLog);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 4);
    QCOMPARE(QJsonDocument::fromJson(lines[0]).object().value(u"result"_s).toString(), u"succeeded"_s);
    QCOMPARE(QJsonDocument::fromJson(lines[1]).object().value(u"result"_s).toString(), u"failed"_s);
    QCOMPARE(QJsonDocument::fromJson(lines[3]).object().value(u"action"_s).toString(), u"resign"_s);
    QCOMPARE(window.auditView()->rowCount(), 4);
    QCOMPARE(window.auditView()->item(0, AuditView::ActionColumn)->text(), u"resign"_s);
    QCOMPARE(window.auditView()->item(2, AuditView::ActionColumn)->text(), u"revoke"_s);
    QCOMPARE(window.auditView()->item(3, AuditView::FencingColumn)->text(),
             u"%1 → %2"_s.arg(before).arg(made.fencingAfter));
    // A window opened later reads them back.
    MainWindow later(o);
    QCOMPARE(later.auditView()->rowCount(), 4);
}

// Under a dark palette the custom-painted parts follow it: the chart's background, the status
// tints and the error colour stay readable.
void tst_MainWindow::darkPalette()
{
    const QPalette original = QGuiApplication::palette();
    QPalette dark;
    dark.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
    dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    dark.setColor(QPalette::AlternateBase, QColor(0x26, 0x26, 0x26));
    dark.setColor(QPalette::Text, QColor(0xee, 0xee, 0xee));
    dark.setColor(QPalette::WindowText, QColor(0xee, 0xee, 0xee));
    QApplication::setPalette(dark);
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    ElectorGroup g;
    QVERIFY(g.join(m_etcd.endpoints(), p + u"night"_s, u"owl"_s, Elector::Role::Leader));
    {
        MainWindow window(options(m_etcd, p));
        window.show();
        QTRY_COMPARE_WITH_TIMEOUT(window.electionModel()->rowCount(), 1, TestWaitMs);
        window.selectElection(p + u"night"_s);
        LeadershipChart *chart = window.chart();
        chart->setSpan(LeadershipChart::MinSpan);
        QVERIFY(chart->grab().toImage().pixelColor(2, 2).lightness() < 100); // the background
        // owl's bar grows from when this window first saw it; its colour is owl's.
        const QRect lane = chart->laneRect(0);
        QTRY_VERIFY_WITH_TIMEOUT(chart->grab().toImage().pixelColor(lane.right() - 2, lane.center().y()).rgb() == laneColor(u"owl"_s).rgb(),
                                 TestWaitMs);
        for (const Status s : AllStatuses)
            if (s != Status::Healthy)
                QVERIFY(statusTint(s, dark).lightness() < 128);
    }
    QApplication::setPalette(original);
}




// The etcd cluster beside the elections: a 3-member cluster with one member down shows every
// member, the down one as such, and a warning in the view and the status bar. At the default
// size every column of the elections, the queue and the members is readable without scrolling.
void tst_MainWindow::etcdMembersBesideTheElections()
{
    EtcdTestEnv::Options three;
    three.members = 3;
    EtcdTestEnv cluster(three);
    QVERIFY2(cluster.start(), qPrintable(cluster.errorString()));
    const QString p; // a cluster of its own: the names as an operator would see them
    ElectorGroup g;
    for (const QString &id : {u"billing-1"_s, u"billing-2"_s, u"billing-3"_s}) {
        Elector *e = g.add(cluster.endpoints(), p + u"billing/scheduler"_s, id, std::chrono::seconds(10));
        e->setAdvertisedAddress(u"10.100.200.101"_s, 65001);
        QVERIFY(ElectorGroup::enqueue(e));
    }
    QVERIFY(g.join(cluster.endpoints(), p + u"search/indexer"_s, u"search-1"_s, Elector::Role::Leader));
    QVERIFY(cluster.kill(2));

    MainWindow::Options o;
    QStringList urls;
    for (const QUrl &url : cluster.endpoints())
        urls << url.toString();
    o.connection.setEndpoints(urls.join(u','));
    o.prefix = p;
    MainWindow window(o);
    window.show(); // the default size, 1440x800
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.size(), QSize(1440, 800));
    QTRY_VERIFY_WITH_TIMEOUT(window.isDataComplete() && window.electionModel()->rowCount() == 2, TestWaitMs);
    window.selectElection(p + u"billing/scheduler"_s);
    QTRY_COMPARE_WITH_TIMEOUT(window.candidateModel()->rowCount(), 3, TestWaitMs);

    EtcdMembersView *members = window.membersView();
    QTRY_COMPARE_WITH_TIMEOUT(members->table()->model()->rowCount(), 3, TestWaitMs);
    const QString down = cluster.memberName(2);
    QTRY_COMPARE_WITH_TIMEOUT(members->warning(), u"⚠ etcd member %1 is down"_s.arg(down), TestWaitMs);
    QVERIFY2(members->summary().startsWith(u"etcd: 3 members, raft leader m"_s), qPrintable(members->summary()));
    QTRY_VERIFY_WITH_TIMEOUT(window.statusText().contains(u"etcd member %1 is down"_s.arg(down)), TestWaitMs);
    QVERIFY2(window.statusText().contains(u" 2 elections "_s), qPrintable(window.statusText()));
    QAbstractItemModel *rows = members->table()->model();
    for (int row = 0; row < 3; ++row) {
        const QString name = rows->index(row, 0).data().toString();
        QCOMPARE(name, cluster.memberName(row)); // by name
        QCOMPARE(rows->index(row, 6).data().toString(), row == 2 ? u"down"_s : u"ok"_s);
    }

    // Readable without scrolling: no horizontal scroll range, every member row in view.
    QApplication::processEvents();
    for (QTableView *view : {window.electionView(), window.candidateView(), members->table()}) {
        QVERIFY2(view->horizontalScrollBar()->maximum() == 0,
                 qPrintable(view->objectName() + u" scrolls by "_s + QString::number(view->horizontalScrollBar()->maximum())));
        QAbstractItemModel *m = view->model();
        for (int column = 0; column + 1 < m->columnCount(); ++column) { // the last one stretches (and elides)
            if (view->isColumnHidden(column))
                continue;
            QVERIFY2(view->columnWidth(column) >= view->horizontalHeader()->sectionSizeHint(column),
                     qPrintable(u"%1: header %2 needs %3, has %4"_s.arg(view->objectName(), m->headerData(column, Qt::Horizontal).toString())
                                        .arg(view->horizontalHeader()->sectionSizeHint(column)).arg(view->columnWidth(column))));
            if (view->itemDelegateForColumn(column)) // drawn (TTL bars, strips): sized on purpose
                continue;
            for (int row = 0; row < m->rowCount(); ++row) {
                const QModelIndex index = m->index(row, column);
                const QString text = index.data().toString();
                const QVariant font = index.data(Qt::FontRole); // the leader's row is bold
                const QFontMetrics fm(font.isValid() ? font.value<QFont>() : view->font());
                QVERIFY2(fm.horizontalAdvance(text) + 6 <= view->columnWidth(column),
                         qPrintable(view->objectName() + u": \""_s + text + u"\" is cut"_s));
            }
        }
    }
    QCOMPARE(members->table()->verticalScrollBar()->maximum(), 0);
    QVERIFY(window.candidateView()->isColumnHidden(CandidateModel::DetailsColumn)); // nobody has details
    QVERIFY(!window.candidateView()->isColumnHidden(CandidateModel::AddressColumn));
}

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
