#pragma once

#include <conclave/conclaveglobal.h>
#include <conclave/leaderinfo.h>

#include <QtCore/QDateTime>
#include <QtCore/QObject>

namespace Conclave {

//! One change of leader in one election, with the directory's best reading of its cause.
struct CONCLAVE_EXPORT Handover
{
    Q_GADGET
    //! election, as a property (QML, QVariant).
    Q_PROPERTY(QString election MEMBER election)
    //! previous, as a property (QML, QVariant).
    Q_PROPERTY(Conclave::LeaderInfo previous MEMBER previous)
    //! next, as a property (QML, QVariant).
    Q_PROPERTY(Conclave::LeaderInfo next MEMBER next)
    //! cause, as a property (QML, QVariant).
    Q_PROPERTY(Cause cause MEMBER cause)
    //! at, as a property (QML, QVariant).
    Q_PROPERTY(QDateTime at MEMBER at)
    //! revision, as a property (QML, QVariant).
    Q_PROPERTY(qint64 revision MEMBER revision)
public:
    //! Why leadership moved, as far as the directory could tell.
    enum class Cause {
        Elected,      //!< the election had no leader before (or the directory just started)
        Resigned,     //!< the leader's key was deleted while its lease lived on
        LeaseExpired, //!< the leader's lease ran out (its last known TTL had reached ~0)
        LeaseRevoked, //!< the leader's lease was revoked with time left on it
        Evicted,      //!< removed through this directory (resignLeader() or evict())
        Transferred,  //!< handed over on request through this directory (transferLeadership())
        Unknown,      //!< changed while disconnected, or the lease was never observed
    };
    Q_ENUM(Cause)
    QString election;    //!< the election's name
    LeaderInfo previous; //!< invalid when there was no leader
    LeaderInfo next;     //!< invalid when nobody leads now
    Cause cause = Cause::Unknown; //!< see Cause
    QDateTime at;        //!< when the directory saw it (UTC)
    qint64 revision = 0; //!< the store revision of the change
};

//! The cause in lower-case words, from its enum name ("LeaseExpired" → "lease expired").
CONCLAVE_EXPORT QString causeName(Handover::Cause cause);

} // namespace Conclave

Q_DECLARE_METATYPE(Conclave::Handover)
