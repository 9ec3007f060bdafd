// Whether the Elector's leader serves: readiness per term, and the status text beside it.
#include "readiness.h"

#include "elector_p.h"
#include "logging.h"
#include "ownkey.h"

namespace Conclave {

Readiness::Readiness(ElectorPrivate &d)
    : d(d)
{
}

bool Readiness::isReady() const { return d.isLeader() && !m_termUnready; }
bool Readiness::isUnready() const { return d.isLeader() ? m_termUnready : m_required; }

void Readiness::setRequired(bool required)
{
    if (m_required == required)
        return;
    m_required = required;
    Q_EMIT d.q_ptr->readinessRequiredChanged(required);
    if (!d.isLeader()) // the next term's start is in our value; a term under way keeps its readiness
        d.own->putValue(OwnKey::ValueWrite::Proclaim);
}

void Readiness::setReady(bool ready)
{
    if (!d.isLeader()) {
        if (ready)
            qCInfo(lcElector) << "setReady(true) ignored: not leading" << d.name << "(a term starts not ready)";
        return;
    }
    if (m_termUnready != ready)
        return;
    m_termUnready = !ready;
    qCInfo(lcElector).noquote() << d.name << (ready ? "leader ready" : "leader not ready");
    Q_EMIT d.q_ptr->readyChanged(ready);
    d.own->putValue(OwnKey::ValueWrite::Proclaim);
}

void Readiness::setStatusText(const QString &text)
{
    if (m_statusText == text)
        return;
    m_statusText = text;
    Q_EMIT d.q_ptr->statusTextChanged(text);
    d.own->putValue(OwnKey::ValueWrite::Proclaim);
}

} // namespace Conclave
