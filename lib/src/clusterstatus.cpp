#include <conclave/client.h>
#include <conclave/clusterstatus.h>

#include "client_p.h"
#include "codec.h"
#include "gatewayreply.h"
#include "logging.h"

#include <QtCore/QHash>
#include <QtCore/QJsonArray>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <algorithm>
#include <utility>

namespace Conclave {

namespace {
constexpr int DefaultIntervalMs = 5000;
constexpr int MinIntervalMs = 500;

QString urlsKey(const QList<QUrl> &urls)
{
    QStringList parts;
    for (const QUrl &url : urls)
        parts << url.toString();
    return parts.join(QLatin1Char(','));
}

bool isRefusal(Error error)
{
    return error == Error::PermissionDenied || error == Error::AuthenticationError;
}
} // namespace

/*
 * One poll: the member list through the Client, then each member at its own client URL (a
 * Client per member, made like the user's). Results go into `next` and replace `members` only
 * when every member has answered or failed, so readers never see half a poll.
 */
class ClusterStatusPrivate : public QObject
{
public:
    ClusterStatusPrivate(ClusterStatus *q, Client *client)
        : q(q)
        , client(client)
    {
        timer.setInterval(DefaultIntervalMs);
        connect(&timer, &QTimer::timeout, this, &ClusterStatusPrivate::poll);
        members = configuredMembers();
    }

    void poll();
    void onListed(GatewayReply *reply);
    void readMember(int index);
    void onStatus(int index, GatewayReply *reply);
    void readVersion(int index, const QString &refusal);
    void memberDone();
    void finish();
    QList<MemberStatus> configuredMembers() const;
    Client *clientFor(const MemberStatus &member);
    void judgeLeader();

    ClusterStatus *const q;
    Client *const client;
    QTimer timer;
    bool running = false;
    int generation = 0;
    int outstanding = 0;
    bool polling = false;
    QList<MemberStatus> members;
    QList<MemberStatus> next;
    QList<quint64> reportedLeader; // per member of `next`: the leader it names (0: none), or -1 unread
    QString listProblem;
    QString problem;
    ClusterStatus::LeaderState leaderState = ClusterStatus::LeaderState::Unknown;
    quint64 leaderId = 0;
    quint64 clusterId = 0;
    QDateTime updatedAt;
    QHash<QString, Client *> memberClients; // by the member's client URLs
};

QList<MemberStatus> ClusterStatusPrivate::configuredMembers() const
{
    QList<MemberStatus> configured;
    for (const QUrl &url : client->endpoints()) {
        MemberStatus m;
        m.clientUrls = {url};
        m.endpoint = url;
        configured << m;
    }
    return configured;
}

Client *ClusterStatusPrivate::clientFor(const MemberStatus &member)
{
    const QString key = urlsKey(member.clientUrls);
    Client *&c = memberClients[key];
    if (!c) {
        c = new Client(this);
        const auto budget = std::chrono::milliseconds(std::max(MinIntervalMs, timer.interval() - 100));
        ClientPrivate::get(client)->configureLike(c, member.clientUrls, budget);
    }
    return c;
}

void ClusterStatusPrivate::poll()
{
    if (polling)
        return; // the last poll is still waiting for a member: it has a deadline of its own
    polling = true;
    ++generation;
    const int gen = generation;
    GatewayReply *reply = ClientPrivate::get(client)->post(QStringLiteral("member list"), "/v3/cluster/member/list", {},
                                                          ClientPrivate::Retry::Always);
    onFinished(reply, this, [this, gen](GatewayReply *r) {
        if (gen == generation)
            onListed(r);
    });
}

// What etcd lists: {"header":{…},"members":[{"ID":"N","name":…,"clientURLs":[…]}…]}. When the
// list cannot be read, the members known before (or the configured endpoints) are read instead.
void ClusterStatusPrivate::onListed(GatewayReply *reply)
{
    listProblem.clear();
    next.clear();
    if (reply->error() == Error::NoError) {
        clusterId = reply->header().clusterId;
        const QJsonArray listed = reply->json().value(QLatin1String("members")).toArray();
        for (const QJsonValue &v : listed) {
            const QJsonObject o = v.toObject();
            MemberStatus m;
            m.id = Codec::decodeUInt(o.value(QLatin1String("ID")));
            m.name = o.value(QLatin1String("name")).toString();
            for (const QJsonValue &url : o.value(QLatin1String("clientURLs")).toArray())
                m.clientUrls << QUrl(url.toString());
            next << m;
        }
    } else {
        listProblem = isRefusal(reply->error())
                ? QStringLiteral("the member list may not be read (%1): showing the configured endpoints").arg(reply->errorString())
                : QStringLiteral("the member list could not be read: %1").arg(reply->errorString());
        for (const MemberStatus &known : std::as_const(members)) {
            MemberStatus m;
            m.id = known.id;
            m.name = known.name;
            m.clientUrls = known.clientUrls;
            next << m;
        }
        if (isRefusal(reply->error()) || next.isEmpty())
            next = configuredMembers();
    }
    reportedLeader = QList<quint64>(next.size(), quint64(-1));
    outstanding = int(next.size());
    for (int i = 0; i < next.size(); ++i)
        readMember(i);
    if (next.isEmpty())
        finish();
}

void ClusterStatusPrivate::readMember(int index)
{
    MemberStatus &m = next[index];
    if (m.clientUrls.isEmpty()) {
        m.problem = QStringLiteral("not started yet (it advertises no client URL)");
        memberDone();
        return;
    }
    m.endpoint = m.clientUrls.first();
    const int gen = generation;
    onFinished(ClientPrivate::get(clientFor(m))->status(), this, [this, gen, index](GatewayReply *reply) {
        if (gen == generation)
            onStatus(index, reply);
    });
}

// {"header":{…,"member_id":"N"},"version":"3.5.30","dbSize":"20480","leader":"N","raftTerm":"2",…}
void ClusterStatusPrivate::onStatus(int index, GatewayReply *reply)
{
    MemberStatus &m = next[index];
    if (isRefusal(reply->error())) {
        readVersion(index, QStringLiteral("its status may not be read (%1; etcd 3.5.28-3.5.31, 3.6.9-3.6.11 and 3.4.42+ allow it "
                                          "to root only): raft leader, DB size and raft term unknown").arg(reply->errorString()));
        return;
    }
    // The Client asks etcd to refuse calls on a member without a leader (Hasleader): the answer
    // itself says it has none.
    if (reply->error() == Error::Unavailable && reply->errorString().contains(QLatin1String("no leader"))) {
        reportedLeader[index] = 0;
        readVersion(index, QStringLiteral("it has no raft leader (no quorum?): DB size and raft term unknown"));
        return;
    }
    if (reply->error() != Error::NoError) {
        m.problem = QStringLiteral("not reachable: %1").arg(reply->errorString());
        memberDone();
        return;
    }
    const QJsonObject o = reply->json();
    m.reachable = true;
    m.version = o.value(QLatin1String("version")).toString();
    m.dbSize = Codec::decodeInt(o.value(QLatin1String("dbSize")));
    m.raftTerm = Codec::decodeInt(o.value(QLatin1String("raftTerm")));
    if (m.id == 0)
        m.id = reply->header().memberId;
    if (clusterId == 0)
        clusterId = reply->header().clusterId;
    reportedLeader[index] = Codec::decodeUInt(o.value(QLatin1String("leader")));
    memberDone();
}

// maintenance/status not answered (\a why): GET /version needs no permission and no leader and
// still tells the version and whether the member answers.
void ClusterStatusPrivate::readVersion(int index, const QString &why)
{
    const int gen = generation;
    onFinished(ClientPrivate::get(clientFor(next.at(index)))->version(), this, [this, gen, index, why](GatewayReply *reply) {
        if (gen != generation)
            return;
        MemberStatus &m = next[index];
        if (reply->error() == Error::NoError) {
            m.reachable = true;
            m.version = reply->json().value(QLatin1String("etcdserver")).toString();
            m.problem = why;
        } else {
            m.problem = QStringLiteral("not reachable: %1").arg(reply->errorString());
        }
        memberDone();
    });
}

void ClusterStatusPrivate::memberDone()
{
    if (--outstanding == 0)
        finish();
}

/*
 * HasLeader when more of the members that answered name the same leader than name none (a
 * member cut off from the others names none, or for a moment the old leader); NoLeader when
 * those naming none are at least as many; Unknown when no member's status could be read.
 */
void ClusterStatusPrivate::judgeLeader()
{
    QHash<quint64, int> votes;
    int none = 0;
    for (quint64 reported : std::as_const(reportedLeader)) {
        if (reported == quint64(-1))
            continue;
        if (reported == 0)
            ++none;
        else
            ++votes[reported];
    }
    quint64 best = 0;
    for (auto it = votes.cbegin(); it != votes.cend(); ++it)
        if (best == 0 || it.value() > votes.value(best))
            best = it.key();
    leaderId = votes.value(best) > none ? best : 0;
    if (leaderId != 0)
        leaderState = ClusterStatus::LeaderState::HasLeader;
    else
        leaderState = none > 0 ? ClusterStatus::LeaderState::NoLeader : ClusterStatus::LeaderState::Unknown;
    for (MemberStatus &m : next)
        m.isLeader = leaderId != 0 && m.id == leaderId;
}

void ClusterStatusPrivate::finish()
{
    judgeLeader();
    problem = listProblem;
    for (const MemberStatus &m : std::as_const(next))
        if (problem.isEmpty() && !m.problem.isEmpty())
            problem = (m.name.isEmpty() ? m.endpoint.toString() : m.name) + QStringLiteral(": ") + m.problem;
    // Clients of members no longer listed go.
    QSet<QString> keep;
    for (const MemberStatus &m : std::as_const(next))
        keep.insert(urlsKey(m.clientUrls));
    for (auto it = memberClients.begin(); it != memberClients.end();) {
        if (keep.contains(it.key())) {
            ++it;
        } else {
            it.value()->deleteLater();
            it = memberClients.erase(it);
        }
    }
    std::stable_sort(next.begin(), next.end(), [](const MemberStatus &a, const MemberStatus &b) {
        return std::make_pair(a.name, a.endpoint.toString()) < std::make_pair(b.name, b.endpoint.toString());
    });
    members = next;
    updatedAt = QDateTime::currentDateTimeUtc();
    polling = false;
    qCDebug(lcDirectory) << "cluster status:" << members.size() << "members, leader" << Qt::hex << leaderId << Qt::dec
                         << (problem.isEmpty() ? QString() : problem);
    Q_EMIT q->updated();
}

ClusterStatus::ClusterStatus(Client *client, QObject *parent)
    : QObject(parent)
    , d_ptr(std::make_unique<ClusterStatusPrivate>(this, client))
{
}

ClusterStatus::~ClusterStatus() = default;

QList<MemberStatus> ClusterStatus::members() const { return d_func()->members; }
ClusterStatus::LeaderState ClusterStatus::leaderState() const { return d_func()->leaderState; }
quint64 ClusterStatus::leaderId() const { return d_func()->leaderId; }
quint64 ClusterStatus::clusterId() const { return d_func()->clusterId; }
QString ClusterStatus::problem() const { return d_func()->problem; }
QDateTime ClusterStatus::updatedAt() const { return d_func()->updatedAt; }
std::chrono::milliseconds ClusterStatus::interval() const { return std::chrono::milliseconds(d_func()->timer.interval()); }
bool ClusterStatus::isRunning() const { return d_func()->running; }

void ClusterStatus::setInterval(std::chrono::milliseconds interval)
{
    Q_D(ClusterStatus);
    d->timer.setInterval(std::max<int>(MinIntervalMs, int(interval.count())));
}

void ClusterStatus::start()
{
    Q_D(ClusterStatus);
    if (d->running)
        return;
    d->running = true;
    if (!d->updatedAt.isValid())
        d->members = d->configuredMembers(); // the endpoints may have been set after construction
    d->timer.start();
    d->poll();
    Q_EMIT runningChanged(true);
}

void ClusterStatus::stop()
{
    Q_D(ClusterStatus);
    if (!d->running)
        return;
    d->running = false;
    d->timer.stop();
    ++d->generation; // answers still on their way are dropped
    d->polling = false;
    Q_EMIT runningChanged(false);
}

} // namespace Conclave
