#include "leaderresignation.h"

#include <conclave/electiondirectory.h>
#include <conclave/operation.h>

namespace Monitor {

LeaderResignation::LeaderResignation(Conclave::ElectionDirectory *directory, const QString &election,
                                     std::chrono::milliseconds deadline, QObject *parent)
    : QObject(parent)
    , m_directory(directory)
    , m_election(election)
    , m_leader(directory ? directory->leader(election) : Conclave::LeaderInfo())
{
    m_deadline.setSingleShot(true);
    m_deadline.setInterval(deadline);
    connect(&m_deadline, &QTimer::timeout, this, [this] { finish(m_deleted ? Outcome::NoNextLeader : Outcome::NoAnswer); });
}

LeaderResignation::~LeaderResignation() = default;

void LeaderResignation::start()
{
    if (!m_directory || !m_leader.isValid()) {
        m_error = QStringLiteral("election \"%1\" has no leader to resign").arg(m_election);
        finish(Outcome::Failed);
        return;
    }
    // Heard before the delete's answer too: the next leader may be seen first.
    connect(m_directory, &Conclave::ElectionDirectory::handoverRecorded, this, &LeaderResignation::onHandover);
    m_deadline.start();
    m_op.reset(m_directory->resignLeader(m_election));
    connect(m_op.get(), &Conclave::Operation::finished, this, [this] {
        if (m_op->error() != Conclave::Error::NoError) {
            m_error = m_op->errorString();
            finish(Outcome::Failed);
            return;
        }
        m_deleted = true;
        if (m_outcome == Outcome::Pending)
            Q_EMIT keyDeleted();
    });
}

void LeaderResignation::onHandover(const Conclave::Handover &h)
{
    if (h.election != m_election || h.previous.key() != m_leader.key()
        || h.previous.fencingToken() != m_leader.fencingToken())
        return;
    m_handover = h;
    finish(Outcome::HandedOver);
}

void LeaderResignation::finish(Outcome outcome)
{
    if (m_outcome != Outcome::Pending)
        return;
    m_outcome = outcome;
    m_deadline.stop();
    if (m_directory)
        m_directory->disconnect(this);
    Q_EMIT finished(outcome);
}

} // namespace Monitor
