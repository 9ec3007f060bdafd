#include "operation_p.h"

#include <QtCore/QPointer>

namespace Conclave {

Operation::Operation(QObject *parent)
    : QObject(parent)
    , d_ptr(std::make_unique<OperationPrivate>())
{
}

Operation::~Operation() = default;

bool Operation::isFinished() const { return d_func()->finished; }
Error Operation::error() const { return d_func()->error; }
QString Operation::errorString() const { return d_func()->errorString; }
qint64 Operation::revision() const { return d_func()->revision; }
QByteArrayList Operation::keys() const { return d_func()->keys; }

void OperationPrivate::finish(Operation *op, Error error, const QString &message, qint64 revision,
                              const QByteArrayList &keys)
{
    OperationPrivate *d = get(op);
    if (d->finished)
        return;
    d->finished = true;
    d->error = error;
    d->errorString = message;
    d->revision = revision;
    d->keys = keys;
    QPointer<Operation> guard(op);
    QMetaObject::invokeMethod(op, [guard] {
        if (guard)
            Q_EMIT guard->finished();
    }, Qt::QueuedConnection);
}

} // namespace Conclave
