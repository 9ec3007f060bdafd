#include "gatewayerror.h"

#include <QtCore/QJsonDocument>

namespace Conclave::GatewayErrors {

namespace {

// gRPC status codes (google.rpc.Code) that etcd uses.
enum Code {
    Cancelled = 1, Unknown = 2, InvalidArgumentCode = 3, DeadlineExceeded = 4, NotFound = 5,
    AlreadyExists = 6, PermissionDeniedCode = 7, ResourceExhausted = 8, FailedPrecondition = 9,
    Aborted = 10, OutOfRange = 11, Unimplemented = 12, Internal = 13, UnavailableCode = 14,
    DataLoss = 15, Unauthenticated = 16,
};

constexpr const char *CodeNames[] = {
    "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
    "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted",
    "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
};

// A code as the gateway writes it: a JSON number; 0 for anything else.
int codeOf(const QJsonValue &value)
{
    const double d = value.toDouble(0);
    return d >= 1 && d <= 16 && d == int(d) ? int(d) : 0;
}

} // namespace

bool isError(const QJsonObject &object)
{
    const QJsonValue error = object.value(QLatin1String("error"));
    if (error.isObject() || error.isString())
        return true;
    // v2's unary shape: code and message, nothing of a success reply's.
    return object.contains(QLatin1String("code")) && object.contains(QLatin1String("message"))
            && !object.contains(QLatin1String("header"));
}

GatewayFailure fromObject(int httpStatus, const QJsonObject &object)
{
    GatewayFailure f;
    f.httpStatus = httpStatus;
    const QJsonValue error = object.value(QLatin1String("error"));
    if (error.isObject()) { // in-stream: {"error":{"grpc_code"|"code":N,"message":…}}
        const QJsonObject e = error.toObject();
        f.message = e.value(QLatin1String("message")).toString();
        f.grpcCode = e.contains(QLatin1String("grpc_code")) ? codeOf(e.value(QLatin1String("grpc_code")))
                                                            : codeOf(e.value(QLatin1String("code")));
        if (f.httpStatus == 0)
            f.httpStatus = e.value(QLatin1String("http_code")).toInt();
    } else { // unary: v1 {"error":"m","message":"m","code":N}, v2 {"code":N,"message":"m"}
        f.message = object.value(QLatin1String("message")).toString(error.toString());
        f.grpcCode = codeOf(object.value(QLatin1String("code")));
    }
    f.error = classify(f.httpStatus, f.grpcCode, f.message);
    return f;
}

GatewayFailure fromReply(int httpStatus, const QByteArray &body)
{
    // A stream-shaped body ends in '\n' (v2) or not (v1); one line either way.
    const QByteArray trimmed = body.trimmed();
    const qsizetype nl = trimmed.indexOf('\n');
    const QByteArray first = nl < 0 ? trimmed : trimmed.left(nl);
    const QJsonDocument doc = QJsonDocument::fromJson(first);
    if (doc.isObject() && isError(doc.object()))
        return fromObject(httpStatus, doc.object());
    GatewayFailure f; // text (v1's 404 and 405 are text/plain), HTML from a proxy, or nothing
    f.httpStatus = httpStatus;
    f.message = QString::fromUtf8(trimmed.left(200)).simplified();
    f.error = classify(httpStatus, 0, f.message);
    return f;
}

int grpcCodeFromName(QStringView name)
{
    for (int code = 1; code <= 16; ++code)
        if (name == QLatin1String(CodeNames[code]))
            return code;
    return name == QLatin1String("Cancelled") ? Cancelled : 0;
}

GatewayFailure fromCancelReason(const QString &reason)
{
    GatewayFailure f;
    f.message = reason;
    // grpc-go's status text: "rpc error: code = PermissionDenied desc = etcdserver: …"
    static const QLatin1String codeTag("code = "), descTag(" desc = ");
    const qsizetype at = reason.indexOf(codeTag);
    if (at >= 0) {
        const qsizetype from = at + codeTag.size();
        const qsizetype desc = reason.indexOf(descTag, from);
        f.grpcCode = grpcCodeFromName(QStringView(reason).mid(from, desc < 0 ? -1 : desc - from).trimmed());
        if (desc >= 0)
            f.message = reason.mid(desc + descTag.size());
    }
    f.error = classify(0, f.grpcCode, f.message);
    return f;
}

Error classify(int httpStatus, int grpcCode, const QString &message)
{
    const auto has = [&](const char *text) { return message.contains(QLatin1String(text)); };
    // etcd answers some authentication failures as InvalidArgument: its words decide.
    if (grpcCode == Unauthenticated || has("authentication failed") || has("user name is empty")
        || has("invalid auth token"))
        return Error::AuthenticationError;
    if (has("lease not found"))
        return Error::LeaseLost;
    switch (grpcCode) {
    case PermissionDeniedCode:
        return Error::PermissionDenied;
    case OutOfRange:
        if (has("compacted"))
            return Error::Compacted;
        // "required revision is a future revision": a member behind the revision we read at
        // (another member, or this one a moment later, answers it).
        return has("future revision") ? Error::Unavailable : Error::InvalidArgument;
    case ResourceExhausted:
        // "too many requests" (applying lags behind committing), "database space exceeded" (the
        // NOSPACE alarm, until an operator disarms it): overload, retried with backoff. Only a
        // request over the server's size limit is ours to fix.
        return has("larger than max") || has("too large") ? Error::InvalidArgument : Error::Unavailable;
    case InvalidArgumentCode:
    case FailedPrecondition: // "lease already exists", "authentication is not enabled"
    case AlreadyExists:
        return Error::InvalidArgument;
    case UnavailableCode:    // no leader, a member shutting down, leader changed
    case DeadlineExceeded:   // request timed out (outcome unknown)
    case Cancelled:          // "grpc: the client connection is closing": a member going away
    case Aborted:
        return Error::Unavailable;
    case Unknown:
    case Internal:
        // A failed stream (status 0: it had answered 200) or a 5xx: the server's trouble.
        return httpStatus == 0 || httpStatus >= 500 ? Error::Unavailable : Error::GatewayError;
    case Unimplemented:      // v2 answers a wrong method with 501: not something retrying cures
    case NotFound:
    case DataLoss:
        return Error::GatewayError;
    default:
        break;
    }
    // No code: the HTTP status is all there is (text bodies, proxies).
    if (httpStatus == 401)
        return Error::AuthenticationError;
    if (httpStatus == 403)
        return Error::PermissionDenied;
    if (httpStatus == 400)
        return Error::InvalidArgument;
    if (httpStatus == 429 || (httpStatus >= 500 && httpStatus != 501))
        return Error::Unavailable;
    return Error::GatewayError;
}

} // namespace Conclave::GatewayErrors
