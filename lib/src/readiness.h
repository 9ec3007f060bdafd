#pragma once

#include <QtCore/QObject>
#include <QtCore/QString>

namespace Conclave {

class ElectorPrivate;

/*!
 * The Elector's part that says whether its leader serves: with readiness required, every term
 * starts not ready, and our value says `"ready":false` until the application marks the term
 * ready; the status text goes beside it. Followers read both from the leader's value
 * (LeaderInfo::isReady(), statusText()).
 */
class Readiness : public QObject
{
    Q_OBJECT
public:
    explicit Readiness(ElectorPrivate &d);

    bool isRequired() const { return m_required; }
    void setRequired(bool required);
    //! Leading and ready in this term.
    bool isReady() const;
    void setReady(bool ready);
    QString statusText() const { return m_statusText; }
    void setStatusText(const QString &text);
    //! Whether our value says "not ready": in a term not yet ready, or (not leading) when every
    //! term starts not ready.
    bool isUnready() const;
    //! A term begins: not ready if readiness is required.
    void termStarted() { m_termUnready = m_required; }

private:
    ElectorPrivate &d;
    bool m_required = false;
    bool m_termUnready = false;
    QString m_statusText;
};

} // namespace Conclave
