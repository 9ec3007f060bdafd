#pragma once

#include <conclave/conclaveglobal.h>

#include <QtCore/QDateTime>
#include <QtCore/QObject>

#include <chrono>

namespace Conclave {

//! What the directory last learned about one lease (etcd has no lease events: it is polled).
struct CONCLAVE_EXPORT LeaseStatus
{
    Q_GADGET
    //! state, as a property (QML, QVariant).
    Q_PROPERTY(State state MEMBER state)
    //! checkedAt, as a property (QML, QVariant).
    Q_PROPERTY(QDateTime checkedAt MEMBER checkedAt)
public:
    //! Unknown: not read yet; Alive: etcd reported time left; Gone: expired or revoked.
    enum class State { Unknown, Alive, Gone };
    Q_ENUM(State)
    State state = State::Unknown; //!< see State
    std::chrono::seconds grantedTtl{0};     //!< as granted
    std::chrono::milliseconds remaining{0}; //!< estimate counted down locally since checkedAt (etcd reports whole seconds)
    QDateTime checkedAt;                   //!< when etcd last answered for this lease
};

} // namespace Conclave

Q_DECLARE_METATYPE(Conclave::LeaseStatus)
