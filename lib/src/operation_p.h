#pragma once

#include <conclave/operation.h>

namespace Conclave {

class OperationPrivate
{
public:
    static Operation *create(QObject *parent) { return new Operation(parent); }
    static OperationPrivate *get(Operation *op) { return op->d_func(); }
    //! Records the outcome and emits finished() from the event loop (never synchronously).
    static void finish(Operation *op, Error error, const QString &message, qint64 revision = 0,
                       const QByteArrayList &keys = {});

    bool finished = false;
    Error error = Error::NoError;
    QString errorString;
    qint64 revision = 0;
    QByteArrayList keys;
};

} // namespace Conclave
