// ElectionIndex without etcd: listings and events in, elections, queues and leader changes out.

#undef QT_NO_CAST_FROM_ASCII // election names as plain literals keep the tables readable

#include "electionindex.h"

#include <QtCore/QTimeZone>
#include <QtTest/QtTest>

using namespace Conclave;

namespace {

KeyValue kv(const QByteArray &key, qint64 lease, qint64 create, const QByteArray &value = "v")
{
    KeyValue k;
    k.key = key;
    k.value = value;
    k.lease = lease;
    k.createRevision = create;
    k.modRevision = create;
    return k;
}

WatchEvent put(const KeyValue &k)
{
    WatchEvent e;
    e.type = WatchEvent::Type::Put;
    e.kv = k;
    return e;
}

WatchEvent del(const QByteArray &key, qint64 revision)
{
    WatchEvent e;
    e.type = WatchEvent::Type::Delete;
    e.kv.key = key;
    e.kv.modRevision = revision;
    return e;
}

QByteArrayList keys(const QList<LeaderInfo> &infos)
{
    QByteArrayList result;
    for (const LeaderInfo &i : infos)
        result.append(i.key());
    return result;
}

const QDateTime T0 = QDateTime::fromSecsSinceEpoch(1700000000, QTimeZone::utc());
const QDateTime T1 = T0.addSecs(60);

} // namespace

class tst_ElectionIndex : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void classify_data();
    void classify();
    void listingOrdersQueuesAndKeepsStraysOfKnownElections();
    void firstListingReportsNoLeaderChange();
    void eventsMoveLeadership();
    void valueChangeKeepsFirstSeen();
    void relistReportsWhatChangedMeanwhile();
    void forgetListingStartsOver();
    void oneElectionIgnoresOthersAndCountsStrays();
    void eventsCountEveryChildOfAKnownElection();
    void oneBatchReportsEveryLeaderOfIt();
};

void tst_ElectionIndex::classify_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<qint64>("lease");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("election");
    const int cand = int(ElectionIndex::KeyKind::Candidate);
    const int member = int(ElectionIndex::KeyKind::Member);
    const int other = int(ElectionIndex::KeyKind::Other);
    QTest::newRow("hex, Go/etcdctl/Conclave") << QByteArray("jobs/2a") << qint64(0x2a) << cand << "jobs";
    QTest::newRow("decimal, etcd3 for Node.js") << QByteArray("jobs/7587869520375633161")
                                                << qint64(7587869520375633161) << cand << "jobs";
    QTest::newRow("decimal that reads as hex too") << QByteArray("jobs/42") << qint64(42) << cand << "jobs";
    QTest::newRow("nested") << QByteArray("a/b/ff") << qint64(0xff) << cand << "a/b";
    QTest::newRow("16 hex digits") << QByteArray("e/694d8ad1e5a6b30b") << qint64(0x694d8ad1e5a6b30b) << cand << "e";
    QTest::newRow("other lease") << QByteArray("jobs/2a") << qint64(0x2b) << member << "jobs";
    QTest::newRow("no lease") << QByteArray("jobs/2a") << qint64(0) << member << "jobs";
    QTest::newRow("upper-case hex") << QByteArray("jobs/2A") << qint64(0x2a) << member << "jobs";
    QTest::newRow("decimal with a leading zero") << QByteArray("jobs/042") << qint64(42) << member << "jobs";
    QTest::newRow("17 digits") << QByteArray("jobs/10000000000000000") << qint64(1) << member << "jobs";
    QTest::newRow("empty name") << QByteArray("jobs/") << qint64(1) << member << "jobs";
    QTest::newRow("any name") << QByteArray("jobs/config") << qint64(1) << member << "jobs";
    QTest::newRow("no slash") << QByteArray("2a") << qint64(0x2a) << other << "";
    QTest::newRow("leading slash only") << QByteArray("/2a") << qint64(0x2a) << other << "";
}

void tst_ElectionIndex::classify()
{
    QFETCH(QByteArray, key);
    QFETCH(qint64, lease);
    QFETCH(int, kind);
    QFETCH(QString, election);
    QString name;
    QCOMPARE(int(ElectionIndex::classify(key, lease, &name)), kind);
    if (kind != int(ElectionIndex::KeyKind::Other))
        QCOMPARE(name, election);
}

void tst_ElectionIndex::listingOrdersQueuesAndKeepsStraysOfKnownElections()
{
    ElectionIndex index;
    const ElectionIndex::Changes c = index.reset({kv("a/3", 3, 30), kv("a/1", 1, 10), kv("a/2", 2, 20),
                                                  kv("a/9", 7, 5), kv("b/9", 8, 6), kv("b/c/1", 1, 11),
                                                  kv("config", 0, 1), kv("a/1000", 1000, 25),
                                                  kv("a/uuid-x", 8, 27), kv("a/b/zz", 0, 2)},
                                                 40, T0);
    QCOMPARE(c.added, QStringList({"a", "b/c"}));
    QVERIFY(c.changed.isEmpty());
    QCOMPARE(c.revision, 40);
    QCOMPARE(index.elections(), QStringList({"a", "b/c"}));
    // Every direct child of a/ is in its queue, whatever its name (decimal a/1000, a/uuid-x); a/9
    // on lease 7 leads, as it does for etcdctl and Go. a/b/zz belongs to "a/b", which no key
    // named after its lease makes an election; b/9 names no election either.
    QCOMPARE(keys(index.candidates("a")), QByteArrayList({"a/9", "a/1", "a/2", "a/1000", "a/uuid-x", "a/3"}));
    QCOMPARE(keys(index.strays("a")), QByteArrayList({"a/9"}));
    QVERIFY(!index.contains("b"));
    QVERIFY(!index.contains("a/b"));
    QCOMPARE(index.leader("a").key(), QByteArray("a/9"));
    QCOMPARE(index.leader("a").since(), T0);
    QCOMPARE(index.leader("a").fencingToken(), 5);
    QCOMPARE(index.leader("b/c").key(), QByteArray("b/c/1"));
    QVERIFY(!index.leader("nothing").isValid());
    QCOMPARE(index.revision(), 40);
}

void tst_ElectionIndex::firstListingReportsNoLeaderChange()
{
    ElectionIndex index;
    QVERIFY(!index.isListed());
    QVERIFY(index.reset({kv("a/1", 1, 10)}, 10, T0).leaders.isEmpty());
    QVERIFY(index.isListed());
}

void tst_ElectionIndex::eventsMoveLeadership()
{
    ElectionIndex index;
    index.reset({}, 5, T0);
    ElectionIndex::Changes c = index.apply({put(kv("a/1", 1, 6)), put(kv("a/2", 2, 7))}, T0);
    QCOMPARE(c.added, QStringList({"a"}));
    QCOMPARE(c.leaders.size(), 1);
    QVERIFY(!c.leaders[0].previous.isValid());
    QCOMPARE(c.leaders[0].next.key(), QByteArray("a/1"));
    QCOMPARE(c.revision, 7);

    // The follower leaving changes the queue, not the leader.
    c = index.apply({del("a/2", 8)}, T1);
    QCOMPARE(c.changed, QStringList({"a"}));
    QVERIFY(c.leaders.isEmpty());

    c = index.apply({put(kv("a/3", 3, 9)), del("a/1", 10)}, T1);
    QCOMPARE(c.leaders.size(), 1);
    QCOMPARE(c.leaders[0].election, QString("a"));
    QCOMPARE(c.leaders[0].previous.key(), QByteArray("a/1"));
    QCOMPARE(c.leaders[0].next.key(), QByteArray("a/3"));
    QCOMPARE(c.leaders[0].next.since(), T1);
    QCOMPARE(index.revision(), 10);

    // A key re-created (new incarnation, same name) is a new leader even with the same key;
    // in between, at revision 11, the election had none.
    c = index.apply({del("a/3", 11), put(kv("a/3", 3, 12))}, T1);
    QCOMPARE(c.leaders.size(), 2);
    QCOMPARE(c.leaders[0].previous.fencingToken(), 9);
    QVERIFY(!c.leaders[0].next.isValid());
    QCOMPARE(c.leaders[0].revision, 11);
    QVERIFY(!c.leaders[1].previous.isValid());
    QCOMPARE(c.leaders[1].next.fencingToken(), 12);
    QCOMPARE(c.leaders[1].revision, 12);

    // Once seen, an election stays known with no candidates.
    c = index.apply({del("a/3", 13)}, T1);
    QCOMPARE(c.leaders.size(), 1);
    QVERIFY(!c.leaders[0].next.isValid());
    QVERIFY(index.contains("a"));
    QVERIFY(index.candidates("a").isEmpty());
}

void tst_ElectionIndex::valueChangeKeepsFirstSeen()
{
    ElectionIndex index;
    index.reset({kv("a/1", 1, 10, "old")}, 10, T0);
    KeyValue changed = kv("a/1", 1, 10, "new");
    changed.modRevision = 11;
    const ElectionIndex::Changes c = index.apply({put(changed)}, T1);
    QCOMPARE(c.changed, QStringList({"a"}));
    QVERIFY(c.leaders.isEmpty());
    QCOMPARE(index.leader("a").value(), QByteArray("new"));
    QCOMPARE(index.leader("a").since(), T0);
}

void tst_ElectionIndex::relistReportsWhatChangedMeanwhile()
{
    ElectionIndex index;
    index.reset({kv("a/1", 1, 10), kv("a/2", 2, 11), kv("b/5", 5, 12)}, 12, T0);
    // While the watch was down: a/1 left, b emptied, c appeared.
    const ElectionIndex::Changes c = index.reset({kv("a/2", 2, 11), kv("c/7", 7, 20)}, 20, T1);
    QCOMPARE(c.added, QStringList({"c"}));
    QCOMPARE(c.changed, QStringList({"a", "b"}));
    QCOMPARE(c.leaders.size(), 2);
    QCOMPARE(c.leaders[0].election, QString("a"));
    QCOMPARE(c.leaders[0].next.key(), QByteArray("a/2"));
    QCOMPARE(c.leaders[0].next.since(), T0); // a/2 was seen at T0, as a follower
    QCOMPARE(c.leaders[1].election, QString("b"));
    QVERIFY(!c.leaders[1].next.isValid());
    QCOMPARE(index.elections(), QStringList({"a", "b", "c"}));
}

void tst_ElectionIndex::forgetListingStartsOver()
{
    ElectionIndex index;
    index.reset({kv("a/1", 1, 10)}, 10, T0);
    index.forgetListing();
    QVERIFY(index.reset({kv("a/2", 2, 20)}, 20, T1).leaders.isEmpty());
    QCOMPARE(index.leader("a").key(), QByteArray("a/2"));
}

void tst_ElectionIndex::oneElectionIgnoresOthersAndCountsStrays()
{
    ElectionIndex index("a");
    QCOMPARE(index.elections(), QStringList({"a"}));
    ElectionIndex::Changes c = index.reset({kv("a/9", 0, 3), kv("a/1", 1, 10), kv("a/b/2", 2, 4)}, 10, T0);
    QVERIFY(c.added.isEmpty());
    QCOMPARE(c.changed, QStringList({"a"}));
    QCOMPARE(index.elections(), QStringList({"a"}));
    QCOMPARE(keys(index.candidates("a")), QByteArrayList({"a/9", "a/1"}));
    QCOMPARE(index.leader("a").key(), QByteArray("a/9"));

    c = index.apply({put(kv("a/b/3", 3, 11)), put(kv("z/4", 4, 12))}, T1);
    QVERIFY(c.changed.isEmpty());
    QVERIFY(c.added.isEmpty());
    c = index.apply({put(kv("a/8", 0, 13))}, T1);
    QCOMPARE(c.changed, QStringList({"a"}));
    QCOMPARE(keys(index.strays("a")), QByteArrayList({"a/9", "a/8"}));
}

// A key named otherwise joins the queue of a known election through an event too, and an
// election is discovered from an event by a key in decimal (etcd3 for Node.js).
void tst_ElectionIndex::eventsCountEveryChildOfAKnownElection()
{
    ElectionIndex index;
    index.reset({kv("a/1", 1, 10)}, 10, T0);
    ElectionIndex::Changes c = index.apply({put(kv("a/zz", 9, 11)), put(kv("n/7587869520375633161", 7587869520375633161, 12))}, T1);
    QCOMPARE(c.added, QStringList({"n"}));
    QCOMPARE(c.changed, QStringList({"a"}));
    QCOMPARE(keys(index.candidates("a")), QByteArrayList({"a/1", "a/zz"}));
    QVERIFY(index.strays("a").isEmpty()); // on a lease, named freely: a candidate like any
    QCOMPARE(index.leader("n").key(), QByteArray("n/7587869520375633161"));
    c = index.apply({del("a/1", 13)}, T1);
    QCOMPARE(c.leaders.size(), 1);
    QCOMPARE(c.leaders[0].next.key(), QByteArray("a/zz"));
}

// A watch catching up (after a reconnect, or a slow reader) brings several revisions in one
// batch: a leader that held office only between two of them is still reported, each change
// at its own revision. (On trixie's busy CI, a resign right after taking over was merged into
// one change a -> c and the monitor's chart lost b's term.)
void tst_ElectionIndex::oneBatchReportsEveryLeaderOfIt()
{
    ElectionIndex index;
    index.reset({kv("s/1", 1, 10), kv("s/2", 2, 11), kv("s/3", 3, 12)}, 12, T0);
    const ElectionIndex::Changes c = index.apply({del("s/1", 13), put(kv("s/2", 2, 11)), del("s/2", 15),
                                                  put(kv("s/4", 4, 16))}, T1);
    QCOMPARE(c.leaders.size(), 2);
    QCOMPARE(c.leaders[0].previous.key(), QByteArray("s/1"));
    QCOMPARE(c.leaders[0].next.key(), QByteArray("s/2"));
    QCOMPARE(c.leaders[0].revision, 13);
    QCOMPARE(c.leaders[1].previous.key(), QByteArray("s/2"));
    QCOMPARE(c.leaders[1].next.key(), QByteArray("s/3"));
    QCOMPARE(c.leaders[1].revision, 15);
    QCOMPARE(c.revision, 16);
}

QTEST_GUILESS_MAIN(tst_ElectionIndex)
#include "tst_electionindex.moc"
