#pragma once

#include "gatewayreply.h"
#include "testwait.h"

#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

// Waits (bounded) until a GatewayReply has emitted finished().
#define CONCLAVE_AWAIT(reply, timeoutMs)                                                       \
    do {                                                                                       \
        QSignalSpy awaitSpy_((reply), &Conclave::GatewayReply::finished);                      \
        QVERIFY2(awaitSpy_.wait(timeoutMs), "reply did not finish in time");                  \
    } while (false)

// Waits for a reply and checks it succeeded, printing its error otherwise.
#define CONCLAVE_AWAIT_OK(reply)                                                               \
    do {                                                                                       \
        CONCLAVE_AWAIT(reply, 20000);                                                          \
        QVERIFY2((reply)->error() == Conclave::Error::NoError,                                 \
                 qPrintable((reply)->errorString()));                                          \
    } while (false)

// The same for one of many replies waited for in turn (it may have finished meanwhile).
#define CONCLAVE_AWAIT_DONE_OK(reply)                                                          \
    do {                                                                                       \
        if (!(reply)->isFinished())                                                            \
            CONCLAVE_AWAIT(reply, 20000);                                                      \
        QVERIFY2((reply)->error() == Conclave::Error::NoError,                                 \
                 qPrintable((reply)->errorString()));                                          \
    } while (false)

#include <QtCore/QMutex>
#include <QtCore/QStringList>

// Records every log message that contains \a needle while it lives (and passes all messages on
// to the previous handler), so that a test can wait for something the library only logs.
class LogCatcher
{
public:
    explicit LogCatcher(const QString &needle)
    {
        s_needle = needle;
        s_hits = 0;
        s_previous = qInstallMessageHandler(&LogCatcher::handle);
    }
    ~LogCatcher() { qInstallMessageHandler(s_previous); }
    int hits() const { return s_hits; }

private:
    static void handle(QtMsgType type, const QMessageLogContext &context, const QString &message)
    {
        if (message.contains(s_needle))
            ++s_hits;
        if (s_previous)
            s_previous(type, context, message);
    }
    static inline QString s_needle;
    static inline int s_hits = 0;
    static inline QtMessageHandler s_previous = nullptr;
};
