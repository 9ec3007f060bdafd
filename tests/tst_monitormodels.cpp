// The monitor's models over a live run: candidates join, resign, leave, expire and are
// revoked; QAbstractItemModelTester checks every signal, and the rows always match etcd.
#include <conclave/client.h>
#include <conclave/electiondirectory.h>
#include <conclave/elector.h>

#include "candidatemodel.h"
#include "electionhealth.h"
#include "electionlistmodel.h"
#include "historystore.h"
#include "leadershippicture.h"
#include "snapshot.h"
#include "timelinemodel.h"

#include "electorgroup.h"
#include "etcdtestenv.h"

#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QTemporaryDir>
#include <QtTest/QAbstractItemModelTester>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace Conclave;
using namespace Monitor;
using namespace Qt::StringLiterals;

class tst_MonitorModels : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void modelsFollowEtcd();
    void healthAndSnapshot();
    void flappingIsAStatusAndAnAnomaly();
    void notReadyLeaderIsShownAndFlagged();
    void leadershipPictureRules();
    void historyOfAnotherClusterIsDropped();
    void historyReadInTheBackgroundLosesNothing();

private:
    //! Why the candidate model differs from etcd's queue for \a election (empty: it matches).
    QString mismatch(const CandidateModel &model, const ElectionListModel &list, const QString &election) const;
    EtcdTestEnv m_etcd;
};

void tst_MonitorModels::initTestCase()
{
    QVERIFY2(m_etcd.start(), qPrintable(m_etcd.errorString()));
}

void tst_MonitorModels::cleanup()
{
    m_etcd.dumpLogsIfFailed();
}

QString tst_MonitorModels::mismatch(const CandidateModel &model, const ElectionListModel &list,
                                    const QString &election) const
{
    const QString out = m_etcd.etcdctl({u"get"_s, election + u'/', u"--prefix"_s, u"--keys-only"_s,
                                        u"--sort-by=CREATE"_s, u"--order=ASCEND"_s});
    if (out.isNull())
        return u"etcdctl failed"_s;
    const QStringList keys = out.split(u'\n', Qt::SkipEmptyParts);
    QStringList shown;
    for (int row = 0; row < model.rowCount(); ++row)
        if (!model.isStray(row))
            shown << QString::fromUtf8(model.candidateAt(row).key());
    if (shown != keys)
        return u"queue %1, etcd %2"_s.arg(shown.join(u','), keys.join(u','));
    if (!keys.isEmpty()) {
        if (model.data(model.index(0, CandidateModel::RoleColumn)).toString() != u"leader"_s)
            return u"row 0 is not marked leader"_s;
        for (int row = 1; row < model.rowCount(); ++row)
            if (!model.isStray(row) && model.data(model.index(row, CandidateModel::RoleColumn)).toString() != u"follower"_s)
                return u"row %1 is not marked follower"_s.arg(row);
        const int listRow = list.rowOf(election);
        const QString leaderId = model.candidateAt(0).id();
        if (listRow < 0 || list.data(list.index(listRow, ElectionListModel::LeaderColumn)).toString() != leaderId)
            return u"the elections list does not show %1 as leader"_s.arg(leaderId);
        if (list.data(list.index(listRow, ElectionListModel::CandidatesColumn)).toInt() != keys.size())
            return u"the elections list shows a wrong candidate count"_s;
    }
    return {};
}

void tst_MonitorModels::modelsFollowEtcd()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    const QString svc = p + u"svc"_s;
    Client client;
    client.setEndpoints(m_etcd.endpoints());
    ElectionDirectory dir(&client);
    dir.setPrefix(p);
    ElectionListModel list(&dir);
    CandidateModel candidates(&dir);
    TimelineModel timeline(&dir);
    QAbstractItemModelTester t1(&list, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t2(&candidates, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t3(&timeline, QAbstractItemModelTester::FailureReportingMode::QtTest);
    candidates.setElection(svc);
    dir.start();
    QTRY_VERIFY_WITH_TIMEOUT(dir.isSynced(), TestWaitMs);
    QCOMPARE(list.rowCount(), 0);

    ElectorGroup g;
    const auto &electors = g.electors;
    for (const QString &id : {u"a"_s, u"b"_s, u"c"_s})
        QVERIFY(ElectorGroup::enqueue(g.add(m_etcd.endpoints(), svc, id, std::chrono::seconds(10))));
    QTRY_COMPARE_WITH_TIMEOUT(list.rowCount(), 1, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(mismatch(candidates, list, svc), QString(), TestWaitMs);
    QCOMPARE(candidates.candidateAt(0).id(), u"a"_s);

    // A second election (a Go-style candidate) sorts before "svc" in the list.
    const QString lease = m_etcd.etcdctl({u"lease"_s, u"grant"_s, u"60"_s}).section(u' ', 1, 1);
    const QString hex = QString::number(lease.toLongLong(nullptr, 16), 16);
    QVERIFY(!m_etcd.etcdctl({u"put"_s, p + u"api/"_s + hex, u"go-1"_s, u"--lease="_s + lease}).isNull());
    QTRY_COMPARE_WITH_TIMEOUT(list.rowCount(), 2, TestWaitMs);
    QCOMPARE(list.electionAt(0), p + u"api"_s);
    QCOMPARE(list.data(list.index(0, ElectionListModel::LeaderColumn)).toString(), u"go-1"_s);

    // Resign: a goes to the back.
    QTRY_COMPARE_WITH_TIMEOUT(electors[0]->role(), Elector::Role::Leader, TestWaitMs);
    electors[0]->resign();
    QTRY_COMPARE_WITH_TIMEOUT(mismatch(candidates, list, svc), QString(), TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(candidates.candidateAt(0).id(), u"b"_s, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(mismatch(candidates, list, svc), QString(), TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(candidates.candidateAt(2).id(), u"a"_s, TestWaitMs);

    // Leave: b's key goes.
    electors[1]->leave();
    QTRY_COMPARE_WITH_TIMEOUT(candidates.rowCount(), 2, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(mismatch(candidates, list, svc), QString(), TestWaitMs);

    // A candidate nobody keeps alive expires.
    const QString shortLease = m_etcd.etcdctl({u"lease"_s, u"grant"_s, u"2"_s}).section(u' ', 1, 1);
    const QString shortHex = QString::number(shortLease.toLongLong(nullptr, 16), 16);
    QVERIFY(!m_etcd.etcdctl({u"put"_s, svc + u'/' + shortHex, u"ephemeral"_s, u"--lease="_s + shortLease}).isNull());
    QTRY_COMPARE_WITH_TIMEOUT(candidates.rowCount(), 3, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(candidates.rowCount(), 2, 15000);
    QTRY_COMPARE_WITH_TIMEOUT(mismatch(candidates, list, svc), QString(), TestWaitMs);

    // The leader's lease is revoked: its Elector loses, re-grants and re-joins at the back.
    const QString leaderId = candidates.candidateAt(0).id();
    const qint64 leaderLease = candidates.candidateAt(0).leaseId();
    QVERIFY(!m_etcd.etcdctl({u"lease"_s, u"revoke"_s, QString::number(leaderLease, 16)}).isNull());
    QTRY_VERIFY_WITH_TIMEOUT(candidates.rowCount() == 2 && candidates.candidateAt(0).id() != leaderId, 15000);
    QTRY_COMPARE_WITH_TIMEOUT(mismatch(candidates, list, svc), QString(), TestWaitMs);

    // The timeline saw every handover of svc, in order, with a cause.
    timeline.setElection(svc);
    QVERIFY(timeline.rowCount() >= 3);
    QCOMPARE(timeline.handoverAt(0).cause, Handover::Cause::Elected);
    QList<Handover::Cause> causes;
    for (int row = 0; row < timeline.rowCount(); ++row)
        causes << timeline.handoverAt(row).cause;
    QVERIFY(causes.contains(Handover::Cause::Resigned));
    QVERIFY(!timeline.data(timeline.index(1, TimelineModel::CauseColumn)).toString().isEmpty());

    // Switching elections resets the candidate model cleanly.
    candidates.setElection(p + u"api"_s);
    QCOMPARE(candidates.rowCount(), 1);
    candidates.setElection(QString());
    QCOMPARE(candidates.rowCount(), 0);
}

void tst_MonitorModels::healthAndSnapshot()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    Client client;
    client.setEndpoints(m_etcd.endpoints());
    // One healthy election, one with a duplicate id and a stray key.
    const QString l1 = m_etcd.etcdctl({u"lease"_s, u"grant"_s, u"60"_s}).section(u' ', 1, 1);
    const QString l2 = m_etcd.etcdctl({u"lease"_s, u"grant"_s, u"60"_s}).section(u' ', 1, 1);
    auto hex = [](const QString &padded) { return QString::number(padded.toLongLong(nullptr, 16), 16); };
    QVERIFY(!m_etcd.etcdctl({u"put"_s, p + u"ok/"_s + hex(l1), u"solo"_s, u"--lease="_s + l1}).isNull());
    QVERIFY(!m_etcd.etcdctl({u"put"_s, p + u"odd/"_s + hex(l1), u"twin"_s, u"--lease="_s + l1}).isNull());
    QVERIFY(!m_etcd.etcdctl({u"put"_s, p + u"odd/"_s + hex(l2), u"twin"_s, u"--lease="_s + l2}).isNull());
    QVERIFY(!m_etcd.etcdctl({u"put"_s, p + u"odd/beef"_s, u"not-on-a-lease"_s}).isNull());

    ElectionDirectory dir(&client);
    dir.setPrefix(p);
    dir.start();
    QTRY_COMPARE_WITH_TIMEOUT(dir.elections().size(), 2, TestWaitMs);
    dir.setTrackedLeases({hex(l1).toLongLong(nullptr, 16), hex(l2).toLongLong(nullptr, 16)});
    QTRY_VERIFY_WITH_TIMEOUT(dir.leaseStatus(hex(l2).toLongLong(nullptr, 16)).state == LeaseStatus::State::Alive
                             && dir.leaseStatus(hex(l1).toLongLong(nullptr, 16)).state == LeaseStatus::State::Alive, TestWaitMs);
    QCOMPARE(assess(dir, p + u"ok"_s).status, Status::Healthy);
    const Health odd = assess(dir, p + u"odd"_s);
    QCOMPARE(odd.status, Status::Anomaly);
    QCOMPARE(odd.anomalies.size(), 2);
    QVERIFY(odd.anomalies.join(u'\n').contains(u"campaigns 2 times"_s));
    QVERIFY(odd.anomalies.join(u'\n').contains(p + u"odd/beef"_s));

    const QJsonObject snap = snapshot(dir);
    QCOMPARE(snap.value(u"revision"_s).toInteger(), dir.revision());
    const QJsonArray elections = snap.value(u"elections"_s).toArray();
    QCOMPARE(elections.size(), 2);
    const QJsonObject ok = elections.at(1).toObject();
    QCOMPARE(ok.value(u"name"_s).toString(), p + u"ok"_s);
    QCOMPARE(ok.value(u"leader"_s).toString(), u"solo"_s);
    const QJsonObject solo = ok.value(u"candidates"_s).toArray().first().toObject();
    QCOMPARE(solo.value(u"lease"_s).toString(), hex(l1));
    QCOMPARE(solo.value(u"granted_ttl"_s).toInteger(), 60);
    QVERIFY(solo.value(u"ttl"_s).toInteger() > 50);
    QCOMPARE(solo.value(u"role"_s).toString(), u"leader"_s);
    QVERIFY(solo.value(u"host"_s).isNull());

    // Once the leases are revoked the election has no leader, and says so.
    QVERIFY(!m_etcd.etcdctl({u"lease"_s, u"revoke"_s, l1}).isNull());
    QTRY_COMPARE_WITH_TIMEOUT(assess(dir, p + u"ok"_s).status, Status::NoLeader, TestWaitMs);
    QVERIFY(snapshot(dir).value(u"elections"_s).toArray().at(1).toObject().value(u"leader"_s).isNull());
}

// Three changes of leader within 60 s: "flapping" in the list and an anomaly sentence; a rule of
// 4 in 60 s does not see it; one change does not count.
void tst_MonitorModels::flappingIsAStatusAndAnAnomaly()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    const QString name = p + u"flaps"_s;
    ElectorGroup g;
    Elector *a = g.join(m_etcd.endpoints(), name, u"a"_s, Elector::Role::Leader);
    QVERIFY(a);
    Elector *b = g.join(m_etcd.endpoints(), name, u"b"_s, Elector::Role::Follower);
    QVERIFY(b);
    Client client;
    client.setEndpoints(m_etcd.endpoints());
    ElectionDirectory dir(&client);
    dir.setPrefix(p);
    dir.start();
    QTRY_COMPARE_WITH_TIMEOUT(dir.candidates(name).size(), 2, TestWaitMs);
    ElectionListModel list(&dir);
    Elector *leader = a;
    for (int change = 1; change <= 3; ++change) {
        Elector *next = leader == a ? b : a;
        leader->resign();
        QTRY_COMPARE_WITH_TIMEOUT(next->role(), Elector::Role::Leader, TestWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(dir.leader(name).id(), next->candidateId(), TestWaitMs);
        leader = next;
        if (change == 1)
            QVERIFY(assess(dir, name).status != Status::Flapping);
    }
    QTRY_COMPARE_WITH_TIMEOUT(assess(dir, name).status, Status::Flapping, TestWaitMs);
    QVERIFY(assess(dir, name).anomalies.join(u'\n').contains(u"flapping: 3 changes of leader within 60 s"_s));
    QCOMPARE(list.data(list.index(list.rowOf(name), ElectionListModel::StatusColumn)).toString(), u"flapping"_s);
    QCOMPARE(assess(dir, name, HealthRules{FlapRule{4, 60}}).status, Status::Healthy);
    list.setHealthRules(HealthRules{FlapRule{4, 60}}); // --flap-threshold 4/60 in the window
    QCOMPARE(list.data(list.index(list.rowOf(name), ElectionListModel::StatusColumn)).toString(), u"healthy"_s);
    QVERIFY(!g.twoLeaders);
}

// A leader elected but not ready: the snapshot and the candidate table say so, with its status
// text; past the limit it is an anomaly, and once it is ready it is healthy again.
void tst_MonitorModels::notReadyLeaderIsShownAndFlagged()
{
    const QString p = QString::fromUtf8(EtcdTestEnv::uniquePrefix());
    const QString name = p + u"warming"_s;
    ElectorGroup g;
    Elector *a = g.add(m_etcd.endpoints(), name, u"a"_s);
    a->setReadinessRequired(true);
    a->setStatusText(u"loading cache"_s);
    QVERIFY(ElectorGroup::enqueue(a));
    QTRY_COMPARE_WITH_TIMEOUT(a->role(), Elector::Role::Leader, TestWaitMs);
    Client client;
    client.setEndpoints(m_etcd.endpoints());
    ElectionDirectory dir(&client);
    dir.setPrefix(p);
    dir.start();
    QTRY_VERIFY_WITH_TIMEOUT(dir.leader(name).isValid() && !dir.leader(name).isReady(), TestWaitMs);
    QCOMPARE(assess(dir, name).status, Status::Healthy); // within the limit
    const Health late = assess(dir, name, HealthRules{FlapRule{}, std::chrono::seconds(0)});
    QCOMPARE(late.status, Status::Anomaly);
    QVERIFY2(late.anomalies.join(u'\n').contains(u"leader a has led for"_s) && late.anomalies.join(u'\n').contains(u"loading cache"_s),
             qPrintable(late.anomalies.join(u'\n')));
    QJsonObject election;
    for (const QJsonValue &v : snapshot(dir).value(u"elections"_s).toArray())
        if (v.toObject().value(u"name"_s).toString() == name)
            election = v.toObject();
    QCOMPARE(election.value(u"leader_ready"_s).toBool(true), false);
    const QJsonObject row = election.value(u"candidates"_s).toArray().first().toObject();
    QCOMPARE(row.value(u"ready"_s).toBool(true), false);
    QCOMPARE(row.value(u"status_text"_s).toString(), u"loading cache"_s);
    Elector *b = g.add(m_etcd.endpoints(), name, u"b"_s); // a standby of the same kind
    b->setReadinessRequired(true);
    QVERIFY(ElectorGroup::enqueue(b));
    CandidateModel model(&dir);
    model.setElection(name);
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 2, TestWaitMs);
    const QString details = model.data(model.index(0, CandidateModel::DetailsColumn)).toString();
    QVERIFY2(details.contains(u"not ready"_s) && details.contains(u"loading cache"_s), qPrintable(details));
    // A follower serves nothing yet, whatever its value says: no "not ready" for it.
    QVERIFY(!model.data(model.index(1, CandidateModel::DetailsColumn)).toString().contains(u"not ready"_s));

    a->setReady(true);
    QTRY_VERIFY_WITH_TIMEOUT(dir.leader(name).isReady(), TestWaitMs);
    QCOMPARE(assess(dir, name, HealthRules{FlapRule{}, std::chrono::seconds(0)}).status, Status::Healthy);
    QVERIFY(!model.data(model.index(0, CandidateModel::DetailsColumn)).toString().contains(u"not ready"_s));
}

// The chart's rules on a made-up record (no etcd): terms clipped to the window, a known gap,
// a leader seen before the record began, and a restart of the recorder after a change it
// missed (the earlier term's end is marked unobserved, and no gap is invented).
void tst_MonitorModels::leadershipPictureRules()
{
    const QDateTime t0 = QDateTime::fromString(u"2026-11-30T10:00:00Z"_s, Qt::ISODate);
    auto candidate = [&](const QString &id, qint64 fencing, int seenAtS) {
        return LeaderInfo::fromKeyValue((u"svc/"_s + QString::number(fencing, 16)).toUtf8(),
                                        LeaderInfo::encodeValue(id, {}, 0, {}), fencing, fencing, t0.addSecs(seenAtS));
    };
    auto handover = [&](const LeaderInfo &from, const LeaderInfo &to, Handover::Cause cause, int atS) {
        Handover h;
        h.election = u"svc"_s;
        h.previous = from;
        h.next = to;
        h.cause = cause;
        h.at = t0.addSecs(atS);
        return h;
    };
    const LeaderInfo a = candidate(u"a"_s, 10, -50);  // seen 50 s before the first record
    const LeaderInfo b = candidate(u"b"_s, 20, 60);
    const LeaderInfo c = candidate(u"c"_s, 30, 200);
    const LeaderInfo d = candidate(u"d"_s, 40, 500);
    const QList<Handover> history{
            handover(a, b, Handover::Cause::Resigned, 60),      // a → b at 60 s
            handover(b, {}, Handover::Cause::LeaseExpired, 100), // nobody from 100 s
            handover({}, c, Handover::Cause::Elected, 130),      // c from 130 s: a 30 s gap
            handover({}, d, Handover::Cause::Elected, 500),      // a restart missed c's end
    };
    const LeadershipPicture p = LeadershipPicture::build(history, {d, c}, t0, t0.addSecs(600));
    QCOMPARE(p.lanes, (QStringList{u"d"_s, u"c"_s, u"b"_s, u"a"_s}));
    QCOMPARE(p.spans.size(), 4);
    QCOMPARE(p.spans[0].id, u"a"_s);
    QCOMPARE(p.spans[0].start, t0);          // seen before the window: clipped to it
    QVERIFY(p.spans[0].startsBefore);
    QCOMPARE(p.spans[1].id, u"b"_s);
    QCOMPARE(p.spans[1].start, t0.addSecs(60));
    QCOMPARE(p.spans[1].end, t0.addSecs(100));
    QCOMPARE(p.spans[2].id, u"c"_s);
    QVERIFY(p.spans[2].endUnobserved);
    QCOMPARE(p.spans[2].end, t0.addSecs(500));
    QCOMPARE(p.spans[3].id, u"d"_s);
    QCOMPARE(p.spans[3].end, t0.addSecs(600));
    QVERIFY(!p.spans[3].endUnobserved && !p.spans[3].startsBefore);
    QCOMPARE(p.gaps.size(), 1);
    QCOMPARE(p.gaps[0].start, t0.addSecs(100));
    QCOMPARE(p.gaps[0].end, t0.addSecs(130));
    QCOMPARE(p.leaderlessMs(), 30000);
    QCOMPARE(p.markers.size(), 4);

    // A narrower window keeps only what falls in it.
    const LeadershipPicture narrow = LeadershipPicture::build(history, {d, c}, t0.addSecs(90), t0.addSecs(140));
    QCOMPARE(narrow.spans.size(), 2);
    QCOMPARE(narrow.spans[0].id, u"b"_s);
    QCOMPARE(narrow.spans[0].start, t0.addSecs(90));
    QCOMPARE(narrow.gaps.size(), 1);
    QCOMPARE(narrow.markers.size(), 2);
    QCOMPARE(narrow.lanes.mid(0, 2), (QStringList{u"d"_s, u"c"_s})); // the queue always has lanes

    // No record at all: the current leader from when it was first seen.
    const LeadershipPicture fresh = LeadershipPicture::build({}, {d}, t0.addSecs(400), t0.addSecs(600));
    QCOMPARE(fresh.spans.size(), 1);
    QCOMPARE(fresh.spans[0].start, t0.addSecs(500));
    QVERIFY(fresh.spans[0].startsBefore);
    // Colours: stable, and one letter apart is not the same colour.
    QCOMPARE(laneColor(u"billing-1"_s), laneColor(u"billing-1"_s));
    QVERIFY(laneColor(u"billing-1"_s) != laneColor(u"billing-2"_s));
}

// A history file kept for endpoints where a new etcd cluster now runs (same lease ids, same
// revisions): once the cluster id is known, the old cluster's handovers go; lines from before
// ids were kept stay; the timeline follows.
void tst_MonitorModels::historyOfAnotherClusterIsDropped()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(u"history.jsonl"_s);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    auto line = [&](const QString &election, int secondsAgo, const QString &cluster) {
        Conclave::Handover h;
        h.election = election;
        h.at = now.addSecs(-secondsAgo);
        h.cause = Conclave::Handover::Cause::Resigned;
        h.revision = 100 - secondsAgo;
        QJsonObject o = HistoryStore::toJson(h);
        if (!cluster.isEmpty())
            o.insert(u"cluster"_s, cluster);
        return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
    };
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(line(u"old/one"_s, 50, u"aaa1"_s) + line(u"kept/unknown"_s, 40, {}) + line(u"new/one"_s, 30, u"bbb2"_s)
            + line(u"old/one"_s, 20, u"aaa1"_s));
    f.close();

    HistoryStore store(file);
    store.load();
    QCOMPARE(store.handovers().size(), 4);
    TimelineModel timeline(nullptr, &store);
    QAbstractItemModelTester tester(&timeline);
    QCOMPARE(timeline.rowCount(), 4);
    QSignalSpy reloaded(&store, &HistoryStore::reloaded);
    store.setClusterId(0xbbb2);
    QCOMPARE(reloaded.count(), 1);
    QStringList left;
    for (const Conclave::Handover &h : store.handovers())
        left << h.election;
    QCOMPARE(left, (QStringList{u"kept/unknown"_s, u"new/one"_s}));
    QVERIFY(store.handovers(u"old/one"_s).isEmpty());
    QCOMPARE(timeline.rowCount(), 2);
    store.setClusterId(0xbbb2); // the same again: nothing to do
    QCOMPARE(reloaded.count(), 1);

    // A later run: the id known before the file is read gives the same picture.
    HistoryStore again(file);
    again.setClusterId(0xbbb2);
    again.load();
    QCOMPARE(again.handovers().size(), 2);
}

// A long history is read on a thread while the monitor already lists the elections. What the
// directory reports meanwhile waits for the file (a relisting's report of the leader the file
// ends with is then not news): a handover during the read is kept, after the file's, and
// written once.
void tst_MonitorModels::historyReadInTheBackgroundLosesNothing()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(u"history.jsonl"_s);
    const QString svc = QString::fromUtf8(EtcdTestEnv::uniquePrefix()) + u"svc"_s;
    {
        // Enough of other elections' history that reading it takes longer than a listing.
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        const QDateTime now = QDateTime::currentDateTimeUtc();
        for (int i = 0; i < 60000; ++i) {
            Conclave::Handover h;
            h.election = u"filler/e%1"_s.arg(i % 500);
            h.at = now.addSecs(-3600 + i / 20);
            h.cause = Conclave::Handover::Cause::Resigned;
            h.revision = i + 1;
            f.write(QJsonDocument(HistoryStore::toJson(h)).toJson(QJsonDocument::Compact) + '\n');
        }
    }
    ElectorGroup g;
    Elector *a = g.join(m_etcd.endpoints(), svc, u"a"_s, Elector::Role::Leader);
    QVERIFY(a);
    Elector *b = g.join(m_etcd.endpoints(), svc, u"b"_s, Elector::Role::Follower);
    QVERIFY(b);
    const QString prefix = svc.section(u'/', 0, -2) + u'/';
    const auto linesOf = [&file](const QString &election) {
        const QByteArray field = "\"election\":\"" + election.toUtf8() + '"';
        QFile f(file);
        int n = 0;
        if (f.open(QIODevice::ReadOnly))
            while (!f.atEnd())
                n += f.readLine().contains(field) ? 1 : 0;
        return n;
    };
    {
        // An earlier monitor saw a hand over to b.
        Client client;
        client.setEndpoints(m_etcd.endpoints());
        ElectionDirectory directory(&client);
        directory.setPrefix(prefix);
        HistoryStore store(file);
        store.load();
        QCOMPARE(store.handovers().size(), 60000);
        store.record(&directory);
        directory.start();
        QTRY_VERIFY_WITH_TIMEOUT(directory.isSynced(), TestWaitMs);
        a->resign();
        QTRY_COMPARE_WITH_TIMEOUT(store.handovers(svc).size(), 1, TestWaitMs);
    }
    QCOMPARE(linesOf(svc), 1);

    Client client;
    client.setEndpoints(m_etcd.endpoints());
    ElectionDirectory directory(&client);
    directory.setPrefix(prefix);
    HistoryStore store(file);
    QSignalSpy loaded(&store, &HistoryStore::loaded);
    QSignalSpy reloaded(&store, &HistoryStore::reloaded);
    QSignalSpy appended(&store, &HistoryStore::appended);
    store.loadInBackground();
    QVERIFY(store.isLoading());
    store.record(&directory);
    directory.start();
    QTRY_VERIFY_WITH_TIMEOUT(directory.isSynced() && directory.leader(svc).id() == u"b"_s, TestWaitMs);
    b->resign();
    QTRY_VERIFY_WITH_TIMEOUT(directory.leader(svc).isValid() && directory.leader(svc).id() != u"b"_s, TestWaitMs);
    QVERIFY2(store.isLoading(), "the file was read before the handover: the test proves nothing");
    QCOMPARE(appended.count(), 0); // held back
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, TestWaitMs);
    QCOMPARE(reloaded.count(), 1);
    QCOMPARE(store.handovers().size(), 60000 + 2);
    const QList<Handover> mine = store.handovers(svc);
    QCOMPARE(mine.size(), 2);
    QCOMPARE(mine.at(0).previous.id(), u"a"_s);
    QCOMPARE(mine.at(0).next.id(), u"b"_s);
    QCOMPARE(mine.at(1).previous.id(), u"b"_s);
    QCOMPARE(mine.at(1).cause, Handover::Cause::Resigned);
    QCOMPARE(store.handovers().last().previous.id(), u"b"_s); // after the file's
    QCOMPARE(appended.count(), 1);
    QCOMPARE(linesOf(svc), 2);
}

QTEST_MAIN(tst_MonitorModels)
#include "tst_monitormodels.moc"
