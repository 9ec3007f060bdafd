#pragma once

#include "client_p.h"
#include "codec.h"

#include <QtCore/QJsonObject>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtCore/QUrl>

QT_BEGIN_NAMESPACE
class QNetworkReply;
QT_END_NAMESPACE

namespace Conclave {

/*!
 * One unary gateway call. Contract (QNetworkReply/QCoapReply shape): finished() is emitted
 * exactly once, never from inside the call that created the reply; abort() finishes it with
 * Cancelled; the receiver deletes it (deleteLater()). Fails over to the next endpoint when
 * that is safe for the call (see ClientPrivate::Retry), re-authenticates once on an expired
 * token.
 */
class GatewayReply : public QObject
{
    Q_OBJECT
public:
    GatewayReply(ClientPrivate *client, const QString &call, const QByteArray &path,
                 const QJsonObject &body, ClientPrivate::Retry retry, bool useToken = true);
    ~GatewayReply() override;

    QString call() const { return m_call; }
    bool isFinished() const { return m_finished; }
    Error error() const { return m_error; }
    QString errorString() const { return m_errorString; }
    int httpStatus() const { return m_httpStatus; }
    int grpcCode() const { return m_grpcCode; }
    QUrl endpoint() const { return m_endpoint; }
    //! The reply's JSON object ("result" unwrapped for stream-shaped calls such as keepalive).
    QJsonObject json() const { return m_json; }
    ResponseHeader header() const;

    void abort();
    //! A deadline for this call other than the Client's request timeout (set before it starts).
    void setTimeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }
    //! Goes ahead of other calls waiting for a connection (lease keepalives; set before it starts).
    void setUrgent(bool urgent) { m_urgent = urgent; }
    bool isUrgent() const { return m_urgent; }
    //! A GET of a plain JSON document outside the gateway (/version): no body, no header in
    //! the answer (set before it starts).
    void setPlainGet(bool plainGet) { m_plainGet = plainGet; }
    /*!
     * A txn that may travel in a batch with other txns of the Client (set before it starts):
     * guarded or read-only, so that sending it again is safe (see txnbatch.h).
     */
    void setBatchable(bool batchable) { m_batchable = batchable; }
    bool isBatchable() const { return m_batchable && !m_alone && m_timeout.count() == 0; }
    //! The call's request body as sent (a txn's, for a batch).
    QJsonObject request() const { return m_request; }
    qsizetype requestSize() const { return m_body.size(); }
    //! The error without the call and endpoint describe() puts before it.
    QString errorDetail() const { return m_errorDetail; }

Q_SIGNALS:
    void finished();

private:
    void send();
    void sendWithToken();
    friend class ClientPrivate;
    void transmit(); // ClientPrivate::admit() says when: a connection's worth of room is free
    void releaseSlot();
    // A batch's part (ClientPrivate::dispatch, txnbatch.cpp): a member travels in \a batch;
    // the batch takes the place its dispatch reserved.
    void setCarried(bool carried) { m_carried = carried; }
    void reserveSlot();
    void finishCarried(const GatewayReply *batch, const QJsonObject &part);
    void failCarried(const GatewayReply *batch, Error error, const QString &detail);
    void sendAlone();
    void takeTransportOf(const GatewayReply *batch);
    void onNetworkFinished();
    void onTimeout();
    void handleTransportError(int networkError, const QString &text);
    void handleHttpError(const QByteArray &body);
    void handleSuccess(const QByteArray &body);
    bool retryElsewhere(bool mayHaveReachedEtcd);
    void finish(Error error, const QString &detail);
    QString describe(const QString &detail) const;

    ClientPrivate *m_client;
    QString m_call;
    QByteArray m_path;
    QByteArray m_body;
    QJsonObject m_request; // a txn's body, for a batch
    ClientPrivate::Retry m_retry;
    bool m_useToken;
    bool m_authRetried = false;
    bool m_finished = false;
    bool m_timedOut = false;
    bool m_urgent = false;
    bool m_plainGet = false;
    bool m_holdsSlot = false; // counted in ClientPrivate's calls on the wire
    bool m_reserved = false;  // a batch whose place was taken for it: it transmits at once
    bool m_batchable = false;
    bool m_carried = false; // in a batch now
    bool m_alone = false;   // its batch was refused: never batched again
    QString m_errorDetail;
    int m_endpointIndex = 0;
    int m_attempts = 0;
    QByteArray m_usedToken;
    QPointer<QNetworkReply> m_reply;
    QTimer m_timer;
    std::chrono::milliseconds m_timeout{0}; // 0: the Client's
    QStringList m_sslErrors;
    QUrl m_endpoint;
    Error m_error = Error::NoError;
    QString m_errorString;
    int m_httpStatus = 0;
    int m_grpcCode = 0;
    QJsonObject m_json;
};

/*!
 * The one way to take a reply's answer: \a handler(reply) runs when it finishes unless
 * \a context is gone by then, and the reply is deleted either way.
 */
template <typename Handler>
void onFinished(GatewayReply *reply, QObject *context, Handler handler)
{
    QObject::connect(reply, &GatewayReply::finished, reply, &QObject::deleteLater);
    QObject::connect(reply, &GatewayReply::finished, context,
                     [reply, handler = std::move(handler)]() mutable { handler(reply); });
}

} // namespace Conclave
