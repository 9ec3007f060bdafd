#pragma once

// A tiny in-process HTTP server that plays a scripted answer to every request, to test how
// the client copes with replies a real etcd would not send: truncated or non-JSON bodies,
// HTML error pages, watch lines split across chunks, huge lines, connections closed mid-way.

#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QUrl>
#include <QtNetwork/QTcpServer>

class FakeGateway : public QObject
{
    Q_OBJECT
public:
    struct Step
    {
        int delayMs = 0;     // wait this long after the previous step
        QByteArray data;     // bytes to write
        bool close = false;  // then close the connection
    };

    explicit FakeGateway(QObject *parent = nullptr);
    bool listen();
    QUrl url() const;
    void setScript(const QList<Step> &steps) { m_script = steps; }
    int requestCount() const { return m_requests; }
    QByteArray lastRequestBody() const { return m_lastBody; }

    static QByteArray response(int status, const QByteArray &contentType, const QByteArray &body);
    static QByteArray chunkedHeader();
    static QByteArray chunk(const QByteArray &data);

private:
    void onConnection();
    QTcpServer m_server;
    QList<Step> m_script;
    int m_requests = 0;
    QByteArray m_lastBody;
};
