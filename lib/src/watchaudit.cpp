// The audit of silent streams: anchored watches' keys read in one txn per stream; a change
// etcd shows that its stream has not delivered replaces every stream (replaceAllStreams(), in
// watchstreams.cpp).
#include "watchhub.h"
#include "watchhub_p.h"

#include "backoff.h"
#include "gatewayerror.h"
#include "gatewayreply.h"
#include "logging.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>

#include <algorithm>

namespace Conclave {

using namespace WatchTuning;

// A stream whose connection went half-dead (bytes dropped, never reset) says nothing, and with
// HTTP/1.1 nothing can be sent on it to ask. So about once a second each stream's anchored
// watches are checked against etcd with one read-only txn (keys only): a key whose revisions
// show a change the stream has not delivered (within MissGraceMs), or an audit that hangs,
// gets every stream replaced (make-before-break: the watches resume elsewhere from where they
// were, nothing is lost).
// A key unchanged since the watch's resume point proves that nothing was missed up to the
// txn's revision, so the resume point moves there: a stream re-opened after a compaction then
// starts at a recent revision and is not refused as compacted.
void WatchHub::audit()
{
    for (WatchStream *s : std::as_const(m_streams)) {
        if (!s->audits.isEmpty() || s->replacing)
            continue;
        QList<qint64> ids;
        QJsonArray ops;
        auto send = [&] {
            GatewayReply *reply = m_client->txn({}, ops, {});
            reply->setTimeout(std::chrono::milliseconds(AuditTimeoutMs));
            s->audits.append(reply);
            onFinished(reply, this, [this, s, ids](GatewayReply *reply) {
                s->audits.removeAll(reply);
                onAudited(s, reply, ids);
            });
            ids.clear();
            ops = QJsonArray();
        };
        QList<Watch *> anchored;
        for (auto it = m_owner.cbegin(); it != m_owner.cend(); ++it) {
            Watch *w = it.value() == s ? m_watches.value(it.key()) : nullptr;
            if (w && w->m_anchored)
                anchored.append(w);
        }
        // Thousands of watches on one stream: those read longest ago, 1024 a round (a
        // half-dead connection silences them all, so any change among them gives it away).
        if (anchored.size() > MaxAuditedPerRound) {
            std::nth_element(anchored.begin(), anchored.begin() + MaxAuditedPerRound, anchored.end(),
                             [](const Watch *a, const Watch *b) { return a->m_auditedRound < b->m_auditedRound; });
            anchored.resize(MaxAuditedPerRound);
        }
        ++m_auditRound;
        for (Watch *w : std::as_const(anchored)) {
            w->m_auditedRound = m_auditRound;
            RangeOptions o = RangeOptions::ofKey(w->m_anchor);
            o.keysOnly = true;
            ops.append(Codec::opRange(Codec::rangeRequest(o)));
            ids.append(w->m_id);
            if (ops.size() == MaxOpsPerTxn)
                send();
        }
        if (!ids.isEmpty())
            send();
    }
    if (std::none_of(m_watches.cbegin(), m_watches.cend(), [](const Watch *w) { return w->m_anchored; }))
        m_auditTimer.stop();
}

void WatchHub::onAudited(WatchStream *s, GatewayReply *reply, const QList<qint64> &ids)
{
    // An audit that hangs (its timeout) has the Client replace every stream, as any call that
    // hangs does (ClientPrivate::connectionsSuspect()).
    if (reply->error() != Error::NoError)
        return; // etcd unreachable or refusing: the stream breaks or recovers on its own
    const TxnResult t = Codec::parseTxn(reply->json());
    const qint64 revision = t.header.revision;
    for (qsizetype i = 0; i < ids.size() && i < t.responses.size(); ++i) {
        Watch *w = m_watches.value(ids[i]);
        if (!w || m_owner.value(ids[i]) != s)
            continue;
        bool ok = false;
        const RangeResult r = Codec::parseRange(
                t.responses[i].toObject().value(QLatin1String("response_range")).toObject(), &ok);
        if (!ok)
            return;
        const qint64 modified = r.kvs.isEmpty() ? 0 : r.kvs.first().modRevision;
        if (!missed(w, modified, revision)) {
            // Nothing happened to the key up to here; of a range, only the anchor is known.
            if (w->m_rangeEnd.isEmpty() && w->m_next <= revision)
                w->m_next = revision + 1;
            continue;
        }
        // The change may be on its way: give the stream a moment to deliver it.
        const QPointer<Watch> watch = w;
        judgeMissLater(watch, modified, revision, 1);
        return;
    }
}

// Gives a change the audit saw \a graces-th MissGraceMs to arrive on its stream.
void WatchHub::judgeMissLater(const QPointer<Watch> &watch, qint64 modified, qint64 revision, int graces)
{
    QTimer::singleShot(MissGraceMs, this, [this, watch, modified, revision, graces] {
        judgeMiss(watch, modified, revision, graces);
    });
}

// A change still not delivered \a graces × MissGraceMs after the audit saw it. A half-dead
// connection delivers nothing at all; a stream that is still receiving (etcd sending the
// 30,000 events of 10,000 keys deleted at one revision, say) is alive and behind, and is given
// more time while bytes keep arriving, up to MaxMissGraces (a stream that delivers others'
// changes but never this one has lost the watch).
void WatchHub::judgeMiss(const QPointer<Watch> &watch, qint64 modified, qint64 revision, int graces)
{
    if (!watch || !watch->m_active || !missed(watch, modified, revision))
        return;
    const WatchStream *s = m_owner.value(watch->m_id);
    if (s && s->lastRead.isValid() && s->lastRead.elapsed() < MissGraceMs && graces < MaxMissGraces) {
        judgeMissLater(watch, modified, revision, graces + 1);
        return;
    }
    replaceAllStreams(QStringLiteral("a stream has not delivered a change of %1 that etcd showed at "
                                     "revision %2")
                              .arg(QString::fromUtf8(watch->m_anchor)).arg(revision));
}

// Whether \a w has not delivered what a read at \a revision showed of its key: a modification
// at \a modified (0: the key was gone).
bool WatchHub::missed(const Watch *w, qint64 modified, qint64 revision)
{
    if (modified)
        return modified >= w->m_next;
    return !w->m_anchorGone && w->m_next <= revision;
}

} // namespace Conclave
