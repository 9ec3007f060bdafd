#pragma once

#include <QtCore/QRandomGenerator>
#include <QtCore/QtGlobal>

namespace Conclave {

// Jittered exponential backoff, shared by every retry loop of the library: doubles
// \a currentMs within [minMs, maxMs] and returns a delay drawn from [current/2, current],
// so that many clients failing together do not retry in step.
inline int nextBackoffMs(int &currentMs, qint64 minMs, qint64 maxMs)
{
    currentMs = int(qBound<qint64>(minMs, qint64(currentMs) * 2, qMax(minMs, maxMs)));
    return currentMs / 2 + int(QRandomGenerator::global()->bounded(currentMs / 2 + 1));
}

} // namespace Conclave
