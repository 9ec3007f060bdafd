#pragma once

#include <conclave/handover.h>
#include <conclave/leaderinfo.h>

#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <chrono>
#include <memory>

namespace Conclave {
class ElectionDirectory;
class Operation;
}

namespace Monitor {

/*!
 * An operator's resign of one election's leader, followed to its end: the guarded delete of the
 * leader's key (ElectionDirectory::resignLeader), then the handover the directory records for
 * that leader's incarnation, within a deadline from the start. Shared by `--resign` and the
 * window's "Resign leader".
 */
class LeaderResignation : public QObject
{
    Q_OBJECT
public:
    enum class Outcome {
        Pending,
        HandedOver,  //!< the next leader (or nobody) was seen: handover()
        NoNextLeader, //!< the key was deleted; no handover seen before the deadline
        Failed,      //!< the delete failed (errorString(): conflict, permission, …)
        NoAnswer,    //!< etcd did not answer the delete before the deadline (outcome unknown)
    };
    Q_ENUM(Outcome)

    LeaderResignation(Conclave::ElectionDirectory *directory, const QString &election,
                      std::chrono::milliseconds deadline, QObject *parent = nullptr);
    ~LeaderResignation() override;

    //! The leader it resigns: the election's leader when it was made (invalid: none to resign).
    Conclave::LeaderInfo leader() const { return m_leader; }
    QString election() const { return m_election; }
    //! Sends the delete; finished() follows (at once, as Failed, without a leader).
    void start();
    Outcome outcome() const { return m_outcome; }
    Conclave::Handover handover() const { return m_handover; }
    QString errorString() const { return m_error; }

Q_SIGNALS:
    void keyDeleted();
    void finished(Monitor::LeaderResignation::Outcome outcome);

private:
    void onHandover(const Conclave::Handover &handover);
    void finish(Outcome outcome);

    QPointer<Conclave::ElectionDirectory> m_directory;
    const QString m_election;
    const Conclave::LeaderInfo m_leader;
    QTimer m_deadline;
    std::unique_ptr<Conclave::Operation> m_op;
    bool m_deleted = false;
    Outcome m_outcome = Outcome::Pending;
    Conclave::Handover m_handover;
    QString m_error;
};

} // namespace Monitor
