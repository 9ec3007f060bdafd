#include "etcdtestenv.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QUuid>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QSslKey>
#include <QtNetwork/QTcpServer>
#include <QtTest/QTest>

#include <csignal>
#include <sys/types.h>

using namespace Qt::StringLiterals;

EtcdTestEnv::EtcdTestEnv()
    : EtcdTestEnv(Options{})
{
}

EtcdTestEnv::EtcdTestEnv(const Options &options)
    : m_options(options)
    , m_dir(QDir::tempPath() + u"/conclave-etcd-XXXXXX"_s)
    , m_token(QUuid::createUuid().toString(QUuid::Id128).left(12))
{
}

EtcdTestEnv::~EtcdTestEnv()
{
    for (int i = 0; i < size(); ++i) {
        QProcess *p = m_members[i].process.get();
        if (p && p->state() != QProcess::NotRunning) {
            ::kill(pid_t(p->processId()), SIGCONT);
            p->kill();
            p->waitForFinished(5000);
        }
    }
}

QString EtcdTestEnv::etcdBinary()
{
    const QString env = qEnvironmentVariable("ETCD_BIN");
    return env.isEmpty() ? u"/usr/bin/etcd"_s : env;
}

QString EtcdTestEnv::etcdctlPath() const
{
    const QString env = qEnvironmentVariable("ETCDCTL_BIN");
    return env.isEmpty() ? u"/usr/bin/etcdctl"_s : env;
}

QByteArray EtcdTestEnv::uniquePrefix()
{
    return "/conclave-test/" + QUuid::createUuid().toByteArray(QUuid::Id128) + '/';
}

static quint16 freePort(std::vector<std::unique_ptr<QTcpServer>> &holders)
{
    auto server = std::make_unique<QTcpServer>();
    if (!server->listen(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = server->serverPort();
    holders.push_back(std::move(server)); // held until all ports are chosen: no duplicates
    return port;
}

bool EtcdTestEnv::start()
{
    if (!QFileInfo(etcdBinary()).isExecutable()) {
        m_error = u"etcd binary not found at %1. Install it with `apt-get install etcd-server` "
                  u"(Debian) or point ETCD_BIN at an etcd 3.4+ binary; scripts/test installs it."_s
                          .arg(etcdBinary());
        return false;
    }
    if (!m_dir.isValid()) {
        m_error = u"cannot create a temporary directory: "_s + m_dir.errorString();
        return false;
    }
    if (m_options.tls && !makeCertificates())
        return false;
    // A port picked as free can be taken by a parallel test before etcd binds it: try again.
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (startOnce())
            return true;
        for (int i = 0; i < size(); ++i) {
            if (m_members[i].process) {
                m_members[i].process->kill();
                m_members[i].process->waitForFinished(5000);
            }
        }
    }
    return false;
}

bool EtcdTestEnv::startOnce()
{
    m_members.clear();
    std::vector<std::unique_ptr<QTcpServer>> holders;
    const int n = qMax(1, m_options.members);
    const QString run = QUuid::createUuid().toString(QUuid::Id128).left(8);
    for (int i = 0; i < n; ++i) {
        Member m;
        m.name = u"m%1-%2"_s.arg(i + 1).arg(run);
        m.clientPort = freePort(holders);
        m.peerPort = freePort(holders);
        m.dataDir = m_dir.filePath(m.name + u".data"_s);
        m.logFile = m_dir.filePath(m.name + u".log"_s);
        m_members.push_back(std::move(m));
    }
    holders.clear();
    for (int i = 0; i < n; ++i)
        if (!launch(i))
            return false;
    for (int i = 0; i < n; ++i)
        if (!waitReady(i, 20000))
            return false;
    // A stranger could answer /health on a port we thought free: make sure ours still runs
    // and that the cluster lists our member names.
    const QString list = etcdctl({u"member"_s, u"list"_s});
    for (int i = 0; i < n; ++i) {
        if (!isRunning(i) || !list.contains(m_members[i].name)) {
            m_error = u"member %1 did not come up as ours; log:\n%2"_s.arg(i).arg(logTail(i));
            return false;
        }
    }
    return true;
}

QStringList EtcdTestEnv::memberArgs(int i) const
{
    const Member &m = m_members[i];
    QStringList cluster;
    for (const Member &o : m_members)
        cluster << u"%1=http://127.0.0.1:%2"_s.arg(o.name).arg(o.peerPort);
    const QString client = u"%1://127.0.0.1:%2"_s.arg(scheme()).arg(m.clientPort);
    QStringList args{u"--name"_s, m.name, u"--data-dir"_s, m.dataDir,
                     u"--listen-client-urls"_s, client, u"--advertise-client-urls"_s, client,
                     u"--listen-peer-urls"_s, u"http://127.0.0.1:%1"_s.arg(m.peerPort),
                     u"--initial-advertise-peer-urls"_s, u"http://127.0.0.1:%1"_s.arg(m.peerPort),
                     u"--initial-cluster"_s, cluster.join(u','),
                     u"--initial-cluster-token"_s, m_token,
                     u"--initial-cluster-state"_s, u"new"_s,
                     u"--logger"_s, u"zap"_s, u"--log-outputs"_s, m.logFile};
    if (m_options.tls) {
        args << u"--cert-file"_s << m_dir.filePath(u"server.crt"_s) << u"--key-file"_s
             << m_dir.filePath(u"server.key"_s) << u"--trusted-ca-file"_s << caFile();
        if (m_options.clientCertAuth)
            args << u"--client-cert-auth"_s;
    }
    if (m_options.authTokenTtl > 0)
        args << u"--auth-token-ttl"_s << QString::number(m_options.authTokenTtl);
    return args + m_options.extraArgs;
}

bool EtcdTestEnv::launch(int i)
{
    Member &m = m_members[i];
    m.process = std::make_unique<QProcess>();
    // etcd reads ETCD_* variables as flags and warns about ours (ETCD_BIN): not for it.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(u"ETCD_BIN"_s);
    m.process->setProcessEnvironment(env);
    m.process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m.process->setStandardOutputFile(m.logFile + u".stdout"_s);
    m.process->start(etcdBinary(), memberArgs(i));
    if (!m.process->waitForStarted(5000)) {
        m_error = u"cannot start %1: %2"_s.arg(etcdBinary(), m.process->errorString());
        return false;
    }
    return true;
}

bool EtcdTestEnv::waitReady(int i, int timeoutMs)
{
    QNetworkAccessManager nam;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        if (!isRunning(i)) {
            m_error = u"etcd member %1 exited during start-up; log:\n%2"_s.arg(i).arg(logTail(i));
            return false;
        }
        QNetworkRequest request(QUrl(endpoint(i).toString() + u"/health"_s));
        if (m_options.tls)
            request.setSslConfiguration(clientSsl());
        std::unique_ptr<QNetworkReply> reply(nam.get(request));
        const bool answered = QTest::qWaitFor([&] { return reply->isFinished(); }, 2000);
        if (answered && reply->readAll().contains("\"health\":\"true\""))
            return true;
        reply->abort();
        QTest::qWait(30); // poll interval of the readiness loop (harness only)
    }
    m_error = u"etcd member %1 not ready within %2 ms; log:\n%3"_s.arg(i).arg(timeoutMs).arg(logTail(i));
    return false;
}

QList<QUrl> EtcdTestEnv::endpoints() const
{
    QList<QUrl> urls;
    for (int i = 0; i < size(); ++i)
        urls << endpoint(i);
    return urls;
}

QUrl EtcdTestEnv::endpoint(int i) const
{
    return QUrl(u"%1://127.0.0.1:%2"_s.arg(scheme()).arg(m_members.at(i).clientPort));
}

bool EtcdTestEnv::isRunning(int i) const
{
    const QProcess *p = m_members.at(i).process.get();
    return p && p->state() == QProcess::Running;
}

qint64 EtcdTestEnv::pid(int i) const
{
    return isRunning(i) ? m_members.at(i).process->processId() : 0;
}

bool EtcdTestEnv::stop(int i)
{
    QProcess *p = m_members.at(i).process.get();
    if (!isRunning(i))
        return false;
    ::kill(pid_t(p->processId()), SIGCONT);
    p->terminate();
    // 3.4.23 and 3.5.16 exit within ~10 ms of SIGTERM. 3.5.30 (likely 3.5.18+) closes its
    // listeners at once but serves open watch streams for its request timeout (~7 s) before it
    // exits: by then clients have seen new connections refused, which is all a stop shows them.
    if (!p->waitForFinished(StopGraceMs)) {
        p->kill();
        p->waitForFinished(5000);
    }
    return true;
}

bool EtcdTestEnv::kill(int i)
{
    QProcess *p = m_members.at(i).process.get();
    if (!isRunning(i))
        return false;
    p->kill();
    return p->waitForFinished(5000);
}

bool EtcdTestEnv::pause(int i)
{
    return isRunning(i) && ::kill(pid_t(pid(i)), SIGSTOP) == 0;
}

bool EtcdTestEnv::resume(int i)
{
    return isRunning(i) && ::kill(pid_t(pid(i)), SIGCONT) == 0;
}

bool EtcdTestEnv::restart(int i)
{
    if (isRunning(i))
        stop(i);
    return launch(i) && waitReady(i, 20000);
}

bool EtcdTestEnv::restartAll()
{
    QList<int> started;
    for (int i = 0; i < size(); ++i) {
        if (isRunning(i))
            continue;
        if (!launch(i))
            return false;
        started << i;
    }
    for (int i : std::as_const(started))
        if (!waitReady(i, 20000))
            return false;
    return true;
}

static bool runOpenssl(const QString &dir, const QStringList &args, QString *error)
{
    QProcess p;
    p.setWorkingDirectory(dir);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(u"openssl"_s, args);
    if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        *error = u"openssl %1 failed (is the openssl command installed?): %2"_s
                         .arg(args.join(u' '), QString::fromLocal8Bit(p.readAll()) + p.errorString());
        return false;
    }
    return true;
}

bool EtcdTestEnv::makeCertificates()
{
    const QString d = m_dir.path();
    QFile ext(m_dir.filePath(u"server.ext"_s));
    ext.open(QIODevice::WriteOnly);
    ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
    ext.close();
    QFile cext(m_dir.filePath(u"client.ext"_s));
    cext.open(QIODevice::WriteOnly);
    cext.write("extendedKeyUsage=clientAuth\n");
    cext.close();
    const QStringList ec{u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s, u"ec_paramgen_curve:prime256v1"_s,
                         u"-nodes"_s};
    auto ca = [&](const QString &name) {
        return runOpenssl(d, QStringList{u"req"_s, u"-x509"_s} + ec
                                     + QStringList{u"-keyout"_s, name + u".key"_s, u"-out"_s,
                                                   name + u".crt"_s, u"-days"_s, u"2"_s, u"-subj"_s,
                                                   u"/CN="_s + name},
                          &m_error);
    };
    auto leaf = [&](const QString &name, const QString &extFile) {
        return runOpenssl(d, QStringList{u"req"_s} + ec
                                     + QStringList{u"-keyout"_s, name + u".key"_s, u"-out"_s,
                                                   name + u".csr"_s, u"-subj"_s, u"/CN="_s + name},
                          &m_error)
                && runOpenssl(d, {u"x509"_s, u"-req"_s, u"-in"_s, name + u".csr"_s, u"-CA"_s,
                                  u"ca.crt"_s, u"-CAkey"_s, u"ca.key"_s, u"-CAcreateserial"_s,
                                  u"-out"_s, name + u".crt"_s, u"-days"_s, u"2"_s, u"-extfile"_s,
                                  extFile},
                              &m_error);
    };
    return ca(u"ca"_s) && ca(u"other-ca"_s) && leaf(u"server"_s, u"server.ext"_s)
            && leaf(u"client"_s, u"client.ext"_s);
}

QSslConfiguration EtcdTestEnv::clientSsl(bool withClientCert, bool withRightCa) const
{
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setCaCertificates(QSslCertificate::fromPath(withRightCa ? caFile() : otherCaFile()));
    if (withClientCert) {
        ssl.setLocalCertificate(QSslCertificate::fromPath(clientCertFile()).value(0));
        QFile key(clientKeyFile());
        key.open(QIODevice::ReadOnly);
        ssl.setPrivateKey(QSslKey(key.readAll(), QSsl::Ec));
    }
    return ssl;
}

QStringList EtcdTestEnv::etcdctlArgs(const QStringList &args, const QString &asUser) const
{
    int member = 0; // the first member that runs: a test may have stopped member 0
    while (member + 1 < size() && !isRunning(member))
        ++member;
    QStringList all{u"--endpoints"_s, endpoint(member).toString(), u"--dial-timeout"_s, u"5s"_s};
    if (m_options.tls)
        all << u"--cacert"_s << caFile() << u"--cert"_s << clientCertFile() << u"--key"_s
            << clientKeyFile();
    if (!asUser.isEmpty())
        all << u"--user"_s << asUser;
    else if (m_authEnabled)
        all << u"--user"_s << u"root:rootpw"_s;
    return all + args;
}

static void setApi3(QProcess &p)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"ETCDCTL_API"_s, u"3"_s);
    p.setProcessEnvironment(env);
}

QString EtcdTestEnv::etcdctl(const QStringList &args, const QString &asUser) const
{
    QProcess p;
    setApi3(p);
    p.start(etcdctlPath(), etcdctlArgs(args, asUser));
    if (!p.waitForFinished(30000) || p.exitCode() != 0) {
        qWarning("etcdctl %s failed: %s %s", qPrintable(args.join(u' ')),
                 p.readAllStandardError().constData(), qPrintable(p.errorString()));
        p.kill();
        p.waitForFinished(5000);
        return {};
    }
    return QString::fromUtf8(p.readAllStandardOutput());
}

QString EtcdTestEnv::etcdctlUntil(const QStringList &args, const QString &expected, int timeoutMs) const
{
    QProcess p;
    setApi3(p);
    p.start(etcdctlPath(), etcdctlArgs(args, {}));
    QByteArray out;
    QElapsedTimer t;
    t.start();
    while (!out.contains(expected.toUtf8()) && t.elapsed() < timeoutMs
           && p.state() != QProcess::NotRunning) {
        p.waitForReadyRead(int(qMax<qint64>(1, timeoutMs - t.elapsed())));
        out += p.readAllStandardOutput();
    }
    p.kill();
    p.waitForFinished(5000);
    return QString::fromUtf8(out + p.readAllStandardOutput());
}

std::unique_ptr<QProcess> EtcdTestEnv::startEtcdctl(const QStringList &args) const
{
    auto p = std::make_unique<QProcess>();
    setApi3(*p);
    p->start(etcdctlPath(), etcdctlArgs(args, {}));
    return p;
}

bool EtcdTestEnv::addUser(const QString &user, const QString &password, const QByteArray &prefix,
                          bool readOnly)
{
    const QString role = user + u"-role"_s;
    const QString perm = readOnly ? u"read"_s : u"readwrite"_s;
    return !etcdctl({u"user"_s, u"add"_s, user + u':' + password}).isNull()
            && !etcdctl({u"role"_s, u"add"_s, role}).isNull()
            && !etcdctl({u"role"_s, u"grant-permission"_s, role, perm, QString::fromUtf8(prefix),
                         u"--prefix=true"_s}).isNull()
            && !etcdctl({u"user"_s, u"grant-role"_s, user, role}).isNull();
}

bool EtcdTestEnv::enableAuth(const QString &user, const QString &password,
                             const QByteArray &prefix, bool readOnly)
{
    const bool ok = !etcdctl({u"user"_s, u"add"_s, u"root:rootpw"_s}).isNull()
            && !etcdctl({u"role"_s, u"add"_s, u"root"_s}).isNull()
            && !etcdctl({u"user"_s, u"grant-role"_s, u"root"_s, u"root"_s}).isNull()
            && addUser(user, password, prefix, readOnly)
            && !etcdctl({u"auth"_s, u"enable"_s}).isNull();
    m_authEnabled = ok;
    return ok;
}

bool EtcdTestEnv::logContains(int i, const QByteArray &text) const
{
    QFile f(m_members.at(i).logFile);
    return f.open(QIODevice::ReadOnly) && f.readAll().contains(text);
}

QString EtcdTestEnv::logTail(int i, int lines) const
{
    QFile f(m_members.at(i).logFile);
    if (!f.open(QIODevice::ReadOnly))
        return u"(no log)"_s;
    const QList<QByteArray> all = f.readAll().split('\n');
    return QString::fromUtf8(all.mid(qMax(0, int(all.size()) - lines)).join('\n'));
}

void EtcdTestEnv::dumpLogsIfFailed() const
{
    if (!QTest::currentTestFailed())
        return;
    for (int i = 0; i < size(); ++i)
        qWarning("---- etcd member %d log tail ----\n%s", i, qPrintable(logTail(i)));
}
