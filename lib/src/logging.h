#pragma once

#include <QtCore/QLoggingCategory>

namespace Conclave {
Q_DECLARE_LOGGING_CATEGORY(lcGateway)
Q_DECLARE_LOGGING_CATEGORY(lcWatch)
Q_DECLARE_LOGGING_CATEGORY(lcLease)
Q_DECLARE_LOGGING_CATEGORY(lcElector)
Q_DECLARE_LOGGING_CATEGORY(lcObserver)
Q_DECLARE_LOGGING_CATEGORY(lcDirectory)
} // namespace Conclave
