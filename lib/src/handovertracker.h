#pragma once

// HandoverTracker: turns each change of leader into a Handover with its cause, and keeps the
// last ones per election. The cause of a leader that left needs one lease lookup (did its
// lease outlive its key?) and the last TTL seen (expiry or revocation?).

#include <conclave/handover.h>
#include <conclave/leasestatus.h>

#include "electionindex.h"

#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QSet>

namespace Conclave {

class ClientPrivate;
class LeasePoller;

class HandoverTracker : public QObject
{
    Q_OBJECT
public:
    HandoverTracker(ClientPrivate *client, const LeasePoller *leases, QObject *parent = nullptr);

    //! Records \a change (at its store revision); handoverRecorded() once its cause is known.
    void record(const ElectionIndex::LeaderChange &change);
    //! Oldest first, at most the last 200.
    QList<Handover> history(const QString &election) const { return m_history.value(election); }

    //! This process is deleting \a candidate's key: if it was leading, the cause is Evicted.
    void expectEviction(const LeaderInfo &candidate);
    //! The deletion did not happen after all.
    void cancelEviction(const LeaderInfo &candidate);
    //! This process asked \a leader to hand over to a chosen candidate: the cause is Transferred.
    void expectTransfer(const LeaderInfo &leader);
    void cancelTransfer(const LeaderInfo &leader);
    //! Someone (a candidate of higher priority, another operator) asked the leader of
    //! \a election, the incarnation \a leaderKey@\a leaderRevision, to hand over: if that
    //! leader goes next, the cause is Transferred.
    void noteRequest(const QString &election, const QByteArray &leaderKey, qint64 leaderRevision);
    //! The request was refused or withdrawn.
    void forgetRequest(const QString &election);

Q_SIGNALS:
    void handoverRecorded(const Conclave::Handover &handover);

private:
    void commit(const Handover &handover);

    ClientPrivate *const m_client;
    const LeasePoller *const m_leases;
    QHash<QString, QList<Handover>> m_history;
    QSet<QByteArray> m_evicted; // incarnations (key@create revision) deleted through us
    QSet<QByteArray> m_transferred; // leaders asked through us to hand over
    QHash<QString, QByteArray> m_requested; // election -> leader asked by anyone (its request key seen)
};

} // namespace Conclave
