// The dashboard window with live Electors, driven like an operator would: QTest clicks, a
// confirmation accepted, and the outcome checked in etcd, in the Electors and on screen.
#include <conclave/client.h>
#include <conclave/electiondirectory.h>
#include <conclave/elector.h>

#include "candidatemodel.h"
#include "electionlistmodel.h"
#include "mainwindow.h"
#include "timelinemodel.h"

#include "electorgroup.h"
#include "etcdtestenv.h"

#include <QtCore/QStandardPaths>
#include <QtGui/QAction>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QPushButton>
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
    QVERIFY(handedOver(second.timelineModel())); // at once: read from the file, not from etcd
}

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
