#pragma once

// conclave-monitor --serve-metrics HOST:PORT: every election the directory sees, in Prometheus'
// text format on /metrics; /healthz answers 503 while the view is stale (not synced, or etcd not
// answering). Handovers are counted from the moment the exporter starts (counters restart with
// the process, as Prometheus expects); flapping is N handovers within S seconds.

#include "electionhealth.h"

#include <conclave/clusterstatus.h>
#include <conclave/electiondirectory.h>

#include <QtCore/QDateTime>
#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QMap>
#include <QtCore/QObject>
#include <QtHttpServer/QHttpServer>

namespace Monitor {

class MetricsExporter : public QObject
{
    Q_OBJECT
public:
    //! \a cluster (optional): the etcd members are exported too.
    MetricsExporter(Conclave::ElectionDirectory *directory, const HealthRules &rules, Conclave::ClusterStatus *cluster = nullptr,
                    QObject *parent = nullptr);
    //! Listens on "HOST:PORT" (PORT 0: a free one); false with a message if it cannot.
    bool listen(const QString &address, QString *problem);
    quint16 port() const { return m_port; }
    QByteArray metrics() const;
    //! Empty while the view is live; else why it is stale.
    QString staleness() const;

private:
    void onHandover(const Conclave::Handover &handover);
    void trackLeaders();
    void addMembers(QString &out) const;

    Conclave::ElectionDirectory *m_directory;
    Conclave::ClusterStatus *m_cluster;
    HealthRules m_rules;
    QHttpServer m_server;
    quint16 m_port = 0;
    QHash<QString, QMap<QString, qint64>> m_handovers; // election → cause → count
};

} // namespace Monitor
