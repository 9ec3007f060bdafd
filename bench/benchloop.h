#pragma once

// Waiting in benchmark programs: the event loop keeps running (replies, watch streams and child
// processes' output are handled meanwhile); nothing is timed here.

#include <QtCore/QEventLoop>
#include <QtCore/QTimer>

namespace Bench {

//! Runs the event loop until \a done or \a ms pass; true if done. \a done is re-checked each
//! millisecond.
template <typename Pred>
bool waitFor(Pred done, int ms)
{
    if (done())
        return true;
    QEventLoop loop;
    QTimer tick;
    QObject::connect(&tick, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    tick.start(1);
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
    return done();
}

//! Lets the event loop run for \a ms.
inline void pause(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

} // namespace Bench
