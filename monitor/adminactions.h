#pragma once

#include <conclave/leaderinfo.h>

#include <QtCore/QObject>
#include <QtCore/QPointer>

#include <functional>

QT_BEGIN_NAMESPACE
class QWidget;
QT_END_NAMESPACE

namespace Conclave {
class ElectionDirectory;
struct Handover;
class Operation;
}

namespace Monitor {

/*!
 * The operator's actions, each confirmed first and guarded by the library: resign a leader,
 * evict a candidate, revoke a lease (after listing every key it holds). Progress and outcome
 * come as feedback(); a resign is followed until the next leader is seen.
 */
class AdminActions : public QObject
{
    Q_OBJECT
public:
    using Confirmer = std::function<bool(const QString &title, const QString &text)>;

    //! Confirmation dialogs are children of \a window.
    explicit AdminActions(QWidget *window);
    void setDirectory(Conclave::ElectionDirectory *directory);
    //! Replaces the confirmation dialog (tests, scripted use); returns whether to proceed.
    void setConfirmer(Confirmer confirmer) { m_confirmer = std::move(confirmer); }

    void resignLeader(const QString &election);
    void evict(const Conclave::LeaderInfo &candidate, const QString &election);
    void revokeLease(qint64 lease);

Q_SIGNALS:
    void feedback(const QString &text, bool error);

private:
    bool confirm(const QString &title, const QString &text);
    void follow(Conclave::Operation *op, const QString &pending, std::function<void()> onSuccess);
    void confirmRevoke(qint64 lease, const QByteArrayList &keys);
    void onHandover(const Conclave::Handover &handover);

    QWidget *const m_window;
    QPointer<Conclave::ElectionDirectory> m_directory;
    QString m_awaitingHandover; // election whose resign we wait to see completed
    Confirmer m_confirmer;
};

} // namespace Monitor
