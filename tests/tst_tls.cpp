#include <conclave/client.h>

#include "client_p.h"
#include "etcdtestenv.h"
#include "gatewayreply.h"
#include "testutil.h"
#include "watchhub.h"

#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace Conclave;

// etcd with TLS and client-certificate auth, certificates made by the harness with openssl.
class tst_Tls : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void worksWithTestCa();
    void wrongCaIsTlsError();
    void missingClientCertIsTlsError();

private:
    std::unique_ptr<EtcdTestEnv> m_etcd;
};

void tst_Tls::initTestCase()
{
    EtcdTestEnv::Options o;
    o.tls = true;
    o.clientCertAuth = true;
    m_etcd = std::make_unique<EtcdTestEnv>(o);
    QVERIFY2(m_etcd->start(), qPrintable(m_etcd->errorString()));
}

void tst_Tls::cleanup()
{
    m_etcd->dumpLogsIfFailed();
}

void tst_Tls::worksWithTestCa()
{
    Client client;
    client.setEndpoints(m_etcd->endpoints());
    client.setSslConfiguration(m_etcd->clientSsl());
    ClientPrivate *d = ClientPrivate::get(&client);
    const QByteArray prefix = EtcdTestEnv::uniquePrefix();
    std::unique_ptr<Watch> w(d->watchHub()->watch(prefix, Codec::prefixEnd(prefix), 0, false, nullptr));
    QSignalSpy events(w.get(), &Watch::eventsReceived);
    QSignalSpy created(w.get(), &Watch::created);
    QVERIFY(created.wait(TestWaitMs));
    auto *p = d->put(prefix + "k", "over tls");
    CONCLAVE_AWAIT_OK(p);
    QTRY_COMPARE_WITH_TIMEOUT(events.count(), 1, TestWaitMs);
    auto *r = d->range(RangeOptions::ofKey(prefix + "k"));
    CONCLAVE_AWAIT_OK(r);
    QCOMPARE(Codec::parseRange(r->json()).kvs.value(0).value, QByteArray("over tls"));
}

void tst_Tls::wrongCaIsTlsError()
{
    Client client;
    client.setEndpoints(m_etcd->endpoints());
    client.setSslConfiguration(m_etcd->clientSsl(true, false));
    auto *r = ClientPrivate::get(&client)->range(RangeOptions::ofKey("k"));
    CONCLAVE_AWAIT(r, TestWaitMs);
    QCOMPARE(r->error(), Error::TlsError);
    QVERIFY2(r->errorString().contains(QLatin1String("TLS")), qPrintable(r->errorString()));
    QVERIFY2(r->errorString().contains(m_etcd->endpoint().toDisplayString()), qPrintable(r->errorString()));
}

void tst_Tls::missingClientCertIsTlsError()
{
    Client client;
    client.setEndpoints(m_etcd->endpoints());
    client.setSslConfiguration(m_etcd->clientSsl(false, true));
    auto *r = ClientPrivate::get(&client)->range(RangeOptions::ofKey("k"));
    CONCLAVE_AWAIT(r, TestWaitMs);
    QCOMPARE(r->error(), Error::TlsError);
    QVERIFY2(r->errorString().contains(QLatin1String("certificate")), qPrintable(r->errorString()));
}

QTEST_GUILESS_MAIN(tst_Tls)
#include "tst_tls.moc"
