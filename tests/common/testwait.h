#pragma once

// The one bound for "this happens soon" in tests (QTRY_*_WITH_TIMEOUT, QSignalSpy::wait,
// qWaitFor): generous enough that a loaded 2-core CI machine never reaches it when the code is
// right, short enough that a hang fails the test instead of the whole run. Waits with another
// bound (a TTL, "within one watch delivery") say why where they are.
constexpr int TestWaitMs = 10000;
