#include "metricsserver.h"

#include <QtNetwork/QTcpServer>
#include <QtNetwork/QHostAddress>

namespace {

// A label value in Prometheus' text format: backslash, quote and newline escaped.
QString label(const QString &value)
{
    QString v = value;
    v.replace(QLatin1Char('\\'), QLatin1String("\\\\")).replace(QLatin1Char('"'), QLatin1String("\\\"")).replace(QLatin1Char('\n'), QLatin1String("\\n"));
    return QLatin1Char('"') + v + QLatin1Char('"');
}

} // namespace

MetricsServer::MetricsServer(const Conclave::Elector *elector, QObject *parent)
    : QObject(parent)
    , m_elector(elector)
{
    m_server.route(QStringLiteral("/metrics"), [this] {
        return QHttpServerResponse("text/plain; version=0.0.4; charset=utf-8", metrics());
    });
    m_server.route(QStringLiteral("/healthz"), [] {
        return QHttpServerResponse("text/plain", QByteArray("ok\n")); // answered: the loop runs
    });
    m_server.route(QStringLiteral("/leader"), [this] {
        // 200 only for a leader that serves; one elected but not ready yet says so (503).
        const bool leading = m_elector->isLeader();
        const bool serving = leading && m_elector->isReady();
        return QHttpServerResponse("text/plain", serving ? QByteArray("leader\n")
                                                 : leading ? QByteArray("leading, not ready\n")
                                                           : QByteArray("not leader\n"),
                                   serving ? QHttpServerResponse::StatusCode::Ok
                                           : QHttpServerResponse::StatusCode::ServiceUnavailable);
    });
}

bool MetricsServer::listen(const QString &address, QString *problem)
{
    const qsizetype colon = address.lastIndexOf(QLatin1Char(':'));
    bool ok = false;
    const int port = colon > 0 ? address.mid(colon + 1).toInt(&ok) : -1;
    QString host = colon > 0 ? address.left(colon) : QString();
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    const QHostAddress ip = host == QLatin1String("localhost") ? QHostAddress(QHostAddress::LocalHost) : QHostAddress(host);
    if (!ok || port < 0 || port > 65535 || ip.isNull()) {
        *problem = QStringLiteral("--metrics-address must be HOST:PORT with an IP address (or localhost) and a port 0..65535, not \"%1\"").arg(address);
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

QByteArray MetricsServer::metrics() const
{
    const QString labels = QStringLiteral("{election=%1,candidate=%2}")
            .arg(label(m_elector->electionName()), label(m_elector->candidateId()));
    const QDateTime renewed = m_elector->lastRenewal();
    QString out;
    out += QStringLiteral("# HELP conclave_is_leader 1 while this candidate leads (its proof not expired), else 0.\n"
                          "# TYPE conclave_is_leader gauge\n");
    out += QStringLiteral("conclave_is_leader%1 %2\n").arg(labels).arg(m_elector->isLeader() ? 1 : 0);
    out += QStringLiteral("# HELP conclave_leader_transitions_total Changes of leader this candidate has seen.\n"
                          "# TYPE conclave_leader_transitions_total counter\n");
    out += QStringLiteral("conclave_leader_transitions_total%1 %2\n").arg(labels).arg(m_elector->transitions());
    out += QStringLiteral("# HELP conclave_fencing_token The fencing token while leading (create revision of its key), else 0.\n"
                          "# TYPE conclave_fencing_token gauge\n");
    out += QStringLiteral("conclave_fencing_token%1 %2\n").arg(labels).arg(m_elector->fencingToken());
    out += QStringLiteral("# HELP conclave_lease_last_renewal_timestamp_seconds When the last acknowledged lease renewal was sent (0: none yet).\n"
                          "# TYPE conclave_lease_last_renewal_timestamp_seconds gauge\n");
    out += QStringLiteral("conclave_lease_last_renewal_timestamp_seconds%1 %2\n")
                   .arg(labels, renewed.isValid() ? QString::number(double(renewed.toMSecsSinceEpoch()) / 1000.0, 'f', 3)
                                                  : QStringLiteral("0"));
    out += QStringLiteral("# HELP conclave_lease_ttl_seconds The TTL this candidate's lease is granted with.\n"
                          "# TYPE conclave_lease_ttl_seconds gauge\n");
    out += QStringLiteral("conclave_lease_ttl_seconds%1 %2\n").arg(labels).arg(qint64(m_elector->ttl().count()));
    out += QStringLiteral("# HELP conclave_is_ready 1 while this candidate leads and serves (ready in this term), else 0.\n"
                          "# TYPE conclave_is_ready gauge\n");
    out += QStringLiteral("conclave_is_ready%1 %2\n").arg(labels).arg(m_elector->isLeader() && m_elector->isReady() ? 1 : 0);
    out += QStringLiteral("# HELP conclave_event_loop_lag_seconds How late a timer in the candidate's event loop fired, the largest of the last 5 s.\n"
                          "# TYPE conclave_event_loop_lag_seconds gauge\n");
    out += QStringLiteral("conclave_event_loop_lag_seconds%1 %2\n")
                   .arg(labels, QString::number(double(m_elector->eventLoopLag().count()) / 1000.0, 'f', 3));
    const QDateTime contact = m_elector->lastContact();
    out += QStringLiteral("# HELP conclave_last_contact_timestamp_seconds When etcd last answered this candidate (0: never), to within a second.\n"
                          "# TYPE conclave_last_contact_timestamp_seconds gauge\n");
    out += QStringLiteral("conclave_last_contact_timestamp_seconds%1 %2\n")
                   .arg(labels, contact.isValid() ? QString::number(double(contact.toMSecsSinceEpoch()) / 1000.0, 'f', 3)
                                                  : QStringLiteral("0"));
    return out.toUtf8();
}
