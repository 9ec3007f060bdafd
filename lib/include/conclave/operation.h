#pragma once

#include <conclave/conclaveglobal.h>

#include <QtCore/QByteArrayList>
#include <QtCore/QObject>

#include <memory>

namespace Conclave {

class OperationPrivate;

/*!
 * \class Conclave::Operation
 * The outcome of one administrative call (resign a leader, evict a candidate, revoke a lease,
 * check write access), shaped like QNetworkReply: finished() is emitted exactly once, never
 * from inside the call that returned the Operation; the caller owns it (deleteLater()).
 * \code
 * Conclave::Operation *op = directory.resignLeader(QStringLiteral("billing/scheduler"));
 * connect(op, &Conclave::Operation::finished, this, [op] {
 *     op->deleteLater();
 *     if (op->error() != Conclave::Error::NoError)
 *         qWarning() << op->errorString();
 * });
 * \endcode
 */
class CONCLAVE_EXPORT Operation : public QObject
{
    Q_OBJECT
public:
    ~Operation() override;

    //! True once finished() has been emitted.
    bool isFinished() const;
    //! NoError when the action succeeded; valid once finished.
    Conclave::Error error() const;
    //! The error in words (empty on success).
    QString errorString() const;
    //! The store revision the change happened at (0 when nothing changed).
    qint64 revision() const;
    //! Keys the call reports (e.g. every key attached to a lease).
    QByteArrayList keys() const;

Q_SIGNALS:
    //! Emitted exactly once, never from inside the call that created the operation.
    void finished();

private:
    friend class OperationPrivate;
    explicit Operation(QObject *parent);
    Q_DISABLE_COPY_MOVE(Operation)
    Q_DECLARE_PRIVATE(Operation)
    std::unique_ptr<OperationPrivate> const d_ptr;
};

} // namespace Conclave
