#pragma once

#include "codec.h"
#include "transfer.h"

#include <QtCore/QObject>
#include <QtCore/QPointer>

#include <memory>

namespace Conclave {

class ElectorPrivate;
class GatewayReply;
class Watch;
struct WatchEvent;

/*!
 * The Elector's part for handing leadership to a chosen candidate ("Handing over to a chosen
 * candidate" in docs/election-protocol.md; the request format and the plans are transfer.cpp's):
 * next in line or first in the queue, it watches the election's request key (so that taking
 * over places no watch), and as leader acts on a request
 * (refuses it, or steps down and sends the one txn that hands over); as a follower of higher
 * priority than its leader, it asks for a handover.
 */
class TransferDesk : public QObject
{
    Q_OBJECT
public:
    explicit TransferDesk(ElectorPrivate &d);
    ~TransferDesk() override;

    //! Next in line or first: requests to us can only be written from \a fromRevision on.
    //! Watches them from there, unless they are watched already or cannot be (the role may not
    //! read the request key).
    void watchRequestsFrom(qint64 fromRevision);
    //! Neither next in line nor first any more: no request watched or pending.
    void clear();
    //! As leader, the request seen last (one that came before we led, too).
    void actOnRequest();
    //! Our handover txn is in flight: never lead again until it has answered.
    bool isHandingOver() const { return !m_handingOver.isNull(); }
    //! As a follower of higher priority than a Conclave leader, ask it (once per pair) to hand over.
    void requestPriorityHandover();

private:
    void watchRequests(qint64 fromRevision);
    void rereadRequests();
    void onRequestEvents(const QList<WatchEvent> &events);
    void onQueueRead(GatewayReply *reply, const Transfer::Request &request, const KeyValue &requestKv);
    void handOver(const Transfer::Plan &plan, const Transfer::Request &request, const KeyValue &requestKv);
    void send(const Transfer::Plan &plan, const Transfer::Request &request, const KeyValue &requestKv);
    void onSent(GatewayReply *reply, const Transfer::Request &request, const KeyValue &requestKv);
    void refuse(Transfer::Request request, const KeyValue &requestKv, const QString &why);
    void denied(const QString &message);

    ElectorPrivate &d;
    std::unique_ptr<Watch> m_requests;
    KeyValue m_pending;                  //!< the last request seen, until we lead
    QPointer<GatewayReply> m_handingOver;
    bool m_denied = false;               //!< the role may not read the request key: no transfers
    QByteArray m_priorityAsked;          //!< the leader and priorities we last asked to hand over
};

} // namespace Conclave
