#include "metricsexporter.h"

#include <QtNetwork/QTcpServer>
#include <QtNetwork/QHostAddress>

namespace Monitor {

namespace {

QString label(const QString &value)
{
    QString v = value;
    v.replace(QLatin1Char('\\'), QLatin1String("\\\\")).replace(QLatin1Char('"'), QLatin1String("\\\"")).replace(QLatin1Char('\n'), QLatin1String("\\n"));
    return QLatin1Char('"') + v + QLatin1Char('"');
}

QString causeLabel(Conclave::Handover::Cause cause)
{
    return Conclave::causeName(cause).replace(QLatin1Char(' '), QLatin1Char('_')); // "lease_expired"
}

void family(QString &out, const char *name, const char *type, const char *help)
{
    out += QStringLiteral("# HELP %1 %2\n# TYPE %1 %3\n").arg(QLatin1String(name), QLatin1String(help), QLatin1String(type));
}

} // namespace

MetricsExporter::MetricsExporter(Conclave::ElectionDirectory *directory, const HealthRules &rules, QObject *parent)
    : QObject(parent)
    , m_directory(directory)
    , m_rules(rules)
{
    connect(directory, &Conclave::ElectionDirectory::handoverRecorded, this, &MetricsExporter::onHandover);
    connect(directory, &Conclave::ElectionDirectory::electionChanged, this, &MetricsExporter::trackLeaders);
    connect(directory, &Conclave::ElectionDirectory::electionAdded, this, &MetricsExporter::trackLeaders);
    trackLeaders();
    m_server.route(QStringLiteral("/metrics"), [this] {
        return QHttpServerResponse("text/plain; version=0.0.4; charset=utf-8", metrics());
    });
    m_server.route(QStringLiteral("/healthz"), [this] {
        const QString stale = staleness();
        return stale.isEmpty() ? QHttpServerResponse("text/plain", QByteArray("ok\n"))
                               : QHttpServerResponse("text/plain", (QStringLiteral("stale: ") + stale + QLatin1Char('\n')).toUtf8(),
                                                     QHttpServerResponse::StatusCode::ServiceUnavailable);
    });
}

bool MetricsExporter::listen(const QString &address, QString *problem)
{
    const qsizetype colon = address.lastIndexOf(QLatin1Char(':'));
    bool ok = false;
    const int port = colon > 0 ? address.mid(colon + 1).toInt(&ok) : -1;
    QString host = colon > 0 ? address.left(colon) : QString();
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    const QHostAddress ip = host == QLatin1String("localhost") ? QHostAddress(QHostAddress::LocalHost) : QHostAddress(host);
    if (!ok || port < 0 || port > 65535 || ip.isNull()) {
        *problem = QStringLiteral("--serve-metrics must be HOST:PORT with an IP address (or localhost) and a port 0..65535, not \"%1\"").arg(address);
        return false;
    }
    // Through a QTcpServer of our own: QHttpServer::listen() is gone from Qt 6.8 (Debian trixie),
    // bind() is in every version from 6.4 on. The server becomes the QHttpServer's child.
    auto *tcp = new QTcpServer(&m_server);
    if (!tcp->listen(ip, quint16(port))) {
        *problem = QStringLiteral("cannot listen on %1 (in use, or not an address of this machine?)").arg(address);
        delete tcp;
        return false;
    }
    m_server.bind(tcp);
    m_port = tcp->serverPort();
    return true;
}

QString MetricsExporter::staleness() const
{
    if (!m_directory->isConnected())
        return QStringLiteral("etcd is not answering");
    if (!m_directory->isSynced())
        return QStringLiteral("the elections are being listed again");
    return {};
}

void MetricsExporter::onHandover(const Conclave::Handover &h)
{
    ++m_handovers[h.election][causeLabel(h.cause)];
    trackLeaders();
}

// The leaders' leases are read (about once a second) so that their remaining TTL can be shown.
void MetricsExporter::trackLeaders()
{
    QSet<qint64> leases;
    for (const QString &name : m_directory->elections())
        if (const Conclave::LeaderInfo leader = m_directory->leader(name); leader.isValid() && leader.leaseId())
            leases.insert(leader.leaseId());
    if (leases != m_directory->trackedLeases())
        m_directory->setTrackedLeases(leases);
}

QByteArray MetricsExporter::metrics() const
{
    const QStringList elections = m_directory->elections();
    QString out;
    family(out, "conclave_election_has_leader", "gauge", "1 while the election has a leader, else 0.");
    for (const QString &name : elections)
        out += QStringLiteral("conclave_election_has_leader{election=%1} %2\n").arg(label(name)).arg(m_directory->leader(name).isValid() ? 1 : 0);
    family(out, "conclave_election_leader_ready", "gauge",
           "1 while the election's leader serves (it said it is ready, or does not use readiness), else 0.");
    for (const QString &name : elections) {
        const Conclave::LeaderInfo leader = m_directory->leader(name);
        out += QStringLiteral("conclave_election_leader_ready{election=%1} %2\n").arg(label(name)).arg(leader.isValid() && leader.isReady() ? 1 : 0);
    }
    family(out, "conclave_election_candidates", "gauge", "Candidates in the queue, the leader included.");
    for (const QString &name : elections)
        out += QStringLiteral("conclave_election_candidates{election=%1} %2\n").arg(label(name)).arg(m_directory->candidates(name).size());
    family(out, "conclave_election_leader_lease_remaining_seconds", "gauge",
           "Time left on the leader's lease as last read (counted down between reads); absent until read.");
    for (const QString &name : elections) {
        const Conclave::LeaderInfo leader = m_directory->leader(name);
        const Conclave::LeaseStatus lease = leader.isValid() ? m_directory->leaseStatus(leader.leaseId()) : Conclave::LeaseStatus();
        if (lease.state == Conclave::LeaseStatus::State::Alive)
            out += QStringLiteral("conclave_election_leader_lease_remaining_seconds{election=%1} %2\n")
                           .arg(label(name), QString::number(double(lease.remaining.count()) / 1000.0, 'f', 3));
    }
    family(out, "conclave_election_handovers_total", "counter", "Changes of leader seen since this exporter started, by cause.");
    for (const QString &name : elections) {
        const QMap<QString, qint64> causes = m_handovers.value(name);
        for (auto it = causes.cbegin(); it != causes.cend(); ++it)
            out += QStringLiteral("conclave_election_handovers_total{election=%1,cause=%2} %3\n").arg(label(name), label(it.key())).arg(it.value());
    }
    family(out, "conclave_election_flapping", "gauge",
           qPrintable(QStringLiteral("1 while the election had %1 or more handovers within %2 s.").arg(m_rules.flap.handovers).arg(m_rules.flap.seconds)));
    for (const QString &name : elections)
        out += QStringLiteral("conclave_election_flapping{election=%1} %2\n").arg(label(name)).arg(Monitor::isFlapping(*m_directory, name, m_rules.flap) ? 1 : 0);
    family(out, "conclave_election_leader_info", "gauge", "The current leader and its fencing token (value 1).");
    for (const QString &name : elections) {
        const Conclave::LeaderInfo leader = m_directory->leader(name);
        if (leader.isValid())
            out += QStringLiteral("conclave_election_leader_info{election=%1,leader=%2,fencing=\"%3\"} 1\n")
                           .arg(label(name), label(leader.id())).arg(leader.fencingToken());
    }
    return out.toUtf8();
}

} // namespace Monitor
