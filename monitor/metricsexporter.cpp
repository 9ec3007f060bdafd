#include "metricsexporter.h"

#include "etcdmembers.h"

#include <QtNetwork/QTcpServer>
#include <QtNetwork/QHostAddress>

#include <optional>

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

void family(QString &out, const char *name, const char *type, const QString &help)
{
    out += QStringLiteral("# HELP %1 %2\n# TYPE %1 %3\n").arg(QLatin1String(name), help, QLatin1String(type));
}

//! Whole numbers as such (a fencing token is exact up to 2^53), else three decimals.
QString number(double value)
{
    return value == double(qint64(value)) ? QString::number(qint64(value)) : QString::number(value, 'f', 3);
}

//! A gauge family with one series per item, labelled `key="…"`; an item whose value is not
//! known (nullopt) is left out, never reported as 0.
template <typename Items, typename LabelOf, typename Value>
void gauges(QString &out, const char *name, const QString &help, const char *key, const Items &items, LabelOf labelOf, Value value)
{
    family(out, name, "gauge", help);
    for (const auto &item : items)
        if (const std::optional<double> v = value(item))
            out += QStringLiteral("%1{%2=%3} %4\n").arg(QLatin1String(name), QLatin1String(key), label(labelOf(item)), number(*v));
}

} // namespace

MetricsExporter::MetricsExporter(Conclave::ElectionDirectory *directory, const HealthRules &rules, Conclave::ClusterStatus *cluster,
                                 QObject *parent)
    : QObject(parent)
    , m_directory(directory)
    , m_cluster(cluster)
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

// Prometheus naming: one family per fact, the election in a label, values that change per term
// (the fencing token) as values, never as labels (a label that changes makes a new series).
QByteArray MetricsExporter::metrics() const
{
    const QStringList elections = m_directory->elections();
    QString out;
    auto perElection = [&](const char *name, const QString &help, auto value) {
        gauges(out, name, help, "election", elections, [](const QString &e) { return e; }, value);
    };
    auto leaderOf = [this](const QString &election) { return m_directory->leader(election); };
    auto leaseOf = [this, leaderOf](const QString &election) {
        const Conclave::LeaderInfo leader = leaderOf(election);
        return leader.isValid() ? m_directory->leaseStatus(leader.leaseId()) : Conclave::LeaseStatus();
    };
    perElection("conclave_election_has_leader", QStringLiteral("1 while the election has a leader, else 0."),
                [&](const QString &e) -> std::optional<double> { return leaderOf(e).isValid() ? 1 : 0; });
    perElection("conclave_election_leader_ready",
                QStringLiteral("1 while the election's leader serves (it said it is ready, or does not use readiness), else 0."),
                [&](const QString &e) -> std::optional<double> { return leaderOf(e).isValid() && leaderOf(e).isReady() ? 1 : 0; });
    perElection("conclave_election_candidates", QStringLiteral("Candidates in the queue, the leader included."),
                [&](const QString &e) -> std::optional<double> { return double(m_directory->candidates(e).size()); });
    perElection("conclave_election_leader_fencing_token",
                QStringLiteral("The leader's fencing token (create revision of its key); absent without a leader."),
                [&](const QString &e) -> std::optional<double> {
                    const Conclave::LeaderInfo leader = leaderOf(e);
                    return leader.isValid() ? std::optional<double>(double(leader.fencingToken())) : std::nullopt;
                });
    perElection("conclave_election_leader_lease_remaining_seconds",
                QStringLiteral("Time left on the leader's lease as last read (counted down between reads); absent until read."),
                [&](const QString &e) -> std::optional<double> {
                    const Conclave::LeaseStatus lease = leaseOf(e);
                    return lease.state == Conclave::LeaseStatus::State::Alive ? std::optional<double>(double(lease.remaining.count()) / 1000.0) : std::nullopt;
                });
    perElection("conclave_election_leader_lease_ttl_seconds",
                QStringLiteral("The TTL the leader's lease was granted with; absent until read."),
                [&](const QString &e) -> std::optional<double> {
                    const Conclave::LeaseStatus lease = leaseOf(e);
                    return lease.state == Conclave::LeaseStatus::State::Alive ? std::optional<double>(double(lease.grantedTtl.count())) : std::nullopt;
                });
    perElection("conclave_election_flapping",
                QStringLiteral("1 while the election had %1 or more handovers within %2 s.").arg(m_rules.flap.handovers).arg(m_rules.flap.seconds),
                [&](const QString &e) -> std::optional<double> { return Monitor::isFlapping(*m_directory, e, m_rules.flap) ? 1 : 0; });
    family(out, "conclave_election_handovers_total", "counter", QStringLiteral("Changes of leader seen since this exporter started, by cause."));
    for (const QString &name : elections) {
        const QMap<QString, qint64> causes = m_handovers.value(name);
        for (auto it = causes.cbegin(); it != causes.cend(); ++it)
            out += QStringLiteral("conclave_election_handovers_total{election=%1,cause=%2} %3\n").arg(label(name), label(it.key())).arg(it.value());
    }
    family(out, "conclave_election_leader_info", "gauge", QStringLiteral("The current leader's id (value 1); absent without a leader."));
    for (const QString &name : elections)
        if (const Conclave::LeaderInfo leader = leaderOf(name); leader.isValid())
            out += QStringLiteral("conclave_election_leader_info{election=%1,leader=%2} 1\n").arg(label(name), label(leader.id()));
    family(out, "conclave_monitor_stale", "gauge",
           QStringLiteral("1 while this exporter's view is stale (etcd not answering, or the elections being listed again), else 0."));
    out += QStringLiteral("conclave_monitor_stale %1\n").arg(staleness().isEmpty() ? 0 : 1);
    if (m_cluster)
        addMembers(out);
    return out.toUtf8();
}

// The etcd members, labelled by name (or endpoint before they are listed). A number that may
// not be read (a read-only user on some etcd versions) is absent, not 0.
void MetricsExporter::addMembers(QString &out) const
{
    const QList<Conclave::MemberStatus> members = m_cluster->members();
    const Conclave::ClusterStatus::LeaderState state = m_cluster->leaderState();
    auto perMember = [&](const char *name, const QString &help, auto value) {
        gauges(out, name, help, "member", members, memberLabel, value);
    };
    family(out, "conclave_etcd_member_info", "gauge", QStringLiteral("An etcd member, its client endpoint and version (value 1)."));
    for (const Conclave::MemberStatus &m : members)
        out += QStringLiteral("conclave_etcd_member_info{member=%1,endpoint=%2,version=%3} 1\n")
                       .arg(label(memberLabel(m)), label(m.endpoint.toString()), label(m.version));
    perMember("conclave_etcd_member_up", QStringLiteral("1 while the member answers at its client endpoint, else 0."),
              [](const Conclave::MemberStatus &m) -> std::optional<double> { return m.reachable ? 1 : 0; });
    perMember("conclave_etcd_member_is_leader", QStringLiteral("1 for the raft leader, else 0; absent while unknown."),
              [&](const Conclave::MemberStatus &m) -> std::optional<double> {
                  return state == Conclave::ClusterStatus::LeaderState::Unknown ? std::nullopt : std::optional<double>(m.isLeader ? 1 : 0);
              });
    perMember("conclave_etcd_member_db_size_bytes", QStringLiteral("Size of the member's backend database file; absent while unknown."),
              [](const Conclave::MemberStatus &m) { return m.dbSize >= 0 ? std::optional<double>(double(m.dbSize)) : std::nullopt; });
    perMember("conclave_etcd_member_raft_term", QStringLiteral("The member's raft term; absent while unknown."),
              [](const Conclave::MemberStatus &m) { return m.raftTerm >= 0 ? std::optional<double>(double(m.raftTerm)) : std::nullopt; });
    family(out, "conclave_etcd_has_leader", "gauge",
           QStringLiteral("1 while the etcd cluster has a raft leader, 0 while it has none; absent while unknown."));
    if (state != Conclave::ClusterStatus::LeaderState::Unknown)
        out += QStringLiteral("conclave_etcd_has_leader %1\n").arg(state == Conclave::ClusterStatus::LeaderState::HasLeader ? 1 : 0);
}

} // namespace Monitor
