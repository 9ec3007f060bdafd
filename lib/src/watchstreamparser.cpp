#include "watchstreamparser.h"

#include "gatewayerror.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>

namespace Conclave {

QList<WatchMessage> WatchStreamParser::feed(const QByteArray &bytes)
{
    QList<WatchMessage> out;
    if (m_failed)
        return out;
    m_buffer += bytes;
    // Bytes before m_scanned hold no newline: a message arriving in many reads is scanned once,
    // not once per read.
    qsizetype start = 0;
    for (qsizetype nl; (nl = m_buffer.indexOf('\n', qMax(start, m_scanned))) >= 0; start = nl + 1) {
        if (!parseLine(QByteArrayView(m_buffer).sliced(start, nl - start).toByteArray(), &out)) {
            m_buffer.clear();
            m_scanned = 0;
            return out;
        }
    }
    m_buffer.remove(0, start);
    m_scanned = m_buffer.size();
    if (m_buffer.size() > MaxLineBytes)
        fail(Error::ProtocolError, QStringLiteral("watch message exceeds %1 bytes").arg(MaxLineBytes), &out);
    return out;
}

QList<WatchMessage> WatchStreamParser::finish()
{
    QList<WatchMessage> out;
    if (m_failed)
        return out;
    const QByteArray rest = m_buffer.trimmed();
    m_buffer.clear();
    m_scanned = 0;
    // The last object (an in-stream error) may come without a trailing newline; a partial one
    // means the stream was cut mid-message: the connection's fault, whatever the transport
    // reports (a close inside a chunk ends some replies without an error).
    if (!rest.isEmpty() && !QJsonDocument::fromJson(rest).isObject())
        fail(Error::ConnectionError, QStringLiteral("stream ended in the middle of a message"), &out);
    else if (!rest.isEmpty())
        parseLine(rest, &out);
    return out;
}

void WatchStreamParser::fail(Error error, const QString &message, QList<WatchMessage> *out)
{
    m_failed = true;
    m_buffer.clear();
    m_scanned = 0;
    WatchMessage m;
    m.kind = WatchMessage::Kind::Error;
    m.error = error;
    m.errorString = message;
    out->append(m);
}

bool WatchStreamParser::parseLine(const QByteArray &line, QList<WatchMessage> *out)
{
    if (line.trimmed().isEmpty())
        return true;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &parseError);
    if (!doc.isObject()) {
        fail(Error::ProtocolError,
             QStringLiteral("malformed watch message (%1)").arg(parseError.errorString()), out);
        return false;
    }
    const QJsonObject obj = doc.object();
    if (GatewayErrors::isError(obj)) {
        const GatewayFailure failure = GatewayErrors::fromObject(0, obj);
        fail(failure.error, failure.message, out);
        return false;
    }
    const QJsonObject result = obj.value(QLatin1String("result")).toObject();
    bool idOk = false;
    WatchMessage m;
    m.watchId = Codec::decodeInt(result.value(QLatin1String("watch_id")), &idOk);
    if (result.isEmpty() || !idOk) {
        fail(Error::ProtocolError, QStringLiteral("watch message without a result"), out);
        return false;
    }
    m.header = Codec::parseHeader(result.value(QLatin1String("header")).toObject());
    m.canceled = result.value(QLatin1String("canceled")).toBool();
    m.cancelReason = result.value(QLatin1String("cancel_reason")).toString();
    m.compactRevision = Codec::decodeInt(result.value(QLatin1String("compact_revision")));
    if (result.value(QLatin1String("created")).toBool()) {
        m.kind = WatchMessage::Kind::Created;
    } else if (m.canceled) {
        m.kind = WatchMessage::Kind::Canceled;
    } else if (m.watchId == -1 && !result.contains(QLatin1String("events"))) {
        m.kind = WatchMessage::Kind::Progress;
    } else {
        m.kind = WatchMessage::Kind::Events;
        const QJsonArray array = result.value(QLatin1String("events")).toArray();
        m.events.reserve(array.size());
        for (const QJsonValue &v : array) {
            bool ok = false;
            m.events.append(Codec::parseEvent(v.toObject(), &ok));
            if (!ok) {
                fail(Error::ProtocolError, QStringLiteral("malformed watch event"), out);
                return false;
            }
        }
    }
    out->append(m);
    return true;
}

} // namespace Conclave
