#pragma once

#include <conclave/conclaveglobal.h>

#include <QtCore/QByteArray>
#include <QtCore/QDateTime>
#include <QtCore/QMetaType>
#include <QtCore/QSharedDataPointer>
#include <QtCore/QString>
#include <QtCore/QVariantMap>

namespace Conclave {

class LeaderInfoData;

/*!
 * \class Conclave::LeaderInfo
 * One candidate of an election as stored in etcd: who it is, where followers reach it, and
 * the key, lease and fencing token that prove its place. Elector::leader() and
 * ElectionObserver describe the leader with it; ElectionObserver::candidates() every
 * candidate in queue order.
 *
 * Conclave candidates store id, host, port and attributes as JSON; for candidates written by
 * other programs (e.g. `etcdctl elect NAME PROPOSAL`) id() is the raw value.
 */
class CONCLAVE_EXPORT LeaderInfo
{
    Q_GADGET
    //! The property of id() (constant).
    Q_PROPERTY(QString id READ id CONSTANT)
    //! The property of host() (constant).
    Q_PROPERTY(QString host READ host CONSTANT)
    //! The property of port() (constant).
    Q_PROPERTY(int port READ port CONSTANT)
    //! The property of attributes() (constant).
    Q_PROPERTY(QVariantMap attributes READ attributes CONSTANT)
    //! The property of value() (constant).
    Q_PROPERTY(QByteArray value READ value CONSTANT)
    //! The property of key() (constant).
    Q_PROPERTY(QByteArray key READ key CONSTANT)
    //! The property of leaseId() (constant).
    Q_PROPERTY(qint64 leaseId READ leaseId CONSTANT)
    //! The property of fencingToken() (constant).
    Q_PROPERTY(qint64 fencingToken READ fencingToken CONSTANT)
    //! The property of since() (constant).
    Q_PROPERTY(QDateTime since READ since CONSTANT)
    //! The property of isValid() (constant).
    Q_PROPERTY(bool valid READ isValid CONSTANT)
    //! The property of isReady() (constant).
    Q_PROPERTY(bool ready READ isReady CONSTANT)
    //! The property of statusText() (constant).
    Q_PROPERTY(QString statusText READ statusText CONSTANT)

public:
    LeaderInfo();
    LeaderInfo(const LeaderInfo &other);                  //!< copies (implicitly shared)
    LeaderInfo(LeaderInfo &&other) noexcept;              //!< moves
    LeaderInfo &operator=(const LeaderInfo &other);       //!< copies (implicitly shared)
    LeaderInfo &operator=(LeaderInfo &&other) noexcept;   //!< moves
    ~LeaderInfo();

    QString id() const;               //!< candidate id (the raw value for foreign candidates)
    QString host() const;             //!< advertised host, empty if none
    int port() const;                 //!< advertised port, 0 if none
    QVariantMap attributes() const;   //!< custom attributes (proclaim())
    QByteArray value() const;         //!< the raw value of the candidate key
    QByteArray key() const;           //!< the candidate key, `<election>/<lease id hex>`
    qint64 leaseId() const;           //!< the lease the key is attached to
    qint64 fencingToken() const;      //!< the key's create revision; grows with every new leader
    QDateTime since() const;          //!< when this process first saw it in its current place
    bool isValid() const;             //!< false: no leader (or no candidate)
    /*!
     * Whether this candidate, as leader, serves: false while a leader that requires readiness
     * (Elector::setReadinessRequired()) has not said it is ready in this term. True for
     * candidates that say nothing about it (foreign ones, older Conclaves).
     */
    bool isReady() const;
    QString statusText() const;       //!< the candidate's own words on its state (Elector::setStatusText())

    //! The same key, value, lease and fencing token (when it was seen does not count).
    bool operator==(const LeaderInfo &other) const;
    //! Not operator==().
    bool operator!=(const LeaderInfo &other) const { return !(*this == other); }

    //! Builds a LeaderInfo from a candidate key as stored in etcd.
    static LeaderInfo fromKeyValue(const QByteArray &key, const QByteArray &value, qint64 leaseId,
                                   qint64 createRevision, const QDateTime &since);
    //! The value Conclave stores for a candidate.
    static QByteArray encodeValue(const QString &id, const QString &host, int port,
                                  const QVariantMap &attributes);

private:
    QSharedDataPointer<LeaderInfoData> d;
};

} // namespace Conclave

Q_DECLARE_METATYPE(Conclave::LeaderInfo)
