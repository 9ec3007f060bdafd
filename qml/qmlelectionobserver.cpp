#include "qmlelectionobserver.h"

#include "leadermap.h"

namespace Conclave::Qml {

ElectionObserver::ElectionObserver(QObject *parent)
    : QObject(parent)
{
    connect(m_source.ownClient(), &Conclave::Client::endpointsChanged, this, &ElectionObserver::endpointsChanged);
    // Its own Client's complaints (an invalid endpoint) are this object's.
    connect(m_source.ownClient(), &Conclave::Client::errorOccurred, this, &ElectionObserver::errorOccurred);
    rebuild();
}

ElectionObserver::~ElectionObserver() = default;

void ElectionObserver::rebuild()
{
    using O = Conclave::ElectionObserver;
    const bool replacing = bool(m_observer);
    const QString name = replacing ? m_observer->electionName() : QString();
    if (m_observer)
        m_observer->disconnect(this);
    m_observer = std::make_unique<O>(m_source.client());
    m_observer->setElectionName(name);
    O *o = m_observer.get();
    connect(o, &O::electionNameChanged, this, &ElectionObserver::electionNameChanged);
    connect(o, &O::runningChanged, this, &ElectionObserver::runningChanged);
    connect(o, &O::syncedChanged, this, &ElectionObserver::syncedChanged);
    connect(o, &O::leaderChanged, this, &ElectionObserver::leaderChanged);
    connect(o, &O::candidatesChanged, this, &ElectionObserver::candidatesChanged);
    connect(o, &O::errorChanged, this, &ElectionObserver::errorChanged);
    connect(o, &O::errorOccurred, this, &ElectionObserver::errorOccurred);
    if (replacing) { // the new one has not listed anything yet
        Q_EMIT runningChanged();
        Q_EMIT syncedChanged();
        Q_EMIT leaderChanged();
        Q_EMIT candidatesChanged();
        Q_EMIT errorChanged();
    }
}

void ElectionObserver::setConnection(Connection *connection)
{
    if (connection == m_source.connection())
        return;
    m_source.setConnection(connection, this, [this] {
        rebuild();
        update();
        Q_EMIT connectionChanged();
    });
}

void ElectionObserver::setElectionName(const QString &name)
{
    if (name == m_observer->electionName())
        return;
    m_observer->stop(); // ElectionObserver takes a new name only while stopped
    m_observer->setElectionName(name);
    update();
}

void ElectionObserver::setActive(bool active)
{
    if (active == m_active)
        return;
    m_active = active;
    update();
    Q_EMIT activeChanged();
}

void ElectionObserver::componentComplete()
{
    m_complete = true;
    update();
}

void ElectionObserver::update()
{
    const bool wanted = m_complete && m_active && !m_observer->electionName().isEmpty();
    if (wanted && !m_observer->isRunning())
        m_observer->start();
    else if (!wanted && m_observer->isRunning())
        m_observer->stop();
}

QVariant ElectionObserver::leader() const
{
    return leaderMap(m_observer->leader());
}

QVariant ElectionObserver::candidates() const
{
    return leaderMaps(m_observer->candidates());
}

} // namespace Conclave::Qml
