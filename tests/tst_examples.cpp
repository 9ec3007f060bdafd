// The examples as their users run them, against a real etcd: minimal prints its role, the
// worker hands its job over without overlap and followers follow the leader's address, the
// widgets window joins and leads.
#include "etcdtestenv.h"
#include "testwait.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtTest/QTest>

#include <csignal>

using namespace Qt::StringLiterals;

class tst_Examples : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void minimal();
    void workerHandover();
    void widgets();

private:
    // A running example and everything it printed so far.
    struct Proc
    {
        std::unique_ptr<QProcess> process = std::make_unique<QProcess>();
        QByteArray out;
        QByteArray err;
        QByteArray &poll()
        {
            out += process->readAllStandardOutput();
            err += process->readAllStandardError();
            return out;
        }
        // Every JSON line printed so far whose "event" is \a event.
        QList<QJsonObject> events(const QString &event)
        {
            poll();
            QList<QJsonObject> found;
            for (const QByteArray &line : out.split('\n')) {
                const QJsonObject o = QJsonDocument::fromJson(line).object();
                if (o.value(u"event"_s).toString() == event)
                    found << o;
            }
            return found;
        }
    };
    std::unique_ptr<Proc> start(const char *binary, const QStringList &args)
    {
        auto p = std::make_unique<Proc>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"ETCDCTL_ENDPOINTS"_s, m_etcd.endpoints().first().toString());
        env.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
        p->process->setProcessEnvironment(env);
        p->process->start(QString::fromUtf8(binary), args);
        return p;
    }
    static bool stop(Proc &p)
    {
        p.process->terminate(); // SIGTERM: the examples leave their election and exit
        const bool done = p.process->waitForFinished(TestWaitMs);
        p.poll();
        return done && p.process->exitStatus() == QProcess::NormalExit && p.process->exitCode() == 0;
    }
    EtcdTestEnv m_etcd;
};

void tst_Examples::initTestCase()
{
    QVERIFY2(m_etcd.start(), qPrintable(m_etcd.errorString()));
}

void tst_Examples::cleanup()
{
    m_etcd.dumpLogsIfFailed();
}

void tst_Examples::minimal()
{
    auto first = start(CONCLAVE_MINIMAL_BIN, {});
    QTRY_VERIFY2_WITH_TIMEOUT((first->poll(), first->err.contains("role: Conclave::Elector::Role::Leader")),
                              first->err.constData(), TestWaitMs);
    auto second = start(CONCLAVE_MINIMAL_BIN, {});
    QTRY_VERIFY2_WITH_TIMEOUT((second->poll(), second->err.contains("role: Conclave::Elector::Role::Follower")),
                              second->err.constData(), TestWaitMs);
    // The follower learned who leads: the first one's id (hostname:pid).
    const QByteArray firstId = ":" + QByteArray::number(first->process->processId());
    QTRY_VERIFY2_WITH_TIMEOUT((second->poll(), second->err.contains(firstId)), second->err.constData(), TestWaitMs);
    first->process->kill(); // no goodbye: the follower takes over when the lease expires
    QTRY_VERIFY2_WITH_TIMEOUT((second->poll(), second->err.contains("role: Conclave::Elector::Role::Leader")),
                              second->err.constData(), 30000);
    second->process->kill();
    second->process->waitForFinished(5000);
}

void tst_Examples::workerHandover()
{
    const QString election = QString::fromUtf8(EtcdTestEnv::uniquePrefix()) + u"worker"_s;
    auto w1 = start(CONCLAVE_WORKER_BIN, {u"--election"_s, election, u"--id"_s, u"w1"_s, u"--ttl"_s, u"3"_s});
    QTRY_COMPARE_WITH_TIMEOUT(w1->events(u"work-started"_s).size(), 1, TestWaitMs);
    auto w2 = start(CONCLAVE_WORKER_BIN, {u"--election"_s, election, u"--id"_s, u"w2"_s, u"--ttl"_s, u"3"_s});
    // The follower connects to the leader's advertised address and receives its work.
    QTRY_COMPARE_WITH_TIMEOUT(w2->events(u"connected"_s).size(), 1, TestWaitMs);
    QCOMPARE(w2->events(u"connected"_s).first().value(u"leader"_s).toString(), u"w1"_s);
    QTRY_VERIFY_WITH_TIMEOUT(w2->events(u"received"_s).size() >= 3, TestWaitMs);
    QVERIFY(w2->events(u"received"_s).first().value(u"line"_s).toString().startsWith(u"hello from w1"_s));
    QVERIFY(w2->events(u"work-started"_s).isEmpty());

    // Resign: w1 stops working before w2 starts (same machine, same monotonic clock).
    w1->process->write("resign\n");
    QTRY_COMPARE_WITH_TIMEOUT(w2->events(u"work-started"_s).size(), 1, TestWaitMs);
    QCOMPARE(w1->events(u"work-stopped"_s).size(), 1);
    const qint64 stoppedAt = w1->events(u"work-stopped"_s).first().value(u"mono_ns"_s).toInteger();
    const qint64 startedAt = w2->events(u"work-started"_s).first().value(u"mono_ns"_s).toInteger();
    QVERIFY2(stoppedAt < startedAt, "the new leader started before the old one stopped");
    // w1 now follows w2, reconnecting to the new address.
    QTRY_VERIFY_WITH_TIMEOUT(!w1->events(u"connected"_s).isEmpty()
                                     && w1->events(u"connected"_s).last().value(u"leader"_s).toString() == u"w2"_s, TestWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(w1->events(u"received"_s).size() >= 2, TestWaitMs);
    QVERIFY(w1->events(u"received"_s).last().value(u"line"_s).toString().contains(u"term "_s
                                                                               + QString::number(w2->events(u"work-started"_s).first().value(u"term"_s).toInteger())));

    // Shutdown: w2 stops its work, then leaves; w1 takes over at once (no TTL wait).
    const int w1StartsBefore = int(w1->events(u"work-started"_s).size());
    QVERIFY(stop(*w2));
    const QList<QJsonObject> stopped = w2->events(u"work-stopped"_s);
    QCOMPARE(stopped.size(), 1);
    QCOMPARE(stopped.last().value(u"why"_s).toString(), u"shutting down"_s);
    QTRY_COMPARE_WITH_TIMEOUT(int(w1->events(u"work-started"_s).size()), w1StartsBefore + 1, TestWaitMs);
    QVERIFY(w1->events(u"work-started"_s).last().value(u"mono_ns"_s).toInteger() > stopped.last().value(u"mono_ns"_s).toInteger());
    QVERIFY(stop(*w1));
    QVERIFY(m_etcd.etcdctl({u"get"_s, election + u'/', u"--prefix"_s, u"--keys-only"_s}).trimmed().isEmpty());
}

void tst_Examples::widgets()
{
    const QString election = QString::fromUtf8(EtcdTestEnv::uniquePrefix()) + u"widgets"_s;
    auto w = start(CONCLAVE_WIDGETS_BIN, {u"--election"_s, election, u"--id"_s, u"gui-1"_s});
    QTRY_VERIFY2_WITH_TIMEOUT((w->poll(), w->err.contains("role: Conclave::Elector::Role::Leader")), w->err.constData(), TestWaitMs);
    QVERIFY(w->err.contains("leader: \"gui-1\""));
    w->process->kill();
    w->process->waitForFinished(5000);
}

QTEST_GUILESS_MAIN(tst_Examples)
#include "tst_examples.moc"
