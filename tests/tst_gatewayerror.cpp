#include <conclave/client.h>

#include "client_p.h"
#include "fakegateway.h"
#include "gatewayerror.h"
#include "gatewayreply.h"
#include "testutil.h"
#include "watchstreamparser.h"

#include <QtCore/QDir>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QMetaEnum>
#include <QtTest/QTest>

using namespace Conclave;
using namespace Qt::StringLiterals;

// Error answers of both gateway dialects (grpc-gateway v1: Debian's etcd 3.4, upstream 3.4 and
// 3.5; v2: Debian's 3.5, every 3.6 and 3.7), decoded in one place: made-up bodies for the rules,
// and every reply recorded from real 3.4.23, 3.5.16 and 3.5.30 members (tests/data/etcd-replies)
// replayed through the library's own paths.
class tst_GatewayError : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void classify_data();
    void classify();
    void bothDialects_data();
    void bothDialects();
    void cancelReasons_data();
    void cancelReasons();
    void recordedUnary_data();
    void recordedUnary();
    void recordedStreams_data();
    void recordedStreams();
    void everySampleHasAnExpectation();
};

static QString dataDir()
{
    return QStringLiteral(CONCLAVE_SOURCE_DIR "/tests/data/etcd-replies");
}

static const QStringList Versions{u"3.4.23"_s, u"3.5.16"_s, u"3.5.30"_s};

// What the library must make of each recorded case: "Default" or "Default; version=Other …".
// "-" marks a sample that is not a single reply (a summary of trials, or a request the server
// never answered: the v2 gateway sends nothing for a malformed watch body).
static const QHash<QString, QString> &expectations()
{
    static const QHash<QString, QString> table{
        {u"auth-authenticate-not-enabled"_s, u"InvalidArgument"_s},
        {u"auth-authenticate-ok"_s, u"NoError"_s},
        {u"auth-authenticate-wrong-password"_s, u"AuthenticationError"_s},
        {u"auth-lease-grant-app"_s, u"NoError"_s},
        {u"auth-lease-grant-no-token"_s, u"NoError; 3.5.30=AuthenticationError"_s},
        {u"auth-lease-keepalive-bad-token"_s, u"NoError; 3.5.30=AuthenticationError"_s},
        {u"auth-lease-keepalive-foreign-inside"_s, u"NoError"_s},
        {u"auth-lease-keepalive-foreign-outside"_s, u"NoError; 3.5.30=PermissionDenied"_s},
        {u"auth-lease-keepalive-no-token"_s, u"NoError; 3.5.30=AuthenticationError"_s},
        {u"auth-lease-keepalive-own"_s, u"NoError"_s},
        {u"auth-lease-keepalive-unknown"_s, u"LeaseLost"_s},
        {u"auth-lease-leases-app"_s, u"NoError; 3.5.30=PermissionDenied"_s},
        {u"auth-lease-leases-no-token"_s, u"NoError; 3.5.30=AuthenticationError"_s},
        {u"auth-lease-revoke-foreign-outside"_s, u"PermissionDenied"_s},
        {u"auth-lease-revoke-no-token-unknown"_s, u"LeaseLost; 3.5.30=AuthenticationError"_s},
        {u"auth-lease-timetolive-foreign-inside-keys"_s, u"NoError"_s},
        {u"auth-lease-timetolive-foreign-outside-keys"_s, u"PermissionDenied; 3.4.23=NoError"_s},
        {u"auth-lease-timetolive-foreign-outside-nokeys"_s, u"NoError"_s},
        {u"auth-lease-timetolive-no-token-keys"_s, u"AuthenticationError; 3.4.23=NoError"_s},
        {u"auth-lease-timetolive-no-token"_s, u"NoError; 3.5.30=AuthenticationError"_s},
        {u"auth-lease-timetolive-own-keys"_s, u"NoError"_s},
        {u"auth-member-list-app"_s, u"NoError"_s},
        {u"auth-member-list-no-token"_s, u"NoError; 3.5.30=AuthenticationError"_s},
        {u"auth-put-outside-prefix"_s, u"PermissionDenied"_s},
        {u"auth-range-bad-token"_s, u"AuthenticationError"_s},
        {u"auth-range-bearer-token"_s, u"AuthenticationError"_s},
        {u"auth-range-no-token"_s, u"AuthenticationError"_s},
        {u"auth-range-ok"_s, u"NoError"_s},
        {u"auth-range-outside-prefix"_s, u"PermissionDenied"_s},
        // root-only on 3.5.28-3.5.31: the directory treats it as optional (tst_electiondirectory)
        {u"auth-status-app"_s, u"NoError; 3.5.30=PermissionDenied"_s},
        {u"auth-status-no-token"_s, u"NoError; 3.5.30=AuthenticationError"_s},
        {u"auth-token-after-reenable"_s, u"AuthenticationError"_s},
        {u"auth-watch-bad-token"_s, u"AuthenticationError"_s},
        {u"auth-watch-no-token"_s, u"AuthenticationError"_s},
        {u"auth-watch-outside-prefix"_s, u"PermissionDenied"_s},
        {u"cluster-member-list"_s, u"NoError"_s},
        {u"err-empty-body"_s, u"InvalidArgument"_s},
        {u"err-empty-object-put"_s, u"InvalidArgument"_s},
        // 3.4: 405 text/plain; v2: 501 {"code":12}: a method the server lacks, not an outage
        {u"err-get-method"_s, u"GatewayError"_s},
        {u"err-invalid-base64"_s, u"InvalidArgument"_s},
        {u"err-json-array"_s, u"InvalidArgument"_s},
        {u"err-malformed-json"_s, u"InvalidArgument"_s},
        {u"err-no-such-path"_s, u"GatewayError"_s},
        {u"err-unknown-field"_s, u"NoError"_s},
        {u"err-wrong-type-key"_s, u"InvalidArgument"_s},
        {u"err-wrong-type-limit"_s, u"InvalidArgument"_s},
        {u"kv-put"_s, u"NoError"_s},
        {u"kv-range-compacted-revision"_s, u"Compacted"_s},
        // a member behind the revision asked for: another member, or a moment later, answers
        {u"kv-range-future-revision"_s, u"Unavailable"_s},
        {u"kv-range-missing"_s, u"NoError"_s},
        // 412 on 3.4.23 (gateway 1.6.4), 400 on the others: the code (9) decides, not the status
        {u"lease-grant-duplicate-id"_s, u"InvalidArgument"_s},
        {u"lease-grant"_s, u"NoError"_s},
        {u"lease-keepalive-live"_s, u"NoError"_s},
        {u"lease-keepalive-revoked"_s, u"LeaseLost"_s},
        {u"lease-keepalive-unknown"_s, u"LeaseLost"_s},
        {u"lease-leases"_s, u"NoError"_s},
        {u"lease-revoke-revoked"_s, u"LeaseLost"_s},
        {u"lease-revoke-unknown"_s, u"LeaseLost"_s},
        {u"lease-timetolive-live"_s, u"NoError"_s},
        {u"lease-timetolive-unknown-keys"_s, u"LeaseLost"_s},
        {u"lease-timetolive-unknown"_s, u"LeaseLost"_s},
        {u"maintenance-status"_s, u"NoError"_s},
        {u"noleader-keepalive"_s, u"Unavailable"_s},
        {u"noleader-range"_s, u"Unavailable"_s},
        {u"noleader-watch-new"_s, u"Unavailable"_s},
        {u"noleader-watch-open-before"_s, u"Unavailable"_s},
        {u"put-unknown-lease"_s, u"LeaseLost"_s},
        {u"txn-create-failure"_s, u"NoError"_s},
        {u"txn-create-success"_s, u"NoError"_s},
        {u"version-get"_s, u"-"_s}, // GET /version is not a gateway call (Client::serverVersion)
        {u"watch-cancel"_s, u"GatewayError"_s}, // a cancel without a reason: not ours to cure
        {u"watch-compacted"_s, u"Compacted"_s},
        {u"watch-conclave-body"_s, u"NoError"_s},
        {u"watch-conclave-multi-create"_s, u"-"_s},
        {u"watch-create-event"_s, u"NoError"_s},
        // our own bug if ever sent (WatchHub never reuses an id): not a permission problem
        {u"watch-duplicate-id"_s, u"GatewayError"_s},
        {u"watch-future-revision"_s, u"NoError"_s},
        // 3.4's 500 for a body it cannot decode: retried (never sent by us); v2 answers nothing
        {u"watch-invalid-base64-key"_s, u"Unavailable; 3.5.16=-; 3.5.30=-"_s},
        {u"watch-malformed-body"_s, u"Unavailable; 3.5.16=-; 3.5.30=-"_s},
        {u"watch-malformed-second-line"_s, u"NoError"_s},
        {u"watch-member-sigkill"_s, u"NoError"_s}, // cut inside the body: the transport reports it
        // 3.5.30 keeps the stream ~7 s after SIGTERM: the capture ended before the error line
        {u"watch-member-sigterm"_s, u"Unavailable; 3.5.30=NoError"_s},
        {u"watch-member-sigterm-long"_s, u"Unavailable"_s},
        {u"watch-member-sigterm-trials"_s, u"-"_s},
        {u"watch-order-create-vs-progress-start-current"_s, u"-"_s},
        {u"watch-order-create-vs-progress-start-future"_s, u"-"_s},
        {u"watch-progress-notify-future-start"_s, u"NoError"_s},
        {u"watch-progress-notify"_s, u"NoError"_s},
        {u"watch-progress-request"_s, u"NoError"_s},
    };
    return table;
}

static QString expected(const QString &version, const QString &name)
{
    const QStringList parts = expectations().value(name).split(u';');
    QString result = parts.value(0).trimmed();
    for (const QString &p : parts.mid(1)) {
        const QString override = p.trimmed();
        if (override.startsWith(version + u'='))
            result = override.mid(version.size() + 1);
    }
    return result;
}

static Error errorFromName(const QString &name)
{
    bool ok = false;
    const int v = QMetaEnum::fromType<Error>().keyToValue(name.toLatin1().constData(), &ok);
    if (!ok)
        qFatal("unknown Error name in the expectations: %s", qPrintable(name));
    return Error(v);
}

static QJsonObject loadSample(const QString &version, const QString &name)
{
    QFile f(dataDir() + u'/' + version + u'/' + name + u".json"_s);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

static QStringList sampleNames(const QString &version)
{
    QStringList names;
    for (const QString &file : QDir(dataDir() + u'/' + version).entryList({u"*.json"_s}, QDir::Files))
        if (!file.startsWith(u'_'))
            names << file.chopped(5);
    return names;
}

static bool isStream(const QJsonObject &sample)
{
    return sample.value(u"request"_s).toObject().value(u"path"_s).toString() == u"/v3/watch"_s;
}

void tst_GatewayError::classify_data()
{
    QTest::addColumn<int>("http");
    QTest::addColumn<int>("grpc");
    QTest::addColumn<QString>("message");
    QTest::addColumn<Error>("expected");
    QTest::newRow("wrong password") << 400 << 3
        << u"etcdserver: authentication failed, invalid user ID or password"_s << Error::AuthenticationError;
    QTest::newRow("no token") << 400 << 3 << u"etcdserver: user name is empty"_s << Error::AuthenticationError;
    QTest::newRow("bad token") << 401 << 16 << u"etcdserver: invalid auth token"_s << Error::AuthenticationError;
    QTest::newRow("denied") << 403 << 7 << u"etcdserver: permission denied"_s << Error::PermissionDenied;
    QTest::newRow("denied, in-stream") << 0 << 7 << u"etcdserver: permission denied"_s << Error::PermissionDenied;
    QTest::newRow("lease") << 404 << 5 << u"etcdserver: requested lease not found"_s << Error::LeaseLost;
    QTest::newRow("compacted") << 400 << 11
        << u"etcdserver: mvcc: required revision has been compacted"_s << Error::Compacted;
    QTest::newRow("future revision") << 400 << 11
        << u"etcdserver: mvcc: required revision is a future revision"_s << Error::Unavailable;
    QTest::newRow("bad base64") << 400 << 3 << u"illegal base64 data at input byte 0"_s << Error::InvalidArgument;
    QTest::newRow("too large") << 429 << 8 << u"grpc: received message larger than max"_s << Error::InvalidArgument;
    // ResourceExhausted is an overload or the NOSPACE alarm: transient, never a reason to give up
    QTest::newRow("too many requests") << 429 << 8 << u"etcdserver: too many requests"_s << Error::Unavailable;
    QTest::newRow("too many requests, in-stream") << 0 << 8 << u"etcdserver: too many requests"_s << Error::Unavailable;
    QTest::newRow("no space") << 429 << 8 << u"etcdserver: mvcc: database space exceeded"_s << Error::Unavailable;
    QTest::newRow("429 without a code") << 429 << 0 << u"Too Many Requests"_s << Error::Unavailable;
    QTest::newRow("no leader") << 503 << 14 << u"etcdserver: no leader"_s << Error::Unavailable;
    QTest::newRow("no leader, in-stream") << 0 << 14 << u"etcdserver: no leader"_s << Error::Unavailable;
    QTest::newRow("shutdown, in-stream") << 0 << 14 << u"error reading from server: EOF"_s << Error::Unavailable;
    QTest::newRow("connection closing") << 408 << 1 << u"grpc: the client connection is closing"_s << Error::Unavailable;
    QTest::newRow("deadline") << 500 << 2 << u"context deadline exceeded"_s << Error::Unavailable;
    QTest::newRow("timed out") << 504 << 4 << u"etcdserver: request timed out"_s << Error::Unavailable;
    QTest::newRow("html 502") << 502 << 0 << u"<html>Bad Gateway</html>"_s << Error::Unavailable;
    QTest::newRow("404 text") << 404 << 0 << u"404 page not found"_s << Error::GatewayError;
    QTest::newRow("404 JSON") << 404 << 5 << u"Not Found"_s << Error::GatewayError;
    QTest::newRow("501 unimplemented") << 501 << 12 << u"Method Not Allowed"_s << Error::GatewayError;
    QTest::newRow("501 without a code") << 501 << 0 << u"Not Implemented"_s << Error::GatewayError;
    QTest::newRow("lease exists, 412") << 412 << 9 << u"etcdserver: lease already exists"_s << Error::InvalidArgument;
    QTest::newRow("lease exists, 400") << 400 << 9 << u"etcdserver: lease already exists"_s << Error::InvalidArgument;
}

void tst_GatewayError::classify()
{
    QFETCH(int, http);
    QFETCH(int, grpc);
    QFETCH(QString, message);
    QFETCH(Error, expected);
    QCOMPARE(GatewayErrors::classify(http, grpc, message), expected);
}

// The same failure written by either gateway decodes to the same code, message and class.
void tst_GatewayError::bothDialects_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("v1");
    QTest::addColumn<QByteArray>("v2");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    QTest::addColumn<Error>("error");
    QTest::newRow("unary") << 404
        << R"({"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5})"_ba
        << R"({"code":5, "message":"etcdserver: requested lease not found"})"_ba << 5
        << u"etcdserver: requested lease not found"_s << Error::LeaseLost;
    QTest::newRow("upstream 3.5 field order") << 403
        << R"({"error":"etcdserver: permission denied","code":7,"message":"etcdserver: permission denied"})"_ba
        << R"({"code":7, "message":"etcdserver: permission denied"})"_ba << 7
        << u"etcdserver: permission denied"_s << Error::PermissionDenied;
    QTest::newRow("in-stream, HTTP status set") << 503
        << R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader","http_status":"Service Unavailable"}})"_ba
        << "{\"error\":{\"code\":14,\"message\":\"etcdserver: no leader\"}}\n"_ba << 14
        << u"etcdserver: no leader"_s << Error::Unavailable;
    QTest::newRow("in-stream after 200") << 0
        << R"({"error":{"grpc_code":14,"http_code":503,"message":"transport is closing","http_status":"Service Unavailable"}})"_ba
        << "{\"error\":{\"code\":14,\"message\":\"transport is closing\"}}\n"_ba << 14
        << u"transport is closing"_s << Error::Unavailable;
    QTest::newRow("overload in-stream") << 0
        << R"({"error":{"grpc_code":8,"http_code":429,"message":"etcdserver: too many requests","http_status":"Too Many Requests"}})"_ba
        << "{\"error\":{\"code\":8,\"message\":\"etcdserver: too many requests\"}}\n"_ba << 8
        << u"etcdserver: too many requests"_s << Error::Unavailable;
}

void tst_GatewayError::bothDialects()
{
    QFETCH(int, status);
    QFETCH(QByteArray, v1);
    QFETCH(QByteArray, v2);
    QFETCH(int, code);
    QFETCH(QString, message);
    QFETCH(Error, error);
    for (const QByteArray &body : {v1, v2}) {
        const GatewayFailure f = GatewayErrors::fromReply(status, body);
        QCOMPARE(f.grpcCode, code);
        QCOMPARE(f.message, message);
        QCOMPARE(f.error, error);
        // A stream line reaches the watch parser: the same answer there.
        WatchStreamParser parser;
        const QList<WatchMessage> out = parser.feed(body.endsWith('\n') ? body : body + '\n');
        if (QJsonDocument::fromJson(body).object().value(u"error"_s).isObject()) {
            QCOMPARE(out.size(), 1);
            QCOMPARE(out[0].kind, WatchMessage::Kind::Error);
            if (status == 0)
                QCOMPARE(out[0].error, error);
            QCOMPARE(out[0].errorString, message);
        }
    }
}

void tst_GatewayError::cancelReasons_data()
{
    QTest::addColumn<QString>("reason");
    QTest::addColumn<int>("code");
    QTest::addColumn<Error>("error");
    QTest::newRow("denied") << u"rpc error: code = PermissionDenied desc = etcdserver: permission denied"_s
                            << 7 << Error::PermissionDenied;
    QTest::newRow("no token") << u"rpc error: code = InvalidArgument desc = etcdserver: user name is empty"_s
                              << 3 << Error::AuthenticationError;
    QTest::newRow("bad token") << u"rpc error: code = Unauthenticated desc = etcdserver: invalid auth token"_s
                               << 16 << Error::AuthenticationError;
    QTest::newRow("no leader") << u"rpc error: code = Unavailable desc = etcdserver: no leader"_s
                               << 14 << Error::Unavailable;
    QTest::newRow("duplicate id") << u"mvcc: duplicate watch ID provided on the WatchStream"_s
                                  << 0 << Error::GatewayError;
    QTest::newRow("no reason") << QString() << 0 << Error::GatewayError;
    QTest::newRow("garbled") << u"rpc error: code = "_s << 0 << Error::GatewayError;
}

void tst_GatewayError::cancelReasons()
{
    QFETCH(QString, reason);
    QFETCH(int, code);
    QFETCH(Error, error);
    const GatewayFailure f = GatewayErrors::fromCancelReason(reason);
    QCOMPARE(f.grpcCode, code);
    QCOMPARE(f.error, error);
}

// The gRPC code a recorded error carries, read straight from the sample (either dialect).
static int recordedCode(const QJsonObject &sample)
{
    const QJsonObject json = sample.value(u"json"_s).toObject();
    const QJsonObject inner = json.value(u"error"_s).toObject();
    if (!inner.isEmpty())
        return inner.value(inner.contains(u"grpc_code"_s) ? u"grpc_code"_s : u"code"_s).toInt();
    return json.value(u"code"_s).toInt();
}

// One row per recorded sample of every version that replays (\a streams: watch streams, or
// else unary calls).
static void addSampleRows(bool streams)
{
    QTest::addColumn<QString>("version");
    QTest::addColumn<QString>("name");
    for (const QString &version : Versions) {
        for (const QString &name : sampleNames(version)) {
            if (expected(version, name) != u"-"_s && isStream(loadSample(version, name)) == streams)
                QTest::addRow("%s %s", qPrintable(version), qPrintable(name)) << version << name;
        }
    }
}

void tst_GatewayError::recordedUnary_data()
{
    addSampleRows(false);
}

// Each recorded unary reply, byte for byte, from a fake server to the library's GatewayReply.
void tst_GatewayError::recordedUnary()
{
    QFETCH(QString, version);
    QFETCH(QString, name);
    const QJsonObject sample = loadSample(version, name);
    const int status = sample.value(u"status"_s).toInt();
    const QByteArray body = sample.value(u"body"_s).toString().toUtf8();
    const QByteArray type = sample.value(u"headers"_s).toObject().value(u"Content-Type"_s).toString().toUtf8();
    QVERIFY2(status > 0, "a unary sample without a status");

    FakeGateway fake;
    QVERIFY(fake.listen());
    fake.setScript({{0, FakeGateway::response(status, type, body), false}});
    Client client;
    client.setEndpoints({fake.url()});
    const QJsonObject request = QJsonDocument::fromJson(
            sample.value(u"request"_s).toObject().value(u"body"_s).toString().toUtf8()).object();
    auto *reply = ClientPrivate::get(&client)->post(
            name, sample.value(u"request"_s).toObject().value(u"path"_s).toString().toUtf8(), request,
            ClientPrivate::Retry::IfNotSent);
    CONCLAVE_AWAIT(reply, TestWaitMs);
    const Error want = errorFromName(expected(version, name));
    QVERIFY2(reply->error() == want, qPrintable(u"%1: got %2 (%3), want %4"_s.arg(
            name, errorName(reply->error()), reply->errorString(), errorName(want))));
    if (status >= 300)
        QCOMPARE(reply->grpcCode(), recordedCode(sample));
    if (status >= 300 && want != Error::NoError) // etcd's own words reach the caller
        QVERIFY2(reply->errorString().contains(
                         sample.value(u"json"_s).toObject().value(u"message"_s).toString()),
                 qPrintable(reply->errorString()));
}

void tst_GatewayError::recordedStreams_data()
{
    addSampleRows(true);
}

// Each recorded watch stream, chunk by chunk as it arrived, through the stream parser; what
// the parser yields is judged the way WatchHub judges it (refusals and cancels by their reason,
// a non-200 stream by its unary-shaped body).
void tst_GatewayError::recordedStreams()
{
    QFETCH(QString, version);
    QFETCH(QString, name);
    const QJsonObject sample = loadSample(version, name);
    const int status = sample.value(u"status"_s).toInt();
    Error got = Error::NoError;
    if (status != 200) {
        got = GatewayErrors::fromReply(status, sample.value(u"body"_s).toString().toUtf8()).error;
    } else {
        WatchStreamParser parser;
        QList<WatchMessage> messages;
        for (const QJsonValue &chunk : sample.value(u"chunks"_s).toArray())
            messages += parser.feed(chunk.toObject().value(u"data"_s).toString().toUtf8());
        if (sample.value(u"curl_exit"_s).toInt() == 0) // the server ended the stream cleanly
            messages += parser.finish();
        QVERIFY2(!messages.isEmpty(), "no message in a recorded stream");
        for (const WatchMessage &m : std::as_const(messages)) {
            if (m.kind == WatchMessage::Kind::Error)
                got = m.error;
            else if (m.compactRevision > 0)
                got = Error::Compacted;
            else if (m.canceled)
                got = GatewayErrors::fromCancelReason(m.cancelReason).error;
            if (got != Error::NoError)
                break;
        }
    }
    const Error want = errorFromName(expected(version, name));
    QVERIFY2(got == want, qPrintable(u"%1: got %2, want %3"_s.arg(name, errorName(got), errorName(want))));
}

void tst_GatewayError::everySampleHasAnExpectation()
{
    int samples = 0;
    for (const QString &version : Versions) {
        const QStringList names = sampleNames(version);
        QVERIFY2(names.size() >= 80, qPrintable(u"only %1 samples for %2 in %3"_s.arg(names.size()).arg(version, dataDir())));
        for (const QString &name : names) {
            QVERIFY2(expectations().contains(name), qPrintable(u"no expectation for %1/%2"_s.arg(version, name)));
            ++samples;
        }
    }
    qInfo("%d recorded replies checked against expectations", samples);
}

QTEST_GUILESS_MAIN(tst_GatewayError)
#include "tst_gatewayerror.moc"
