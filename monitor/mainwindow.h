#pragma once

#include "electionhealth.h"

#include <conclave/clusterstatus.h>
#include <conclave/connectionsettings.h>

#include <QtCore/QMap>
#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtWidgets/QMainWindow>

#include <chrono>
#include <functional>
#include <memory>

QT_BEGIN_NAMESPACE
class QAction;
class QDockWidget;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;
QT_END_NAMESPACE

namespace Conclave {
class Client;
class ElectionDirectory;
class Operation;
}

namespace Monitor {

class AdminActions;
class AuditLog;
class AuditView;
class CandidateModel;
class ElectionListModel;
class EtcdMembersView;
class HistoryPane;
class HistoryStore;
class LeadershipChart;
class LeadershipStripDelegate;
class TimelineModel;

/*!
 * The dashboard: elections on the left (filter box, sortable columns, a leadership strip per
 * election), the selected election's queue and anomalies on the right, its leadership chart
 * and handovers below, the audit log in a dock, freshness and counts by status in the status
 * bar. Views stay thin: the models, the history and the library's ElectionDirectory hold the
 * state.
 */
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    struct Options
    {
        Conclave::ConnectionSettings connection;
        QString prefix;
        bool readOnly = false;   //!< --read-only
        bool remember = false;   //!< save connection settings (not the password) with QSettings
        HealthRules rules;       //!< --flap-threshold, --not-ready-limit
        QString auditLog;        //!< --audit-log (empty: AuditLog::defaultFile())
        std::chrono::seconds chartSpan{15 * 60}; //!< --chart-span
    };
    explicit MainWindow(const Options &options, QWidget *parent = nullptr);
    ~MainWindow() override;

    Conclave::ElectionDirectory *directory() const { return m_directory; }
    Conclave::ClusterStatus *cluster() const { return m_cluster; }
    EtcdMembersView *membersView() const { return m_membersView; }
    Conclave::Client *client() const { return m_client.get(); }
    ElectionListModel *electionModel() const { return m_electionModel; }
    CandidateModel *candidateModel() const { return m_candidateModel; }
    TimelineModel *timelineModel() const { return m_timelineModel; }
    HistoryStore *history() const { return m_history; }
    QTableView *electionView() const { return m_electionView; }
    //! The sorted and filtered elections the list shows (source: electionModel()).
    QSortFilterProxyModel *electionProxy() const { return m_electionProxy; }
    QLineEdit *filterEdit() const { return m_filter; }
    LeadershipChart *chart() const { return m_chart; }
    LeadershipStripDelegate *stripDelegate() const { return m_strip; }
    AuditLog *auditLog() const { return m_audit; }
    AuditView *auditView() const { return m_auditView; }
    QAction *makeLeaderAction() const { return m_makeLeader; }
    //! How many elections are in each status now (what the status bar shows).
    QMap<Status, int> statusCounts() const;
    QString countsText() const;
    QTableView *candidateView() const { return m_candidateView; }
    QAction *resignAction() const { return m_resign; }
    QAction *evictAction() const { return m_evict; }
    QAction *revokeAction() const { return m_revoke; }
    bool isReadOnly() const { return !m_readOnlyReason.isEmpty(); }
    QString readOnlyReason() const { return m_readOnlyReason; }
    //! The last action's outcome as shown under the queue.
    QString feedback() const;
    //! The freshness line of the status bar.
    QString statusText() const;
    void selectElection(const QString &election);
    QString selectedElection() const;
    //! True once listed, connected, and every lease on screen has a TTL reading.
    bool isDataComplete() const;

    //! Replaces the confirmation dialog (tests, scripted use); returns whether to proceed.
    void setConfirmer(std::function<bool(const QString &title, const QString &text)> confirmer);

public Q_SLOTS:
    void resignSelectedLeader();
    void makeSelectedCandidateLeader();
    void evictSelectedCandidate();
    void revokeSelectedLease();
    void editConnection();

Q_SIGNALS:
    void dataComplete();

private:
    void buildToolbar();
    void buildViews();
    QWidget *buildElectionPane(QWidget *parent);
    void buildAuditDock();
    void showCandidateMenu(const QPoint &pos);
    void connectTo(const Conclave::ConnectionSettings &settings);
    void setModels();
    void followDirectory();
    void fitCandidateColumns(bool always);
    void tick();
    void updateActions();
    void updateStatus();
    void updateDetails();
    void trackVisibleLeases();
    void setFeedback(const QString &text, bool error = false);
    void setReadOnly(const QString &reason);
    void probeWriteAccess();

    Options m_options;
    AdminActions *const m_admin;
    std::unique_ptr<Conclave::Client> m_client;
    QPointer<Conclave::ElectionDirectory> m_directory;
    QPointer<Conclave::ClusterStatus> m_cluster;
    EtcdMembersView *m_membersView = nullptr;
    ElectionListModel *m_electionModel = nullptr;
    QSortFilterProxyModel *m_electionProxy = nullptr;
    CandidateModel *m_candidateModel = nullptr;
    TimelineModel *m_timelineModel = nullptr;
    HistoryStore *m_history = nullptr; // handovers kept across restarts, per cluster
    AuditLog *m_audit = nullptr;
    AuditView *m_auditView = nullptr;
    QDockWidget *m_auditDock = nullptr;
    LeadershipChart *m_chart = nullptr;
    LeadershipStripDelegate *m_strip = nullptr;
    QLineEdit *m_filter = nullptr;
    HistoryPane *m_historyPane = nullptr;
    QLabel *m_counts = nullptr;
    QAction *m_makeLeader = nullptr;
    QTableView *m_electionView = nullptr;
    QTableView *m_candidateView = nullptr;
    QLabel *m_title = nullptr;
    QLabel *m_anomalies = nullptr;
    QLabel *m_feedback = nullptr;
    QLabel *m_status = nullptr;
    QAction *m_connection = nullptr;
    QAction *m_resign = nullptr;
    QAction *m_evict = nullptr;
    QAction *m_revoke = nullptr;
    QString m_readOnlyReason;
    QString m_lastError;
    QTimer m_tick;
    QTimer m_relayout;
    bool m_completeSignalled = false;
};

} // namespace Monitor
