#include "prefixfeed.h"

#include "backoff.h"
#include "client_p.h"
#include "gatewayreply.h"
#include "logging.h"
#include "watchhub.h"

namespace Conclave {

namespace {
constexpr int PageSize = 1000;
constexpr int WatchRetryMs = 1000;
} // namespace

PrefixFeed::PrefixFeed(ClientPrivate *client, QObject *parent)
    : QObject(parent)
    , m_client(client)
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &PrefixFeed::list);
}

PrefixFeed::~PrefixFeed() = default;

void PrefixFeed::setRange(const QByteArray &key, const QByteArray &rangeEnd)
{
    m_key = key;
    m_rangeEnd = rangeEnd;
}

void PrefixFeed::start()
{
    if (m_running)
        return;
    m_running = true;
    list();
}

void PrefixFeed::stop()
{
    if (!m_running)
        return;
    m_running = false;
    ++m_generation;
    m_watch.reset();
    m_retryTimer.stop();
    setSynced(false);
}

void PrefixFeed::list()
{
    if (!m_running)
        return;
    ++m_generation;
    m_watch.reset();
    m_listing.clear();
    m_listRevision = 0;
    fetchPage(m_key, m_generation);
}

void PrefixFeed::fetchPage(const QByteArray &from, int generation)
{
    RangeOptions o;
    o.key = from;
    o.rangeEnd = m_rangeEnd;
    o.limit = PageSize;
    o.revision = m_listRevision; // every page at the first page's revision
    onFinished(m_client->range(o), this, [this, generation](GatewayReply *r) { onPage(r, generation); });
}

void PrefixFeed::onPage(GatewayReply *reply, int generation)
{
    if (generation != m_generation || !m_running)
        return;
    bool ok = reply->error() == Error::NoError;
    const RangeResult r = ok ? Codec::parseRange(reply->json(), &ok) : RangeResult();
    if (!ok) {
        const Error e = reply->error() == Error::NoError ? Error::ProtocolError : reply->error();
        const QString message = reply->error() == Error::NoError
                ? reply->call() + QStringLiteral(": malformed key or value in the reply")
                : reply->errorString();
        setSynced(false);
        Q_EMIT listingFailed(e, message);
        relistIn(e == Error::Compacted ? 0 : nextBackoffMs(m_backoffMs, 200, 10000));
        return;
    }
    Q_EMIT pageReceived();
    if (m_listRevision == 0)
        m_listRevision = r.header.revision;
    m_listing += r.kvs;
    if (r.more && !r.kvs.isEmpty()) {
        fetchPage(r.kvs.last().key + '\0', generation);
        return;
    }
    m_backoffMs = 0;
    const QList<KeyValue> listing = std::exchange(m_listing, {});
    Q_EMIT listed(listing, m_listRevision);
    if (generation == m_generation && m_running)
        follow(m_listRevision);
}

void PrefixFeed::follow(qint64 revision)
{
    m_watch.reset(m_client->watchHub()->watch(m_key, m_rangeEnd, revision + 1, false, nullptr));
    connect(m_watch.get(), &Watch::eventsReceived, this, &PrefixFeed::eventsReceived);
    connect(m_watch.get(), &Watch::compacted, this, [this] {
        qCInfo(lcWatch).noquote() << "prefix" << QString::fromUtf8(m_key)
                                  << "watch compacted, listing again";
        setSynced(false);
        relistIn(0);
    });
    connect(m_watch.get(), &Watch::failed, this, [this](Error e, const QString &message) {
        setSynced(false);
        Q_EMIT watchFailed(e, message);
        relistIn(WatchRetryMs);
    });
    setSynced(true);
}

void PrefixFeed::relistIn(int ms)
{
    if (m_running)
        m_retryTimer.start(ms);
}

void PrefixFeed::setSynced(bool on)
{
    if (m_synced == on)
        return;
    m_synced = on;
    Q_EMIT syncedChanged(on);
}

} // namespace Conclave
