#include <conclave/client.h>

#include "client_p.h"
#include "fakegateway.h"
#include "gatewayreply.h"
#include "testutil.h"
#include "watchhub.h"

#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace Conclave;
using Step = FakeGateway::Step;

// Replies no healthy etcd sends, from an in-process fake gateway: each must end in a clear
// error, with no crash and no hang.
class tst_GatewayReply : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void unaryFailures_data();
    void unaryFailures();
    void stalledReplyTimesOut();
    void keepAliveErrorLine();
    void watchLineSplitAcrossChunks();
    void watchStreamFailures_data();
    void watchStreamFailures();

private:
    std::unique_ptr<FakeGateway> m_fake;
    std::unique_ptr<Client> m_client;
    ClientPrivate *d = nullptr;
};

static const QByteArray header = R"("header":{"cluster_id":"1","member_id":"2","revision":"7","raft_term":"2"})";

void tst_GatewayReply::init()
{
    m_fake = std::make_unique<FakeGateway>();
    QVERIFY(m_fake->listen());
    m_client = std::make_unique<Client>();
    m_client->setEndpoints({m_fake->url()});
    m_client->setRequestTimeout(std::chrono::milliseconds(2000));
    d = ClientPrivate::get(m_client.get());
}

void tst_GatewayReply::unaryFailures_data()
{
    QTest::addColumn<QList<Step>>("script");
    QTest::addColumn<Error>("error");
    QTest::addColumn<QString>("hint");
    QTest::newRow("non-JSON 200")
        << QList<Step>{{0, FakeGateway::response(200, "text/plain", "hello"), false}}
        << Error::ProtocolError << QStringLiteral("malformed reply");
    QTest::newRow("truncated JSON")
        << QList<Step>{{0, FakeGateway::response(200, "application/json", "{\"header\":{\"rev"), false}}
        << Error::ProtocolError << QStringLiteral("malformed reply");
    QTest::newRow("JSON without header")
        << QList<Step>{{0, FakeGateway::response(200, "application/json", "{\"kvs\":[]}"), false}}
        << Error::ProtocolError << QStringLiteral("no header");
    QTest::newRow("HTML 502")
        << QList<Step>{{0, FakeGateway::response(502, "text/html", "<html><body>Bad Gateway</body></html>"), false}}
        << Error::Unavailable << QStringLiteral("HTTP 502: <html><body>Bad Gateway");
    QTest::newRow("closed mid-body")
        << QList<Step>{{0, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"head", true}}
        << Error::ConnectionError << QStringLiteral("range via");
    QTest::newRow("closed before answering")
        << QList<Step>{{0, QByteArray(), true}} << Error::ConnectionError << QStringLiteral("range via");
    QTest::newRow("gateway error JSON")
        << QList<Step>{{0, FakeGateway::response(403, "application/json",
                                                 R"({"error":"etcdserver: permission denied","message":"etcdserver: permission denied","code":7})"), false}}
        << Error::PermissionDenied << QStringLiteral("HTTP 403: etcdserver: permission denied");
    QTest::newRow("bad base64 in kvs")
        << QList<Step>{{0, FakeGateway::response(200, "application/json",
                                                 "{" + header + R"(,"kvs":[{"key":"%%%"}]})"), false}}
        << Error::NoError << QString();
}

void tst_GatewayReply::unaryFailures()
{
    QFETCH(QList<Step>, script);
    QFETCH(Error, error);
    QFETCH(QString, hint);
    m_fake->setScript(script);
    auto *r = d->range(RangeOptions::ofKey("k"));
    CONCLAVE_AWAIT(r, TestWaitMs);
    QCOMPARE(r->error(), error);
    QVERIFY2(r->errorString().contains(hint), qPrintable(r->errorString()));
    if (error != Error::NoError)
        QVERIFY2(r->errorString().contains(m_fake->url().toDisplayString()), qPrintable(r->errorString()));
    else { // the reply itself is fine; its parser reports the bad key
        bool ok = true;
        Codec::parseRange(r->json(), &ok);
        QVERIFY(!ok);
    }
}

void tst_GatewayReply::stalledReplyTimesOut()
{
    m_fake->setScript({}); // accepts, never answers
    m_client->setRequestTimeout(std::chrono::milliseconds(300));
    auto *r = d->range(RangeOptions::ofKey("k"));
    CONCLAVE_AWAIT(r, TestWaitMs);
    QCOMPARE(r->error(), Error::TimeoutError);
    QVERIFY2(r->errorString().contains(QLatin1String("300 ms")), qPrintable(r->errorString()));
}

void tst_GatewayReply::keepAliveErrorLine()
{
    m_fake->setScript({{0, FakeGateway::chunkedHeader()
                                   + FakeGateway::chunk(R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}})")
                                   + FakeGateway::chunk(""), false}});
    auto *r = d->leaseKeepAlive(42);
    CONCLAVE_AWAIT(r, TestWaitMs);
    QCOMPARE(r->error(), Error::Unavailable);
    QVERIFY2(r->errorString().contains(QLatin1String("no leader")), qPrintable(r->errorString()));
}

void tst_GatewayReply::watchLineSplitAcrossChunks()
{
    const QByteArray created = "{\"result\":{" + header + ",\"watch_id\":\"1\",\"created\":true}}\n";
    const QByteArray event = "{\"result\":{" + header
            + R"(,"watch_id":"1","events":[{"kv":{"key":"aw==","create_revision":"7","mod_revision":"7","version":"1","value":"dg=="}}]}})"
            + "\n";
    m_fake->setScript({{0, FakeGateway::chunkedHeader() + FakeGateway::chunk(created.left(20)), false},
                       {50, FakeGateway::chunk(created.mid(20) + event.left(33)), false},
                       {50, FakeGateway::chunk(event.mid(33)), false}});
    std::unique_ptr<Watch> w(d->watchHub()->watch("k", {}, 5, false, nullptr));
    QSignalSpy created_(w.get(), &Watch::created);
    QSignalSpy events(w.get(), &Watch::eventsReceived);
    QVERIFY(events.wait(5000));
    QCOMPARE(created_.count(), 1);
    const auto list = events.at(0).at(0).value<QList<WatchEvent>>();
    QCOMPARE(list.size(), 1);
    QCOMPARE(list[0].kv.value, QByteArray("v"));
    QCOMPARE(w->nextRevision(), 8);
}

void tst_GatewayReply::watchStreamFailures_data()
{
    QTest::addColumn<QList<Step>>("script");
    QTest::addColumn<Error>("error");
    const QByteArray created = "{\"result\":{" + header + ",\"watch_id\":\"1\",\"created\":true}}\n";
    QTest::newRow("non-JSON line")
        << QList<Step>{{0, FakeGateway::chunkedHeader() + FakeGateway::chunk("<html>oops</html>\n"), false}}
        << Error::ProtocolError;
    QTest::newRow("10 MB line")
        << QList<Step>{{0, FakeGateway::chunkedHeader() + FakeGateway::chunk(created)
                                   + FakeGateway::chunk("{\"result\":{\"x\":\"" + QByteArray(10 * 1024 * 1024, 'a')), false}}
        << Error::ProtocolError;
    QTest::newRow("closed mid-stream")
        << QList<Step>{{0, FakeGateway::chunkedHeader() + FakeGateway::chunk(created) + "40\r\n{\"res", true}}
        << Error::ConnectionError;
    QTest::newRow("in-stream error")
        << QList<Step>{{0, FakeGateway::chunkedHeader() + FakeGateway::chunk(created)
                                   + FakeGateway::chunk(R"({"error":{"grpc_code":14,"http_code":503,"message":"transport is closing","http_status":"Service Unavailable"}})")
                                   + FakeGateway::chunk(""), false}}
        << Error::Unavailable;
    QTest::newRow("HTTP 500 before stream")
        << QList<Step>{{0, FakeGateway::response(500, "application/json", R"({"error":"unexpected EOF","message":"unexpected EOF","code":2})"), false}}
        << Error::Unavailable;
    QTest::newRow("result missing")
        << QList<Step>{{0, FakeGateway::chunkedHeader() + FakeGateway::chunk("{\"nope\":1}\n"), false}}
        << Error::ProtocolError;
}

void tst_GatewayReply::watchStreamFailures()
{
    QFETCH(QList<Step>, script);
    QFETCH(Error, error);
    m_fake->setScript(script);
    std::unique_ptr<Watch> w(d->watchHub()->watch("k", {}, 5, false, nullptr));
    QSignalSpy lost(d->watchHub(), &WatchHub::streamLost);
    QVERIFY(lost.wait(TestWaitMs));
    QCOMPARE(lost.at(0).at(0).value<Error>(), error);
    QVERIFY2(lost.at(0).at(1).toString().contains(m_fake->url().toDisplayString()),
             qPrintable(lost.at(0).at(1).toString()));
    QVERIFY(w->isActive()); // the watch stays registered and will resume
    QVERIFY(lost.wait(TestWaitMs)); // it retries (with backoff, not in a tight loop)
    QVERIFY(m_fake->requestCount() < 10);
}

QTEST_GUILESS_MAIN(tst_GatewayReply)
#include "tst_gatewayreply.moc"
