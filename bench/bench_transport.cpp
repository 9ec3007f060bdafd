// Per-request latency of unary calls over plain HTTP/1.1, TLS HTTP/1.1 and TLS HTTP/2,
// and put-to-event latency of the shared watch stream, against a throwaway local etcd.
//   bench_transport [requests per mode, default 200]
#include <conclave/client.h>

#include "client_p.h"
#include "etcdtestenv.h"
#include "gatewayreply.h"
#include "watchhub.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QEventLoop>
#include <QtCore/QTimer>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

#include <algorithm>
#include <cstdio>

using namespace Conclave;

static void report(const char *what, QList<double> ms)
{
    std::sort(ms.begin(), ms.end());
    if (ms.isEmpty()) {
        std::printf("%-34s no samples\n", what);
        return;
    }
    auto at = [&](double q) { return ms.at(qMin(ms.size() - 1, qsizetype(q * ms.size()))); };
    std::printf("%-34s n=%-4lld median %6.2f ms  p90 %6.2f ms  max %6.2f ms\n", what,
                static_cast<long long>(ms.size()), at(0.5), at(0.9), ms.last());
}

static QList<double> timePuts(EtcdTestEnv &etcd, bool tls, bool http2, int n)
{
    Client client;
    client.setEndpoints(etcd.endpoints());
    if (tls)
        client.setSslConfiguration(etcd.clientSsl());
    ClientPrivate *d = ClientPrivate::get(&client);
    d->setHttp2Allowed(http2);
    QList<double> samples;
    for (int i = 0; i < n + 5; ++i) {
        QElapsedTimer t;
        t.start();
        GatewayReply *r = d->put("/bench/k" + QByteArray::number(i % 10), "v");
        QSignalSpy spy(r, &GatewayReply::finished);
        if (!spy.wait(10000) || r->error() != Error::NoError) {
            std::fprintf(stderr, "put failed: %s\n", qPrintable(r->errorString()));
            return {};
        }
        if (i >= 5) // the first requests pay for the connection and TLS handshake
            samples << t.nsecsElapsed() / 1e6;
        delete r;
    }
    return samples;
}

static QList<double> timeWatchDelivery(EtcdTestEnv &etcd, int n)
{
    Client client;
    client.setEndpoints(etcd.endpoints());
    ClientPrivate *d = ClientPrivate::get(&client);
    std::unique_ptr<Watch> w(d->watchHub()->watch("/bench/w", {}, 0, false, nullptr));
    QSignalSpy created(w.get(), &Watch::created);
    if (!created.wait(10000))
        return {};
    QList<double> samples;
    QElapsedTimer t;
    QEventLoop loop; // a real event loop: polling with sleeps would skew the figures
    QObject::connect(w.get(), &Watch::eventsReceived, &loop, [&] {
        samples << t.nsecsElapsed() / 1e6;
        loop.quit();
    });
    QTimer guard;
    guard.setSingleShot(true);
    QObject::connect(&guard, &QTimer::timeout, &loop, &QEventLoop::quit);
    for (int i = 0; i < n; ++i) {
        t.start();
        const qsizetype before = samples.size();
        GatewayReply *r = d->put("/bench/w", QByteArray::number(i));
        QObject::connect(r, &GatewayReply::finished, r, &QObject::deleteLater);
        guard.start(10000);
        loop.exec();
        if (samples.size() == before)
            break;
    }
    return samples;
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int n = argc > 1 ? QByteArray(argv[1]).toInt() : 200;
    EtcdTestEnv plain;
    EtcdTestEnv::Options tlsOptions;
    tlsOptions.tls = true;
    tlsOptions.clientCertAuth = true;
    EtcdTestEnv tls(tlsOptions);
    if (!plain.start() || !tls.start()) {
        std::fprintf(stderr, "cannot start etcd: %s%s\n", qPrintable(plain.errorString()),
                     qPrintable(tls.errorString()));
        return 1;
    }
    std::printf("sequential puts, single local etcd member, Qt %s\n", qVersion());
    report("plain HTTP/1.1", timePuts(plain, false, false, n));
    report("TLS HTTP/1.1 (Conclave's choice)", timePuts(tls, true, false, n));
    report("TLS HTTP/2 (QNAM default)", timePuts(tls, true, true, n));
    report("put -> watch event, HTTP/1.1", timeWatchDelivery(plain, n));
    return 0;
}
