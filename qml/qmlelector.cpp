#include "qmlelector.h"

#include "leadermap.h"

#include <QtQml/QQmlInfo>

namespace Conclave::Qml {

static_assert(int(Elector::Leader) == int(Conclave::Elector::Role::Leader)
              && int(Elector::Follower) == int(Conclave::Elector::Role::Follower)
              && int(Elector::NotAMember) == int(Conclave::Elector::Role::NotAMember));

Elector::Elector(QObject *parent)
    : QObject(parent)
    , m_elector(std::make_unique<Conclave::Elector>(m_source.client()))
{
    connectElector();
    connect(m_source.ownClient(), &Conclave::Client::endpointsChanged, this, &Elector::endpointsChanged);
    // Its own Client's complaints (an invalid endpoint) are this object's.
    connect(m_source.ownClient(), &Conclave::Client::errorOccurred, this, &Elector::errorOccurred);
}

Elector::~Elector() = default;

void Elector::connectElector()
{
    using E = Conclave::Elector;
    E *e = m_elector.get();
    connect(e, &E::electionNameChanged, this, &Elector::electionNameChanged);
    connect(e, &E::candidateIdChanged, this, &Elector::candidateIdChanged);
    connect(e, &E::ttlChanged, this, &Elector::ttlChanged);
    connect(e, &E::priorityChanged, this, &Elector::priorityChanged);
    connect(e, &E::eligibleChanged, this, &Elector::eligibleChanged);
    connect(e, &E::readinessRequiredChanged, this, &Elector::readinessRequiredChanged);
    connect(e, &E::readyChanged, this, &Elector::readyChanged);
    connect(e, &E::statusTextChanged, this, &Elector::statusTextChanged);
    connect(e, &E::roleChanged, this, &Elector::roleChanged);
    connect(e, &E::campaigningChanged, this, &Elector::campaigningChanged);
    connect(e, &E::leaderChanged, this, &Elector::leaderChanged);
    connect(e, &E::fencingTokenChanged, this, &Elector::fencingTokenChanged);
    connect(e, &E::errorChanged, this, &Elector::errorChanged);
    connect(e, &E::errorOccurred, this, &Elector::errorOccurred);
}

// A new Elector on the current Client with the settings of the old one (which had not joined;
// readiness is per term, so a new Elector starts as the library does).
void Elector::rebuild()
{
    auto next = std::make_unique<Conclave::Elector>(m_source.client());
    const Conclave::Elector *old = m_elector.get();
    next->setElectionName(old->electionName());
    next->setCandidateId(old->candidateId());
    next->setTtl(old->ttl());
    next->setAttributes(old->attributes());
    next->setAdvertisedAddress(old->advertisedHost(), old->advertisedPort());
    next->setPriority(old->priority());
    next->setEligible(old->isEligible());
    next->setReadinessRequired(old->isReadinessRequired());
    next->setStatusText(old->statusText());
    std::swap(m_elector, next); // `next` is the old one now, gone at the end of this function
    next->disconnect(this);
    connectElector();
    // The new one has not joined: whatever the old one showed is gone.
    if (next->role() != m_elector->role())
        Q_EMIT roleChanged();
    if (next->isCampaigning())
        Q_EMIT campaigningChanged();
    if (next->leader().isValid())
        Q_EMIT leaderChanged();
    if (next->fencingToken() != 0)
        Q_EMIT fencingTokenChanged();
    if (next->error() != Conclave::Error::NoError)
        Q_EMIT errorChanged();
}

void Elector::setConnection(Connection *connection)
{
    if (connection == m_source.connection())
        return;
    if (m_elector->isCampaigning()) {
        qmlWarning(this) << "connection cannot change while campaigning: leave() first";
        return;
    }
    m_source.setConnection(connection, this, [this] {
        rebuild();
        Q_EMIT connectionChanged();
    });
}

void Elector::setAttributes(const QVariantMap &attributes)
{
    if (attributes == m_elector->attributes())
        return;
    // A binding that changes while campaigning proclaims: followers see the new attributes.
    if (m_elector->isCampaigning())
        m_elector->proclaim(attributes);
    else
        m_elector->setAttributes(attributes);
    Q_EMIT attributesChanged();
}

void Elector::proclaim(const QVariantMap &attributes)
{
    m_elector->proclaim(attributes);
    Q_EMIT attributesChanged();
}

void Elector::setAdvertisedHost(const QString &host)
{
    if (host == m_elector->advertisedHost())
        return;
    m_elector->setAdvertisedAddress(host, m_elector->advertisedPort());
    Q_EMIT advertisedAddressChanged();
}

void Elector::setAdvertisedPort(int port)
{
    if (port == m_elector->advertisedPort())
        return;
    m_elector->setAdvertisedAddress(m_elector->advertisedHost(), port);
    Q_EMIT advertisedAddressChanged();
}

QVariant Elector::leader() const
{
    return leaderMap(m_elector->leader());
}

} // namespace Conclave::Qml
