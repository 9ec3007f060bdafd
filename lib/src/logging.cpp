#include "logging.h"

namespace Conclave {
Q_LOGGING_CATEGORY(lcGateway, "conclave.gateway", QtInfoMsg)
Q_LOGGING_CATEGORY(lcWatch, "conclave.watch", QtInfoMsg)
Q_LOGGING_CATEGORY(lcLease, "conclave.lease", QtInfoMsg)
Q_LOGGING_CATEGORY(lcElector, "conclave.elector", QtInfoMsg)
Q_LOGGING_CATEGORY(lcObserver, "conclave.observer", QtInfoMsg)
Q_LOGGING_CATEGORY(lcDirectory, "conclave.directory", QtInfoMsg)
} // namespace Conclave
