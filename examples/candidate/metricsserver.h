#pragma once

// conclave-candidate --metrics-address HOST:PORT: /metrics in Prometheus' text format,
// /healthz (200 while the event loop runs) and /leader (200 while leading, 503 otherwise, for
// load balancers and readiness probes). Qt HttpServer lives here, never in the library.

#include <conclave/elector.h>

#include <QtCore/QObject>
#include <QtHttpServer/QHttpServer>

#include <memory>

class MetricsServer : public QObject
{
    Q_OBJECT
public:
    explicit MetricsServer(const Conclave::Elector *elector, QObject *parent = nullptr);
    //! Listens on "HOST:PORT" (PORT 0: any free one); false with a message if it cannot.
    bool listen(const QString &address, QString *problem);
    quint16 port() const { return m_port; }
    //! The /metrics document.
    QByteArray metrics() const;

private:
    const Conclave::Elector *m_elector;
    QHttpServer m_server;
    quint16 m_port = 0;
};
