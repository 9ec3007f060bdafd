#pragma once

#include <conclave/conclave_export.h>
#include <QtCore/QObject>

/*!
 * \namespace Conclave
 * Leader election for Qt services on etcd, through etcd's v3 JSON gateway.
 */
namespace Conclave {
Q_NAMESPACE_EXPORT(CONCLAVE_EXPORT)

/*!
 * What went wrong, in terms a caller can act on. The accompanying message names the
 * endpoint, the call, the HTTP status and etcd's own words.
 */
enum class Error {
    NoError = 0,
    ConnectionError,     //!< refused, reset, host not found, stream dropped: etcd not reachable
    TimeoutError,        //!< no answer within the request timeout; the outcome is unknown
    TlsError,            //!< certificate verification or TLS handshake failed
    AuthenticationError, //!< wrong user/password, or a token etcd does not accept
    PermissionDenied,    //!< the user's roles do not allow this key or range
    InvalidArgument,     //!< a bad option or name (ours), or etcd rejected the request as invalid
    LeaseLost,           //!< the lease expired, was revoked or is unknown to etcd
    Unavailable,         //!< etcd answered 5xx (no leader, request timed out): outcome unknown
    Compacted,           //!< the requested revision was compacted away
    ProtocolError,       //!< the gateway's reply could not be understood (malformed, truncated)
    GatewayError,        //!< any other error answer from the gateway
    Cancelled,           //!< the call was aborted by its owner
    Conflict,            //!< a guarded change found the key changed (e.g. that leader already left)
    WatchdogTimeout,     //!< the application did not ping the Elector's watchdog in time: it resigned
};
Q_ENUM_NS(Error)

/*!
 * True for errors that trying again cannot cure without a change of configuration:
 * PermissionDenied, AuthenticationError and InvalidArgument. An Elector gives up on these
 * (reports them and leaves); every other error is retried with backoff.
 */
CONCLAVE_EXPORT bool isPermanent(Conclave::Error error);

/*! A short English name for \a error ("ConnectionError" style), for logs and tools. */
CONCLAVE_EXPORT QString errorName(Conclave::Error error);

} // namespace Conclave
