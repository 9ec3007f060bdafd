#pragma once

// Error answers of etcd's JSON gateway, in both dialects, decoded in one place (pure; no I/O).
//
// etcd's gateway is grpc-gateway, and which major version a binary was built with decides the
// error shape, not etcd's own version (docs/etcd-gateway.md §1, "Two dialects"):
//
//   | gateway | unary error (non-2xx)                         | in-stream error (watch, keepalive)            |
//   |---------|-----------------------------------------------|-----------------------------------------------|
//   | v1      | {"error":"m","message":"m","code":N}          | {"error":{"grpc_code":N,"http_code":H,         |
//   |         |                                               |   "message":"m","http_status":"…"}}           |
//   | v2      | {"code":N,"message":"m"}                      | {"error":{"code":N,"message":"m"}} + "\n"     |
//
// v1: Debian's etcd 3.4, upstream 3.4 and 3.5. v2: Debian's 3.5 packages, every 3.6 and 3.7.
// A refused or cancelled watch says why in text: "rpc error: code = PermissionDenied desc = …".
// Whatever the shape, an error is classified by its gRPC code first, by its HTTP status only
// when no code came, and by etcd's words only where the code alone is ambiguous.

#include <conclave/conclaveglobal.h>

#include <QtCore/QByteArray>
#include <QtCore/QJsonObject>
#include <QtCore/QString>

namespace Conclave {

struct GatewayFailure
{
    Error error = Error::NoError;
    int grpcCode = 0;   //!< gRPC status code as sent (0: none sent, or OK)
    int httpStatus = 0; //!< the reply's HTTP status, or the in-stream error's http_code (v1)
    QString message;    //!< etcd's words ("etcdserver: no leader"), or the start of a non-JSON body
};

namespace GatewayErrors {

//! Whether \a object is an error answer of either dialect, unary or in-stream.
bool isError(const QJsonObject &object);
//! An error answer: \a httpStatus is the reply's status (0 for an error that came inside a
//! stream that had answered 200); \a body is whatever came with it (JSON of either dialect, a
//! stream-shaped line, plain text, or nothing).
GatewayFailure fromReply(int httpStatus, const QByteArray &body);
//! An error object that is already parsed (a line of a watch or keepalive stream, or a unary
//! body); \a httpStatus as for fromReply().
GatewayFailure fromObject(int httpStatus, const QJsonObject &object);
//! A watch that etcd refused or cancelled: its cancel_reason, "rpc error: code = Name desc = m"
//! for errors from the server, plain text ("mvcc: duplicate watch ID provided…") for others.
GatewayFailure fromCancelReason(const QString &reason);
//! gRPC's name of a code ("PermissionDenied") → its number; 0 for an unknown name.
int grpcCodeFromName(QStringView name);
//! The classification all of the above use.
Error classify(int httpStatus, int grpcCode, const QString &message);

} // namespace GatewayErrors
} // namespace Conclave
