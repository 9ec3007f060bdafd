#pragma once

// What the monitor remembers between runs (QSettings): the last connection that worked,
// never its password.

#include <conclave/connectionsettings.h>

namespace Monitor {

void rememberConnection(const Conclave::ConnectionSettings &connection);
//! The remembered connection; etcdctl's default endpoint if none was remembered.
Conclave::ConnectionSettings rememberedConnection();

} // namespace Monitor
