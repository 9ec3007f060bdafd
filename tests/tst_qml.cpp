// The QML module against a real etcd: Qt Quick Test runs tests/qml/tst_*.qml with the module
// from the build tree; the etcd the harness started is `etcdEndpoint` in every test's context.

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
    }
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QStringLiteral(CONCLAVE_QML_IMPORT_DIR));
        engine->rootContext()->setContextProperty(QStringLiteral("etcdEndpoint"), m_etcd->endpoint().toString());
        engine->rootContext()->setContextProperty(QStringLiteral("etcdPrefix"),
                                                  QString::fromUtf8(EtcdTestEnv::uniquePrefix()));
    }
    void cleanupTestCase() { m_etcd.reset(); }

private:
    std::unique_ptr<EtcdTestEnv> m_etcd;
};

QUICK_TEST_MAIN_WITH_SETUP(qml, Setup)

#include "tst_qml.moc"
