#pragma once

// A throwaway etcd for tests: one member or a 3-member cluster on free loopback ports with
// temporary data dirs; stop/kill/pause/resume/restart of a member; TLS (certificates made
// with the openssl command at test time, optional client-certificate auth); etcd auth with a
// user confined to one prefix. Everything it started is stopped in its destructor.

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QProcess>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QTemporaryDir>
#include <QtCore/QUrl>
#include <QtNetwork/QSslConfiguration>

#include <memory>
#include <vector>

class EtcdTestEnv
{
public:
    struct Options
    {
        int members = 1;
        bool tls = false;
        bool clientCertAuth = false;
        int authTokenTtl = 0; // seconds; 0 = etcd's default
        QStringList extraArgs;
    };

    EtcdTestEnv();
    explicit EtcdTestEnv(const Options &options);
    ~EtcdTestEnv();

    //! Starts the members and waits until they answer; false with errorString() otherwise.
    bool start();
    QString errorString() const { return m_error; }

    int size() const { return int(m_members.size()); }
    QList<QUrl> endpoints() const;
    QUrl endpoint(int member = 0) const;
    //! The member's --name (it changes with every restart of the whole cluster).
    QString memberName(int member) const { return m_members.at(size_t(member)).name; }

    //! SIGTERM and wait; SIGKILL after StopGraceMs (etcd 3.5.30 holds open watches ~7 s).
    bool stop(int member);
    static constexpr int StopGraceMs = 1500;
    bool kill(int member);    //!< SIGKILL and wait
    bool pause(int member);   //!< SIGSTOP
    bool resume(int member);  //!< SIGCONT
    bool restart(int member); //!< start again on the same data dir and ports
    //! Starts every member that is not running again, then waits for them all (a member of a
    //! cluster is healthy only once a quorum is back, so one at a time would not do).
    bool restartAll();
    bool isRunning(int member) const;
    qint64 pid(int member) const;

    // TLS material (valid after start() with tls).
    QString caFile() const { return m_dir.filePath(QStringLiteral("ca.crt")); }
    QString clientCertFile() const { return m_dir.filePath(QStringLiteral("client.crt")); }
    QString clientKeyFile() const { return m_dir.filePath(QStringLiteral("client.key")); }
    QString otherCaFile() const { return m_dir.filePath(QStringLiteral("other-ca.crt")); }
    //! CA + client certificate, ready for Client::setSslConfiguration().
    QSslConfiguration clientSsl(bool withClientCert = true, bool withRightCa = true) const;

    /*!
     * Enables etcd auth: user root (password "rootpw") and \a user with \a password whose
     * role may read and write keys under \a prefix only (read only with \a readOnly).
     */
    bool enableAuth(const QString &user, const QString &password, const QByteArray &prefix,
                    bool readOnly = false);
    //! Adds one more user with readwrite on \a prefix (auth must be enabled).
    bool addUser(const QString &user, const QString &password, const QByteArray &prefix,
                 bool readOnly = false);

    //! Runs etcdctl (v3) against this cluster; returns stdout, or a null string on failure.
    QString etcdctl(const QStringList &args, const QString &asUser = {}) const;
    QString etcdctlPath() const;
    //! Runs a long-lived etcdctl command (e.g. `elect -l`) until its output contains
    //! \a expected or \a timeoutMs pass, stops it and returns what it printed.
    QString etcdctlUntil(const QStringList &args, const QString &expected, int timeoutMs) const;

    //! Starts a long-lived etcdctl (e.g. `elect NAME PROPOSAL`) that runs until deleted.
    std::unique_ptr<QProcess> startEtcdctl(const QStringList &args) const;

    //! Whether a member's log mentions \a text (e.g. an event etcd logs).
    bool logContains(int member, const QByteArray &text) const;
    //! The last lines of a member's log.
    QString logTail(int member, int lines = 40) const;
    //! Prints every member's log tail if the running test function has failed.
    void dumpLogsIfFailed() const;

    //! A fresh key prefix "/conclave-test/<uuid>/" for one test function.
    static QByteArray uniquePrefix();
    //! The etcd binary: $ETCD_BIN or /usr/bin/etcd.
    static QString etcdBinary();

private:
    struct Member
    {
        QString name;
        quint16 clientPort = 0;
        quint16 peerPort = 0;
        QString dataDir;
        QString logFile;
        std::unique_ptr<QProcess> process;
    };
    bool makeCertificates();
    QStringList etcdctlArgs(const QStringList &args, const QString &asUser) const;
    bool startOnce();
    bool launch(int member);
    bool waitReady(int member, int timeoutMs);
    QStringList memberArgs(int member) const;
    QString scheme() const { return m_options.tls ? QStringLiteral("https") : QStringLiteral("http"); }

    Options m_options;
    QTemporaryDir m_dir;
    QString m_token;
    std::vector<Member> m_members;
    QString m_error;
    bool m_authEnabled = false;
};
