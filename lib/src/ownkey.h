#pragma once

#include <conclave/conclaveglobal.h>
#include <conclave/leaderinfo.h>

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QPointer>

#include <memory>

namespace Conclave {

class ElectorPrivate;
class GatewayReply;
class Watch;
struct WatchEvent;

/*!
 * The Elector's part that holds its key, `<election>/<lease in hex>`: which incarnation (create
 * revision) is ours, every write to it (each guarded by that create revision, except the
 * ineligible candidate's clean-up), and the watch on it that a leader relies on.
 */
class OwnKey : public QObject
{
    Q_OBJECT
public:
    explicit OwnKey(ElectorPrivate &d);
    ~OwnKey() override;

    QByteArray key;
    qint64 leaseId = 0;            //!< the lease our key is (to be) put on; set by ElectorPrivate::setLease()
    qint64 revision = 0;           //!< create revision of our incarnation; 0: not in the queue
    qint64 abandonedRevision = 0;  //!< the last incarnation we gave up: never lead on it again
    bool abandonedKeyLeft = false; //!< out of the queue, and the delete of our key has not succeeded
    //! Claiming's and LeadingBlind's: read the queue again once the watch is live.
    bool confirmWhenLive = false;

    bool inQueue() const { return revision != 0; }
    //! What we put on our key (JSON: id, address, attributes, and Conclave's marks).
    QByteArray value() const;
    //! Our key as a LeaderInfo, as it is now.
    LeaderInfo info() const;
    bool isCreating() const { return !m_creating.isNull(); }
    bool isBusy() const { return m_creating || m_deleting; }
    //! A new lease: our key's name follows it (`<election>/<lease in hex>`); no incarnation yet.
    void renameFor(qint64 lease);

    //! The create txn (absent → put on our lease); its answer goes to ElectorPrivate::onKeyCreated.
    void create();
    //! Our value again, only on our incarnation.
    GatewayReply *put();
    enum class ValueWrite { Proclaim, Announce }; //!< an announcement's failure is only logged
    //! put(), one at a time: a change while one is in flight puts the latest value after it.
    void putValue(ValueWrite why);
    //! ElectorPrivate::startOver(): the watch goes, and a put in flight is the old incarnation's
    //! (a new one may go at once).
    void startOver();
    //! Out of the queue as far as we are concerned (startOver()); the incarnation we held, or 0.
    qint64 forget();
    //! forget(), then delete that incarnation only; then join again if \a thenJoin.
    void deleteIncarnation(bool thenJoin);
    //! Ineligible: any incarnation of our key goes (only this lease ever writes its name).
    void removeAny();

    void watchFrom(qint64 fromRevision);
    bool isWatched() const;     //!< the watch is live: a delete of our key reaches us
    bool isWatchActive() const; //!< the watch is placed and not ended
    void dropWatch();

private:
    void onCreated(GatewayReply *reply);
    void onEvents(const QList<WatchEvent> &events);

    ElectorPrivate &d;
    QPointer<GatewayReply> m_creating;
    QPointer<GatewayReply> m_deleting;
    QPointer<GatewayReply> m_valuePut; //!< our value's put in flight (one at a time)
    bool m_valueStale = false;         //!< changed while it was in flight: put again after
    std::unique_ptr<Watch> m_watch;
};

} // namespace Conclave
