// The QML module against a real etcd: Qt Quick Test runs tests/qml/tst_*.qml with the module
// from the build tree. In every test's context: `etcdEndpoint` (a plain etcd), `etcdTlsEndpoint`
// (one that wants TLS and a client certificate) with `etcdCaFile`, `etcdCertFile`,
// `etcdKeyFile` and `etcdOtherCaFile` (a CA that did not sign it), and `etcdPrefix`.

#include "etcdtestenv.h"

#include <QtQml/QQmlContext>
#include <QtQml/QQmlEngine>
#include <QtQuickTest/quicktest.h>

#include <memory>

class Setup : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void applicationAvailable()
    {
        m_etcd = std::make_unique<EtcdTestEnv>();
        if (!m_etcd->start())
            qFatal("cannot start etcd for the QML tests: %s", qPrintable(m_etcd->errorString()));
        EtcdTestEnv::Options tls;
        tls.tls = true;
        tls.clientCertAuth = true;
        m_tlsEtcd = std::make_unique<EtcdTestEnv>(tls);
        if (!m_tlsEtcd->start())
            qFatal("cannot start etcd with TLS for the QML tests: %s", qPrintable(m_tlsEtcd->errorString()));
    }
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QStringLiteral(CONCLAVE_QML_IMPORT_DIR));
        engine->rootContext()->setContextProperty(QStringLiteral("etcdEndpoint"), m_etcd->endpoint().toString());
        QQmlContext *context = engine->rootContext();
        context->setContextProperty(QStringLiteral("etcdTlsEndpoint"), m_tlsEtcd->endpoint().toString());
        context->setContextProperty(QStringLiteral("etcdCaFile"), m_tlsEtcd->caFile());
        context->setContextProperty(QStringLiteral("etcdCertFile"), m_tlsEtcd->clientCertFile());
        context->setContextProperty(QStringLiteral("etcdKeyFile"), m_tlsEtcd->clientKeyFile());
        context->setContextProperty(QStringLiteral("etcdOtherCaFile"), m_tlsEtcd->otherCaFile());
        engine->rootContext()->setContextProperty(QStringLiteral("etcdPrefix"),
                                                  QString::fromUtf8(EtcdTestEnv::uniquePrefix()));
    }
    void cleanupTestCase()
    {
        m_etcd.reset();
        m_tlsEtcd.reset();
    }

private:
    std::unique_ptr<EtcdTestEnv> m_etcd;
    std::unique_ptr<EtcdTestEnv> m_tlsEtcd;
};

QUICK_TEST_MAIN_WITH_SETUP(qml, Setup)

#include "tst_qml.moc"
