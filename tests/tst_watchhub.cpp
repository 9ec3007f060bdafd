#include <conclave/client.h>

#include "client_p.h"
#include "etcdtestenv.h"
#include "gatewayreply.h"
#include "tcpproxy.h"
#include "testutil.h"
#include "watchhub.h"

#include <QtCore/QTimer>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace Conclave;

// Collects what one Watch delivers.
struct Recorder
{
    explicit Recorder(Watch *w)
    {
        QObject::connect(w, &Watch::eventsReceived, w, [this](const QList<WatchEvent> &events) {
            for (const WatchEvent &e : events) {
                revisions.append(e.kv.modRevision);
                types.append(e.type);
                values.append(e.type == WatchEvent::Type::Put ? e.kv.value : e.prevKv.value);
            }
        });
    }
    QList<qint64> revisions;
    QList<WatchEvent::Type> types;
    QList<QByteArray> values;
};

// A Client that reaches etcd only through a TcpProxy, so that a test can cut its connections.
struct ViaProxy
{
    TcpProxy proxy;
    Client client;
    bool listen(const QUrl &etcd)
    {
        if (!proxy.listen(etcd))
            return false;
        client.setEndpoints({proxy.url()});
        return true;
    }
    WatchHub *hub() { return ClientPrivate::get(&client)->watchHub(); }
    //! The watch stream open now falls silent; unary calls go out on fresh connections, so
    //! that an audit's read does not hang (a hung call alone replaces every stream).
    void freezeStreamsOnly()
    {
        ClientPrivate::get(&client)->unaryNam()->clearConnectionCache();
        proxy.freezeExisting();
    }
};

class tst_WatchHub : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void orderedEventsWithRevisions();
    void startRevisionReplaysHistory();
    void hundredWatchesLeaveRoomForUnaryCalls();
    void thousandWatchesOpenOneStream();
    void trickleOfWatchesDoesNotOpenAStreamEach();
    void addAndCancelUnderLoadLosesNothing();
    void etcdRestartResumesOnce();
    void compactionReported();
    void auditMovesResumePointPastCompaction();
    void silentStreamIsReplaced();
    void newStreamLeavesCancelledCreatesBehind();
    void rangeIsAuditedOnItsAnchor();
    void auditOfARangeKeepsItsResumePoint();
    void hungCallReplacesStreamsWatchesWaitForTheNew();
    void settlesOnCreatesNotOnTheProgressAnswer();

private:
    qint64 put(const QByteArray &key, const QByteArray &value);
    //! A range watch (m_prefix range/a … range/z) anchored on \a anchor, through \a via's proxy.
    Watch *watchRangeAnchoredOn(ViaProxy &via, const QByteArray &anchor);
    GatewayReply *compactTo(qint64 revision);
    int etcdWatchers();
    EtcdTestEnv m_etcd;
    std::unique_ptr<Client> m_client;
    ClientPrivate *d = nullptr;
    QByteArray m_prefix;
};

void tst_WatchHub::initTestCase()
{
    QVERIFY2(m_etcd.start(), qPrintable(m_etcd.errorString()));
}

void tst_WatchHub::init()
{
    m_client = std::make_unique<Client>();
    m_client->setEndpoints(m_etcd.endpoints());
    d = ClientPrivate::get(m_client.get());
    m_prefix = EtcdTestEnv::uniquePrefix();
}

void tst_WatchHub::cleanup()
{
    m_etcd.dumpLogsIfFailed();
    m_client.reset();
}

// Put through a separate client, so that the watched Client's own traffic is not involved.
qint64 tst_WatchHub::put(const QByteArray &key, const QByteArray &value)
{
    Client writer;
    writer.setEndpoints(m_etcd.endpoints());
    auto *r = ClientPrivate::get(&writer)->put(key, value);
    QSignalSpy spy(r, &GatewayReply::finished);
    if (!spy.wait(TestWaitMs) || r->error() != Error::NoError)
        return -1;
    return r->header().revision;
}

// [range/a, range/z) watched from just after \a anchor (inside it) is put, audited on \a anchor.
Watch *tst_WatchHub::watchRangeAnchoredOn(ViaProxy &via, const QByteArray &anchor)
{
    const qint64 created = put(anchor, "1");
    if (created < 0 || !via.listen(m_etcd.endpoint()))
        return nullptr;
    return via.hub()->watchAnchoredRange(m_prefix + "range/a", m_prefix + "range/z", anchor, created + 1, nullptr);
}

void tst_WatchHub::orderedEventsWithRevisions()
{
    std::unique_ptr<Watch> w(d->watchHub()->watch(m_prefix, Codec::prefixEnd(m_prefix), 0, true, nullptr));
    QSignalSpy created(w.get(), &Watch::created);
    Recorder rec(w.get());
    QVERIFY(created.wait(TestWaitMs));
    QList<qint64> expected;
    for (int i = 0; i < 5; ++i)
        expected << put(m_prefix + "k" + QByteArray::number(i % 2), "v" + QByteArray::number(i));
    auto *del = d->deleteRange(m_prefix + "k0");
    CONCLAVE_AWAIT_OK(del);
    expected << del->header().revision;
    QTRY_COMPARE_WITH_TIMEOUT(rec.revisions.size(), expected.size(), TestWaitMs);
    QCOMPARE(rec.revisions, expected);
    QCOMPARE(rec.types.last(), WatchEvent::Type::Delete);
    QCOMPARE(rec.values.last(), QByteArray("v4")); // prev_kv of the deleted key
    QCOMPARE(w->nextRevision(), expected.last() + 1);
}

void tst_WatchHub::startRevisionReplaysHistory()
{
    const qint64 first = put(m_prefix + "h", "1");
    put(m_prefix + "h", "2");
    std::unique_ptr<Watch> w(d->watchHub()->watch(m_prefix + "h", {}, first, false, nullptr));
    Recorder rec(w.get());
    QTRY_COMPARE_WITH_TIMEOUT(rec.values.size(), 2, TestWaitMs);
    QCOMPARE(rec.values, (QList<QByteArray>{"1", "2"}));
}

void tst_WatchHub::hundredWatchesLeaveRoomForUnaryCalls()
{
    std::vector<std::unique_ptr<Watch>> watches;
    std::vector<std::unique_ptr<Recorder>> recs;
    int created = 0;
    for (int i = 0; i < 100; ++i) {
        watches.emplace_back(d->watchHub()->watch(m_prefix + "w" + QByteArray::number(i), {}, 0,
                                                  false, nullptr));
        recs.push_back(std::make_unique<Recorder>(watches.back().get()));
        connect(watches.back().get(), &Watch::created, this, [&created] { ++created; });
    }
    QTRY_COMPARE_WITH_TIMEOUT(created, 100, 20000);
    QCOMPARE(d->watchHub()->watchCount(), 100);
    // Unary calls on the same Client still go through while all 100 watches are open.
    for (int i = 0; i < 10; ++i) {
        auto *p = d->put(m_prefix + "w" + QByteArray::number(i * 10), "x");
        CONCLAVE_AWAIT_OK(p);
        auto *r = d->range(RangeOptions::ofKey(m_prefix + "w0"));
        CONCLAVE_AWAIT_OK(r);
    }
    for (int i = 0; i < 10; ++i)
        QTRY_COMPARE_WITH_TIMEOUT(recs[size_t(i * 10)]->values.size(), 1, TestWaitMs);
    QCOMPARE(recs[1]->values.size(), 0);
}

// The hub settles once every create is answered, on every etcd version: 3.5 answers the
// body's trailing progress_request before some creates (3.5.16), or never while a watch starts
// in the future (3.5.22+: ours do) or replays history (any 3.5). Before, settled() waited for
// that answer and never came on 3.5.30. One watch from the future, one replaying, and 20 more
// (a padded body) together.
void tst_WatchHub::settlesOnCreatesNotOnTheProgressAnswer()
{
    const qint64 past = put(m_prefix + "s/old", "x");
    const qint64 future = put(m_prefix + "s/start", "x") + 1;
    QSignalSpy settled(d->watchHub(), &WatchHub::settled);
    std::vector<std::unique_ptr<Watch>> watches;
    watches.emplace_back(d->watchHub()->watch(m_prefix + "s/old", {}, past, false, nullptr)); // replays
    for (int i = 0; i < 21; ++i)
        watches.emplace_back(d->watchHub()->watch(m_prefix + "s/" + QByteArray::number(i), {}, future, false, nullptr));
    QVERIFY(settled.wait(TestWaitMs));
    QVERIFY(d->watchHub()->isSettled());
    for (const auto &w : watches)
        QVERIFY(w->isLive());
}

// A thousand creates at once go out on one stream and are all confirmed there.
void tst_WatchHub::thousandWatchesOpenOneStream()
{
    const int openingsBefore = d->watchHub()->streamOpenings();
    std::vector<std::unique_ptr<Watch>> watches;
    std::vector<std::unique_ptr<Recorder>> recs;
    int created = 0;
    const qint64 from = put(m_prefix + "t/start", "x") + 1;
    for (int i = 0; i < 1000; ++i) {
        watches.emplace_back(d->watchHub()->watch(m_prefix + "t/" + QByteArray::number(i), {}, from,
                                                  false, nullptr));
        recs.push_back(std::make_unique<Recorder>(watches.back().get()));
        connect(watches.back().get(), &Watch::created, this, [&created] { ++created; });
    }
    QTRY_COMPARE_WITH_TIMEOUT(created, 1000, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(d->watchHub()->isSettled(), TestWaitMs);
    QCOMPARE(d->watchHub()->streamOpenings() - openingsBefore, 1);
    QCOMPARE(d->watchHub()->streamCount(), 1);
    put(m_prefix + "t/0", "a");
    put(m_prefix + "t/999", "b");
    QTRY_COMPARE_WITH_TIMEOUT(recs.front()->values.size(), 1, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(recs.back()->values.size(), 1, TestWaitMs);
}

// Hundreds of Electors joining at once place their watches a few at a time, as their reads come
// back. When a stream's watch set was fixed at its opening, a stream per batch held a connection
// and its buffers each until a merge (1000 elections: 303 streams opened, 40 MB); now every batch
// is appended to the one stream.
void tst_WatchHub::trickleOfWatchesDoesNotOpenAStreamEach()
{
    const int openingsBefore = d->watchHub()->streamOpenings();
    const qint64 from = put(m_prefix + "tr/start", "x") + 1;
    std::vector<std::unique_ptr<Watch>> watches;
    int created = 0;
    QTimer tick;
    tick.setInterval(1);
    connect(&tick, &QTimer::timeout, this, [&] {
        watches.emplace_back(d->watchHub()->watch(m_prefix + "tr/" + QByteArray::number(int(watches.size())),
                                                  {}, from, false, nullptr));
        connect(watches.back().get(), &Watch::created, this, [&created] { ++created; });
        if (watches.size() == 400)
            tick.stop();
    });
    tick.start();
    QTRY_COMPARE_WITH_TIMEOUT(created, 400, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(d->watchHub()->isSettled(), TestWaitMs);
    const int openings = d->watchHub()->streamOpenings() - openingsBefore;
    QCOMPARE(openings, 1);
    QCOMPARE(d->watchHub()->streamCount(), 1);
    // Nothing was lost by waiting: the first and the last watch both deliver.
    Recorder first(watches.front().get());
    Recorder last(watches.back().get());
    put(m_prefix + "tr/0", "a");
    put(m_prefix + "tr/399", "b");
    QTRY_COMPARE_WITH_TIMEOUT(first.values.size(), 1, TestWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(last.values.size(), 1, TestWaitMs);
}

// Watches come and go while a writer puts keys: their creates and cancels are appended to the
// stream that carries the busy watch, which is never reopened and loses nothing; etcd is told
// of every cancel (its watcher count does not grow with the churn).
void tst_WatchHub::addAndCancelUnderLoadLosesNothing()
{
    // The watches of earlier tests' Clients leave etcd when it notices their streams closed:
    // wait for that, or their late departure shows up as cancels of ours.
    QTRY_COMPARE_WITH_TIMEOUT(etcdWatchers(), 0, TestWaitMs);
    const int watchersBefore = 0;
    std::unique_ptr<Watch> main(d->watchHub()->watch(m_prefix + "load/", Codec::prefixEnd(m_prefix + "load/"),
                                                     0, false, nullptr));
    Recorder rec(main.get());
    QSignalSpy created(main.get(), &Watch::created);
    QVERIFY(created.wait(TestWaitMs));

    // A writer puts 150 keys back to back while watches come and go on the same Client.
    Client writer;
    writer.setEndpoints(m_etcd.endpoints());
    QList<qint64> written;
    int n = 0;
    std::function<void()> next = [&] {
        if (n == 150)
            return;
        auto *r = ClientPrivate::get(&writer)->put(m_prefix + "load/" + QByteArray::number(n++), "v");
        connect(r, &GatewayReply::finished, this, [&, r] {
            r->deleteLater();
            if (r->error() == Error::NoError)
                written << r->header().revision;
            next();
        });
    };
    next();
    std::vector<std::unique_ptr<Watch>> churn;
    const int openingsBefore = d->watchHub()->streamOpenings();
    QTimer churner;
    int churned = 0;
    connect(&churner, &QTimer::timeout, this, [&] {
        ++churned;
        if (churn.size() > 3)
            churn.erase(churn.begin());
        churn.emplace_back(d->watchHub()->watch(m_prefix + "other", {}, 0, false, nullptr));
    });
    churner.start(15);
    QTRY_COMPARE_WITH_TIMEOUT(written.size(), 150, 30000);
    churner.stop();
    QTRY_COMPARE_WITH_TIMEOUT(rec.revisions.size(), written.size(), TestWaitMs);
    QCOMPARE(rec.revisions, written); // nothing lost, duplicated or reordered
    QVERIFY2(churned > 20, qPrintable(QStringLiteral("only %1 watches came and went").arg(churned)));
    QCOMPARE(d->watchHub()->streamOpenings(), openingsBefore);
    QTRY_VERIFY_WITH_TIMEOUT(d->watchHub()->isSettled(), TestWaitMs);
    // The main watch and the last four of the churn; without cancels, every churned watch.
    QTRY_COMPARE_WITH_TIMEOUT(etcdWatchers() - watchersBefore, 5, TestWaitMs);
}

void tst_WatchHub::etcdRestartResumesOnce()
{
    EtcdTestEnv etcd;
    QVERIFY2(etcd.start(), qPrintable(etcd.errorString()));
    Client client;
    client.setEndpoints(etcd.endpoints());
    ClientPrivate *cd = ClientPrivate::get(&client);
    std::unique_ptr<Watch> w(cd->watchHub()->watch("/r/", Codec::prefixEnd("/r/"), 0, false, nullptr));
    Recorder rec(w.get());
    QSignalSpy created(w.get(), &Watch::created);
    QSignalSpy lost(cd->watchHub(), &WatchHub::streamLost);
    QSignalSpy opened(cd->watchHub(), &WatchHub::settled);
    QVERIFY(created.wait(TestWaitMs));
    Client writer;
    writer.setEndpoints(etcd.endpoints());
    auto doPut = [&](const QByteArray &v) {
        auto *r = ClientPrivate::get(&writer)->put("/r/" + v, v);
        QSignalSpy s(r, &GatewayReply::finished);
        return s.wait(TestWaitMs) && r->error() == Error::NoError ? r->header().revision : -1;
    };
    QList<qint64> expected{doPut("a")};
    QTRY_COMPARE_WITH_TIMEOUT(rec.revisions.size(), 1, TestWaitMs);
    QVERIFY(etcd.stop(0));
    QTRY_VERIFY_WITH_TIMEOUT(lost.count() > 0, TestWaitMs);
    QVERIFY2(etcd.restart(0), qPrintable(etcd.errorString()));
    opened.clear();
    // These land while the hub is still backing off: they must arrive once, after resume.
    expected << doPut("b") << doPut("c");
    QVERIFY(!expected.contains(-1));
    QTRY_COMPARE_WITH_TIMEOUT(rec.revisions.size(), 3, 15000);
    QCOMPARE(rec.revisions, expected);
    expected << doPut("d");
    QTRY_COMPARE_WITH_TIMEOUT(rec.revisions.size(), 4, TestWaitMs);
    QCOMPARE(rec.revisions, expected);
    etcd.dumpLogsIfFailed();
}

void tst_WatchHub::compactionReported()
{
    const qint64 first = put(m_prefix + "c", "1");
    const qint64 last = put(m_prefix + "c", "2");
    auto *compact = compactTo(last);
    CONCLAVE_AWAIT(compact, TestWaitMs);
    QVERIFY2(compact->error() == Error::NoError || compact->error() == Error::Compacted,
             qPrintable(compact->errorString()));
    std::unique_ptr<Watch> w(d->watchHub()->watch(m_prefix + "c", {}, first, false, nullptr));
    QSignalSpy compacted(w.get(), &Watch::compacted);
    QVERIFY(compacted.wait(TestWaitMs));
    QVERIFY(compacted.at(0).at(0).toLongLong() >= last);
    QVERIFY(!w->isActive());
    // The other watches on the stream are unaffected.
    std::unique_ptr<Watch> fine(d->watchHub()->watch(m_prefix + "c", {}, 0, false, nullptr));
    Recorder rec(fine.get());
    QSignalSpy created(fine.get(), &Watch::created);
    QVERIFY(created.wait(TestWaitMs));
    put(m_prefix + "c", "3");
    QTRY_COMPARE_WITH_TIMEOUT(rec.values.size(), 1, TestWaitMs);
}

// An anchored watch's resume point follows etcd's revision (the audit proves nothing changed),
// so a stream re-opened after a compaction is not refused; live says when the stream is gone.
void tst_WatchHub::auditMovesResumePointPastCompaction()
{
    ViaProxy via;
    QVERIFY(via.listen(m_etcd.endpoint()));
    TcpProxy &proxy = via.proxy;
    WatchHub *hub = via.hub();
    const QByteArray key = m_prefix + "anchored";
    const qint64 created = put(key, "1");
    std::unique_ptr<Watch> w(hub->watchAnchored(key, created + 1, nullptr));
    Recorder rec(w.get());
    QSignalSpy live(w.get(), &Watch::liveChanged);
    QSignalSpy compacted(w.get(), &Watch::compacted);
    QTRY_VERIFY_WITH_TIMEOUT(w->isLive(), TestWaitMs);
    qint64 later = 0;
    for (int i = 0; i < 3; ++i)
        later = put(m_prefix + "unrelated", QByteArray::number(i));
    QTRY_VERIFY_WITH_TIMEOUT(w->nextRevision() > later, 5000); // audited: nothing missed
    auto *compact = compactTo(later);
    CONCLAVE_AWAIT_OK(compact);
    live.clear();
    proxy.resetAll();
    QTRY_VERIFY_WITH_TIMEOUT(live.count() >= 2, TestWaitMs); // lost its stream, then back
    QCOMPARE(live.at(0).at(0).toBool(), false);
    QCOMPARE(live.last().at(0).toBool(), true);
    const qint64 changed = put(key, "2");
    QTRY_COMPARE_WITH_TIMEOUT(rec.revisions, QList<qint64>{changed}, TestWaitMs);
    QCOMPARE(compacted.count(), 0); // before: re-opened at created + 1, refused as compacted
}

// A stream whose connection goes half-dead (bytes dropped, no reset) is found out by the audit
// and replaced; the change it swallowed is delivered, once.
void tst_WatchHub::silentStreamIsReplaced()
{
    ViaProxy via;
    QVERIFY(via.listen(m_etcd.endpoint()));
    TcpProxy &proxy = via.proxy;
    WatchHub *hub = via.hub();
    const QByteArray key = m_prefix + "silent";
    const qint64 created = put(key, "1");
    std::unique_ptr<Watch> w(hub->watchAnchored(key, created + 1, nullptr));
    Recorder rec(w.get());
    QTRY_VERIFY_WITH_TIMEOUT(w->isLive() && hub->isSettled(), TestWaitMs);
    proxy.freezeExisting();
    const qint64 changed = put(key, "2");
    QTRY_COMPARE_WITH_TIMEOUT(rec.revisions, QList<qint64>{changed}, 5000);
    QVERIFY(hub->streamReplacements() >= 1);
    const qint64 again = put(key, "3"); // the new stream carries on
    QTRY_COMPARE_WITH_TIMEOUT(rec.revisions, (QList<qint64>{changed, again}), 5000);
}

// A watch cancelled before etcd answered its create stays in its stream's list of creates until
// the answer comes. When a new stream then takes that stream's watches over (the Client moved
// to another endpoint), the cancelled watch is not taken over: conclave-shards crashed on a
// null Watch in sendCreates() when 1,000 Electors re-followed while etcd members failed
// (chaos --shards 1000: dozens of crashes in a day of runs, unseen by the runner until now).
void tst_WatchHub::newStreamLeavesCancelledCreatesBehind()
{
    TcpProxy first, second;
    QVERIFY(first.listen(m_etcd.endpoint()) && second.listen(m_etcd.endpoint()));
    Client client;
    client.setEndpoints({first.url(), second.url()});
    ClientPrivate *cd = ClientPrivate::get(&client);
    WatchHub *hub = cd->watchHub();
    const QByteArray key = m_prefix + "kept";
    const qint64 created = put(key, "1");
    std::unique_ptr<Watch> kept(hub->watchAnchored(key, created + 1, nullptr));
    Recorder rec(kept.get());
    QTRY_VERIFY_WITH_TIMEOUT(kept->isLive() && hub->isSettled(), TestWaitMs);
    cd->unaryNam()->clearConnectionCache();
    first.freezeExisting(); // the next create goes out on the stream and is never answered
    const qint64 sent = hub->createsSent();
    std::unique_ptr<Watch> dropped(hub->watch(m_prefix + "dropped", {}, created + 1, false, nullptr));
    QTRY_VERIFY_WITH_TIMEOUT(hub->createsSent() > sent, TestWaitMs);
    dropped.reset();
    cd->markEndpointFailed(0); // the stream at the first endpoint takes no more creates
    std::unique_ptr<Watch> added(hub->watch(m_prefix + "added", {}, created + 1, false, nullptr));
    QTRY_VERIFY_WITH_TIMEOUT(kept->isLive() && added->isLive(), TestWaitMs); // a new stream, second endpoint
    const qint64 changed = put(key, "2");
    QTRY_COMPARE_WITH_TIMEOUT(rec.revisions, QList<qint64>{changed}, TestWaitMs);
}

// A range watch anchored on one key of its range (the next in line's claim watch: the leader's
// key and ours) is audited on that key: a silent stream that swallowed its delete is found out
// and replaced, and the delete is delivered once. The unary connections are fresh ones, so that
// the audit itself does not hang (that alone replaces the stream, and proves nothing here).
void tst_WatchHub::rangeIsAuditedOnItsAnchor()
{
    ViaProxy via;
    const QByteArray anchor = m_prefix + "range/b";
    std::unique_ptr<Watch> w(watchRangeAnchoredOn(via, anchor));
    QVERIFY(w);
    WatchHub *hub = via.hub();
    Recorder rec(w.get());
    QTRY_VERIFY_WITH_TIMEOUT(w->isLive() && hub->isSettled(), TestWaitMs);
    via.freezeStreamsOnly();
    auto *del = d->deleteRange(anchor);
    CONCLAVE_AWAIT_OK(del);
    const qint64 deleted = del->header().revision;
    QTRY_COMPARE_WITH_TIMEOUT(rec.revisions, QList<qint64>{deleted}, 5000);
    QVERIFY(hub->streamReplacements() >= 1);
}

// The audit of a range proves nothing about the range's other keys, so it must not move the
// resume point past their changes: a stream re-opened from there would skip them. (A one-key
// watch on the same stream shows that an audit round ran.)
void tst_WatchHub::auditOfARangeKeepsItsResumePoint()
{
    ViaProxy via;
    const QByteArray anchor = m_prefix + "range/b";
    std::unique_ptr<Watch> w(watchRangeAnchoredOn(via, anchor));
    QVERIFY(w);
    WatchHub *hub = via.hub();
    const QByteArray other = m_prefix + "other";
    const qint64 otherCreated = put(other, "1");
    std::unique_ptr<Watch> probe(hub->watchAnchored(other, otherCreated + 1, nullptr));
    Recorder rec(w.get());
    QTRY_VERIFY_WITH_TIMEOUT(w->isLive() && probe->isLive() && hub->isSettled(), TestWaitMs);
    via.freezeStreamsOnly();
    const qint64 changed = put(m_prefix + "range/c", "1"); // in the range, not the anchor
    QTRY_VERIFY_WITH_TIMEOUT(probe->nextRevision() > changed, 5000); // audited since
    QCOMPARE(hub->streamReplacements(), 0); // the anchor did not change: nothing to find out
    QVERIFY(w->nextRevision() <= changed);
    via.proxy.resetAll(); // the stream breaks; the watch resumes where it was
    QTRY_COMPARE_WITH_TIMEOUT(rec.revisions, QList<qint64>{changed}, TestWaitMs);
}

// Any call of the Client that hangs is evidence that its connections went half-dead (a stream
// cannot say so: it is silent either way). Every stream is replaced, and until the new one
// confirms a watch it is not live, without a liveChanged(false): whoever relies on it keeps
// relying on it, nobody starts to. Nothing is lost or repeated. (A watch that is not anchored:
// no audit may hang first and make the verdict racy.)
void tst_WatchHub::hungCallReplacesStreamsWatchesWaitForTheNew()
{
    ViaProxy via;
    QVERIFY(via.listen(m_etcd.endpoint()));
    WatchHub *hub = via.hub();
    ClientPrivate *viaD = ClientPrivate::get(&via.client);
    const QByteArray key = m_prefix + "hung";
    const qint64 created = put(key, "1");
    std::unique_ptr<Watch> w(hub->watch(key, {}, created + 1, false, nullptr));
    Recorder rec(w.get());
    QTRY_VERIFY_WITH_TIMEOUT(w->isLive() && hub->isSettled(), TestWaitMs);
    QSignalSpy live(w.get(), &Watch::liveChanged);
    {
        GatewayReply *warm = viaD->range(RangeOptions::ofKey(key)); // leaves an idle connection
        QSignalSpy done(warm, &GatewayReply::finished);
        QVERIFY(done.wait(TestWaitMs));
        QCOMPARE(warm->error(), Error::NoError);
    }

    via.proxy.freezeExisting();
    GatewayReply *hung = viaD->range(RangeOptions::ofKey(key)); // on the idle, now dead, connection
    hung->setTimeout(std::chrono::milliseconds(300));
    bool liveWhenItHung = true;
    int replacedWhenItHung = -1;
    connect(hung, &GatewayReply::finished, this, [&] {
        liveWhenItHung = w->isLive();
        replacedWhenItHung = hub->streamReplacements();
    });
    QTRY_VERIFY_WITH_TIMEOUT(replacedWhenItHung >= 0, TestWaitMs);
    QCOMPARE(hung->error(), Error::TimeoutError);
    QVERIFY(replacedWhenItHung >= 1);
    QVERIFY(!liveWhenItHung); // before: live on the dead stream
    QTRY_VERIFY_WITH_TIMEOUT(w->isLive(), TestWaitMs); // confirmed by the new stream
    QCOMPARE(live.count(), 1);
    QCOMPARE(live.at(0).at(0).toBool(), true);
    const qint64 changed = put(key, "2");
    QTRY_COMPARE_WITH_TIMEOUT(rec.revisions, QList<qint64>{changed}, TestWaitMs);
}

// etcd's own count of its watchers (its /metrics), -1 if it cannot be read.
int tst_WatchHub::etcdWatchers()
{
    QNetworkAccessManager nam;
    QUrl url = m_etcd.endpoint();
    url.setPath(QStringLiteral("/metrics"));
    QNetworkReply *reply = nam.get(QNetworkRequest(url));
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!done.wait(TestWaitMs))
        return -1;
    reply->deleteLater();
    for (const QByteArray &line : reply->readAll().split('\n'))
        if (line.startsWith("etcd_debugging_mvcc_watcher_total "))
            return line.split(' ').value(1).toInt();
    return -1;
}

GatewayReply *tst_WatchHub::compactTo(qint64 revision)
{
    return d->post(QStringLiteral("compaction"), "/v3/kv/compaction",
                   {{QStringLiteral("revision"), Codec::encodeInt(revision)}},
                   ClientPrivate::Retry::IfNotSent);
}

QTEST_GUILESS_MAIN(tst_WatchHub)
#include "tst_watchhub.moc"
