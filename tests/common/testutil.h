#pragma once

#include "gatewayreply.h"

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
