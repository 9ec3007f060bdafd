#include "mainwindow.h"

#include "historypane.h"
#include "historystore.h"

#include "adminactions.h"
#include "auditlog.h"
#include "auditview.h"
#include "candidatemodel.h"
#include "connectiondialog.h"
#include "electionhealth.h"
#include "electionlistmodel.h"
#include "etcdmembers.h"
#include "etcdmembersview.h"
#include "format.h"
#include "leadershipchart.h"
#include "leadershipstripdelegate.h"
#include "monitorsettings.h"
#include "statusstyle.h"
#include "tables.h"
#include "timelinemodel.h"
#include "ttlbardelegate.h"

#include <conclave/client.h>
#include <conclave/clusterstatus.h>
#include <conclave/electiondirectory.h>
#include <conclave/operation.h>

#include <QtCore/QSortFilterProxyModel>
#include <QtGui/QAction>
#include <QtWidgets/QDockWidget>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QMenu>
#include <QtWidgets/QSplitter>
#include <QtWidgets/QStatusBar>
#include <QtWidgets/QTableView>
#include <QtWidgets/QToolBar>
#include <QtWidgets/QVBoxLayout>

namespace Monitor {

namespace {

// Error text that reads on light and dark palettes.
QString errorColor(const QPalette &palette)
{
    return palette.color(QPalette::Base).lightness() < 128 ? QStringLiteral("#ef9a9a") : QStringLiteral("#b71c1c");
}

QString statusBadge(Status status, int size)
{
    return QStringLiteral("<img src=\"%1\" width=\"%2\" height=\"%2\">").arg(statusIconPath(status)).arg(size);
}

} // namespace

MainWindow::MainWindow(const Options &options, QWidget *parent)
    : QMainWindow(parent)
    , m_options(options)
    , m_admin(new AdminActions(this))
{
    setWindowTitle(tr("Conclave monitor"));
    setWindowIcon(QIcon::fromTheme(QStringLiteral("conclave-monitor"), QIcon(QStringLiteral(":/conclave-monitor.svg"))));
    resize(1440, 800);
    m_audit = new AuditLog(options.auditLog.isEmpty() ? AuditLog::defaultFile() : options.auditLog, this);
    m_audit->load();
    buildViews();
    buildAuditDock();
    buildToolbar();
    connect(m_admin, &AdminActions::feedback, this, &MainWindow::setFeedback);
    m_relayout.setSingleShot(true);
    m_relayout.setInterval(0);
    connect(&m_relayout, &QTimer::timeout, this, [this] {
        if (!m_electionView->currentIndex().isValid() && m_electionProxy->rowCount() > 0)
            m_electionView->selectRow(0);
        m_electionView->resizeColumnToContents(ElectionListModel::NameColumn);
        trackVisibleLeases();
    });
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, &MainWindow::tick);
    m_tick.start();
    if (m_options.readOnly)
        setReadOnly(tr("started with --read-only"));
    connectTo(m_options.connection);
}

void MainWindow::buildToolbar()
{
    QToolBar *toolbar = addToolBar(tr("Actions"));
    toolbar->setObjectName(QStringLiteral("actions"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_connection = toolbar->addAction(themedIcon("network-connect", "connect"), tr("Connection…"), this,
                                      &MainWindow::editConnection);
    toolbar->addSeparator();
    m_resign = toolbar->addAction(themedIcon("system-log-out", "resign"), tr("Resign leader"), this,
                                  &MainWindow::resignSelectedLeader);
    m_makeLeader = toolbar->addAction(themedIcon("go-top", "make-leader"), tr("Make leader"), this,
                                      &MainWindow::makeSelectedCandidateLeader);
    m_evict = toolbar->addAction(themedIcon("list-remove-user", "evict"), tr("Evict candidate"), this,
                                 &MainWindow::evictSelectedCandidate);
    m_revoke = toolbar->addAction(themedIcon("edit-delete", "revoke"), tr("Revoke lease"), this,
                                  &MainWindow::revokeSelectedLease);
    toolbar->addSeparator();
    QAction *audit = m_auditDock->toggleViewAction();
    audit->setIcon(themedIcon("document-open-recent", "audit-log"));
    audit->setText(tr("Audit log"));
    toolbar->addAction(audit);
}

void MainWindow::buildAuditDock()
{
    m_auditDock = new QDockWidget(tr("Audit log"), this);
    m_auditDock->setObjectName(QStringLiteral("auditDock"));
    m_auditView = new AuditView(m_auditDock);
    m_auditView->setLog(m_audit);
    m_auditView->setToolTip(tr("Every action taken from this machine, from %1").arg(m_audit->file()));
    m_auditDock->setWidget(m_auditView);
    addDockWidget(Qt::BottomDockWidgetArea, m_auditDock);
    m_auditDock->hide(); // shown from the toolbar, and when an action is recorded
    connect(m_audit, &AuditLog::appended, m_auditDock, &QWidget::show);
}

// The filter box over the sortable elections list, whose last column is the leadership strip.
QWidget *MainWindow::buildElectionPane(QWidget *parent)
{
    auto *pane = new QWidget(parent);
    auto *layout = new QVBoxLayout(pane);
    layout->setContentsMargins(0, 0, 0, 0);
    m_filter = new QLineEdit(pane);
    m_filter->setObjectName(QStringLiteral("filter"));
    m_filter->setPlaceholderText(tr("Filter by election, leader or candidate id"));
    m_filter->setClearButtonEnabled(true);
    m_electionProxy = new QSortFilterProxyModel(this);
    m_electionProxy->setSortRole(ElectionListModel::SortRole);
    m_electionProxy->setFilterRole(ElectionListModel::FilterRole);
    m_electionProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_electionProxy->setDynamicSortFilter(true);
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_electionProxy->setFilterFixedString(text);
        m_relayout.start();
    });
    m_electionView = makeTable(pane);
    m_electionView->setObjectName(QStringLiteral("elections"));
    m_electionView->setModel(m_electionProxy);
    m_electionView->setSortingEnabled(true);
    m_electionView->sortByColumn(ElectionListModel::NameColumn, Qt::AscendingOrder);
    m_strip = new LeadershipStripDelegate(m_electionView);
    m_electionView->setItemDelegateForColumn(ElectionListModel::LeadershipColumn, m_strip);
    connect(m_electionView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
        const QString name = selectedElection();
        m_candidateModel->setElection(name);
        m_timelineModel->setElection(name);
        m_chart->setElection(name);
        if (m_candidateModel->rowCount() > 0)
            m_candidateView->selectRow(0);
        updateDetails();
        trackVisibleLeases();
    });
    // The etcd members under the elections: a few rows, the elections get the room.
    auto *split = new QSplitter(Qt::Vertical, pane);
    split->addWidget(m_electionView);
    m_membersView = new EtcdMembersView(split);
    split->addWidget(m_membersView);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    layout->addWidget(m_filter);
    layout->addWidget(split, 1);
    return pane;
}

// Elections on the left, the selected election's queue on the right, the timeline below.
void MainWindow::buildViews()
{
    auto *vertical = new QSplitter(Qt::Vertical, this);
    auto *horizontal = new QSplitter(Qt::Horizontal, vertical);
    buildElectionPane(horizontal);
    auto *detail = new QWidget(horizontal);
    auto *detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(4, 0, 0, 0);
    m_title = new QLabel(detail);
    m_title->setTextFormat(Qt::RichText);
    m_anomalies = new QLabel(detail);
    m_anomalies->setWordWrap(true);
    m_anomalies->setStyleSheet(QStringLiteral("color: %1").arg(errorColor(palette())));
    m_candidateView = makeTable(detail);
    m_candidateView->setObjectName(QStringLiteral("candidates"));
    m_candidateView->horizontalHeader()->setStretchLastSection(false); // a stretched last column keeps its width when room is short
    m_candidateView->setItemDelegateForColumn(CandidateModel::TtlColumn, new TtlBarDelegate(m_candidateView));
    m_candidateView->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_candidateView, &QWidget::customContextMenuRequested, this, &MainWindow::showCandidateMenu);
    m_feedback = new QLabel(detail);
    m_feedback->setWordWrap(true);
    m_feedback->setObjectName(QStringLiteral("feedback"));
    detailLayout->addWidget(m_title);
    detailLayout->addWidget(m_anomalies);
    detailLayout->addWidget(m_candidateView, 1);
    detailLayout->addWidget(m_feedback);
    m_historyPane = new HistoryPane(m_options.chartSpan, vertical);
    m_chart = m_historyPane->chart();
    connect(m_historyPane, &HistoryPane::spanChanged, this, [this](std::chrono::seconds span) {
        m_strip->setSpan(span);
        m_electionView->viewport()->update();
    });
    // The elections list (with its strips) gets most of the width; the queue's last column
    // (attributes or raw value) is the one that can be cut.
    horizontal->setStretchFactor(0, 3);
    horizontal->setStretchFactor(1, 2);
    horizontal->setSizes({740, 700});
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 2);
    setCentralWidget(vertical);
    m_status = new QLabel(this);
    m_counts = new QLabel(this);
    m_counts->setObjectName(QStringLiteral("counts"));
    m_counts->setTextFormat(Qt::RichText);
    statusBar()->addWidget(m_status, 1);
    statusBar()->addPermanentWidget(m_counts);
}

void MainWindow::showCandidateMenu(const QPoint &pos)
{
    const QModelIndex index = m_candidateView->indexAt(pos);
    if (!index.isValid())
        return;
    m_candidateView->selectRow(index.row());
    QMenu menu(this);
    menu.addAction(m_resign);
    menu.addAction(m_makeLeader);
    menu.addAction(m_evict);
    menu.addAction(m_revoke);
    menu.exec(m_candidateView->viewport()->mapToGlobal(pos));
}

MainWindow::~MainWindow() = default;

void MainWindow::setConfirmer(std::function<bool(const QString &, const QString &)> confirmer)
{
    m_admin->setConfirmer(std::move(confirmer));
}

void MainWindow::connectTo(const Conclave::ConnectionSettings &settings)
{
    // Everything hangs off one Client: rebuild it all for a new connection.
    delete m_electionModel;
    delete m_candidateModel;
    delete m_timelineModel;
    delete m_directory;
    delete m_cluster;
    m_client = std::make_unique<Conclave::Client>();
    m_lastError.clear();
    m_completeSignalled = false;
    if (!m_options.readOnly)
        m_readOnlyReason.clear();
    QString problem;
    if (!settings.applyTo(m_client.get(), &problem))
        m_lastError = problem;
    m_options.connection = settings;
    m_directory = new Conclave::ElectionDirectory(m_client.get(), this);
    m_directory->setPrefix(m_options.prefix);
    m_cluster = new Conclave::ClusterStatus(m_client.get(), this);
    m_membersView->setCluster(m_cluster);
    connect(m_cluster, &Conclave::ClusterStatus::updated, this, &MainWindow::updateStatus);
    delete m_history;
    m_history = new HistoryStore(HistoryStore::fileFor(settings.endpoints(), m_options.prefix), this);
    // The elections are painted first; a long history follows (HistoryStore::loadInBackground).
    m_history->loadInBackground();
    connect(m_history, &HistoryStore::loaded, this, &MainWindow::updateStatus);
    m_history->record(m_directory);
    // A new etcd at the same endpoints does not inherit the old one's history.
    m_history->followCluster(m_cluster);
    connect(m_history, &HistoryStore::reloaded, m_electionView->viewport(), qOverload<>(&QWidget::update));
    m_admin->setDirectory(m_directory);
    m_admin->setAuditLog(m_audit, settings.endpoints());
    m_chart->setSources(m_directory, m_history);
    m_strip->setSources(m_directory, m_history);
    setModels();
    followDirectory();
    if (m_lastError.isEmpty()) {
        m_directory->start();
        m_cluster->start();
    }
    updateActions();
    updateDetails();
    updateStatus();
}

void MainWindow::setModels()
{
    m_electionModel = new ElectionListModel(m_directory, this);
    m_electionModel->setHealthRules(m_options.rules);
    m_candidateModel = new CandidateModel(m_directory, this);
    m_timelineModel = new TimelineModel(m_directory, m_history, this);
    m_electionProxy->setSourceModel(m_electionModel);
    m_candidateView->setModel(m_candidateModel);
    m_historyPane->setTimelineModel(m_timelineModel);
    // Which actions apply (and "Make leader"'s preview) depend on the selected candidate.
    connect(m_candidateView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &MainWindow::updateActions);
    m_electionView->horizontalHeader()->setSectionResizeMode(ElectionListModel::NameColumn, QHeaderView::Interactive);
    m_electionView->setColumnWidth(ElectionListModel::NameColumn, 200);
    const QFontMetrics fm = m_electionView->fontMetrics();
    // Wide enough for the longest status with its icon, the TTL text, the headers.
    // … and never narrower than the header with its sort indicator.
    auto fit = [this](int column, int width) {
        m_electionView->setColumnWidth(column, qMax(width, m_electionView->horizontalHeader()->sectionSizeHint(column)));
    };
    fit(ElectionListModel::StatusColumn, fm.horizontalAdvance(statusName(Status::LeaseLow)) + 36);
    fit(ElectionListModel::LeaderColumn, 100);
    fit(ElectionListModel::CandidatesColumn, 0);
    fit(ElectionListModel::LeaderTtlColumn, fm.horizontalAdvance(QStringLiteral("10.0 s of 10 s")) + 16);
    fit(ElectionListModel::InOfficeColumn, fm.horizontalAdvance(QStringLiteral("≥ 59 min 59 s")) + 12);
    m_candidateView->setColumnWidth(CandidateModel::TtlColumn, 120);
    connect(m_candidateModel, &QAbstractItemModel::modelReset, this, [this] {
        if (m_candidateModel->rowCount() > 0)
            m_candidateView->selectRow(0);
        fitCandidateColumns(true);
    });
    connect(m_candidateModel, &QAbstractItemModel::dataChanged, this, [this] { fitCandidateColumns(false); });
    // A listing inserts hundreds of rows one by one: lay out once, after the burst.
    connect(m_electionModel, &QAbstractItemModel::rowsInserted, &m_relayout, qOverload<>(&QTimer::start));
}

// Address and Details show only when some candidate has one: empty columns would push the
// fencing token and the join time out of view.
// Widths are fitted when the election changes or a column appears, not on every update (the
// user may have dragged them).
void MainWindow::fitCandidateColumns(bool always)
{
    bool changed = always;
    for (const int column : {int(CandidateModel::AddressColumn), int(CandidateModel::DetailsColumn)}) {
        bool any = false;
        for (int row = 0; row < m_candidateModel->rowCount() && !any; ++row)
            any = !m_candidateModel->index(row, column).data().toString().isEmpty();
        changed = changed || m_candidateView->isColumnHidden(column) == any;
        m_candidateView->setColumnHidden(column, !any);
    }
    if (!changed)
        return;
    m_candidateView->resizeColumnsToContents();
    m_candidateView->setColumnWidth(CandidateModel::TtlColumn, qMax(120, m_candidateView->columnWidth(CandidateModel::TtlColumn)));
}

void MainWindow::followDirectory()
{
    using Dir = Conclave::ElectionDirectory;
    connect(m_directory, &Dir::electionChanged, this, [this](const QString &e) {
        if (e == selectedElection())
            updateDetails();
    });
    connect(m_directory, &Dir::syncedChanged, this, [this](bool synced) {
        if (synced && m_options.remember)
            rememberConnection(m_options.connection);
        trackVisibleLeases();
        updateStatus();
    });
    connect(m_directory, &Dir::connectedChanged, this, [this](bool connected) {
        if (connected && m_readOnlyReason.isEmpty())
            probeWriteAccess();
        updateStatus();
    });
    connect(m_directory, &Dir::errorOccurred, this, [this](Conclave::Error, const QString &message) {
        m_lastError = message;
        updateStatus();
    });
    auto signalComplete = [this] {
        if (!m_completeSignalled && isDataComplete()) {
            m_completeSignalled = true;
            Q_EMIT dataComplete();
        }
    };
    connect(m_directory, &Dir::leasesUpdated, this, [this, signalComplete] {
        updateDetails();
        signalComplete();
    });
    connect(m_cluster, &Conclave::ClusterStatus::updated, this, signalComplete);
}

void MainWindow::tick()
{
    if (m_electionModel)
        m_electionModel->refreshLiveColumns();
    if (m_candidateModel)
        m_candidateModel->refreshLiveColumns();
    trackVisibleLeases();
    updateStatus();
}

// TTLs are polled only for what is on screen: the visible rows' leaders and the selected
// election's candidates. The directory spreads the polls under its request budget.
void MainWindow::trackVisibleLeases()
{
    if (!m_directory)
        return;
    QSet<qint64> leases;
    const int rows = m_electionModel->rowCount();
    if (rows > 0 && m_electionProxy->rowCount() > 0) {
        int first = m_electionView->rowAt(0);
        int last = m_electionView->rowAt(m_electionView->viewport()->height() - 1);
        if (first < 0)
            first = 0;
        if (last < 0)
            last = qMin(m_electionProxy->rowCount() - 1, first + 60);
        for (int row = first; row <= last; ++row) {
            const QString name = m_electionProxy->index(row, 0).data(ElectionListModel::ElectionRole).toString();
            leases.insert(m_directory->leader(name).leaseId());
        }
    }
    const QString selected = selectedElection();
    if (!selected.isEmpty())
        for (const Conclave::LeaderInfo &c : m_directory->candidates(selected))
            leases.insert(c.leaseId());
    leases.remove(0);
    if (leases != m_directory->trackedLeases())
        m_directory->setTrackedLeases(leases);
}

bool MainWindow::isDataComplete() const
{
    if (!m_directory || !m_directory->isSynced() || !m_directory->isConnected())
        return false;
    if (m_cluster && !m_cluster->updatedAt().isValid())
        return false;
    const QSet<qint64> tracked = m_directory->trackedLeases();
    for (const qint64 lease : tracked)
        if (m_directory->leaseStatus(lease).state == Conclave::LeaseStatus::State::Unknown)
            return false;
    return true;
}

QString MainWindow::selectedElection() const
{
    return m_electionView->currentIndex().data(ElectionListModel::ElectionRole).toString();
}

void MainWindow::selectElection(const QString &election)
{
    const int row = m_electionModel->rowOf(election);
    const QModelIndex shown = row >= 0 ? m_electionProxy->mapFromSource(m_electionModel->index(row, 0)) : QModelIndex();
    if (shown.isValid())
        m_electionView->selectRow(shown.row());
}

QMap<Status, int> MainWindow::statusCounts() const
{
    QMap<Status, int> counts;
    if (!m_electionModel)
        return counts;
    for (int row = 0; row < m_electionModel->rowCount(); ++row)
        ++counts[Status(m_electionModel->index(row, 0).data(ElectionListModel::StatusRole).toInt())];
    return counts;
}

QString MainWindow::countsText() const
{
    return m_counts->text();
}

QString MainWindow::feedback() const
{
    return m_feedback->text();
}

QString MainWindow::statusText() const
{
    return m_status->text();
}

void MainWindow::setFeedback(const QString &text, bool error)
{
    m_feedback->setStyleSheet(error ? QStringLiteral("color: %1").arg(errorColor(palette())) : QString());
    m_feedback->setText(text);
}

void MainWindow::updateDetails()
{
    const QString name = selectedElection();
    if (name.isEmpty() || !m_directory) {
        m_title->setText(tr("<i>No election selected</i>"));
        m_anomalies->clear();
        updateActions();
        return;
    }
    const Conclave::LeaderInfo leader = m_directory->leader(name);
    const Health health = assess(*m_directory, name, m_options.rules);
    const bool stale = !m_directory->isSynced() || !m_directory->isConnected();
    const Status status = stale ? Status::Stale : health.status;
    m_title->setText(tr("%1 <b>%2</b> — <span style=\"color: %3\">%4</span>, leader %5")
                             .arg(statusBadge(status, 16), name.toHtmlEscaped(), statusColor(status).name(),
                                  statusName(status), leader.isValid() ? leader.id().toHtmlEscaped() : tr("(none)")));
    m_anomalies->setText(health.anomalies.join(QLatin1Char('\n')));
    m_anomalies->setVisible(!health.anomalies.isEmpty());
    updateActions();
}

void MainWindow::updateActions()
{
    const QString name = m_directory ? selectedElection() : QString();
    const bool hasLeader = !name.isEmpty() && m_directory->leader(name).isValid();
    const QModelIndex current = m_candidateView->currentIndex();
    const bool hasCandidate = current.isValid();
    const QString why = isReadOnly() ? tr("Read-only: %1").arg(m_readOnlyReason) : QString();
    m_resign->setEnabled(!isReadOnly() && hasLeader);
    m_resign->setToolTip(!why.isEmpty() ? why : tr("Delete the leader's key (guarded by its fencing token); the next candidate takes over"));
    m_evict->setEnabled(!isReadOnly() && hasCandidate);
    m_evict->setToolTip(!why.isEmpty() ? why : tr("Delete the selected candidate's key (guarded by its fencing token)"));
    m_revoke->setEnabled(!isReadOnly() && hasCandidate && m_candidateModel->candidateAt(current.row()).leaseId() != 0);
    bool possible = false;
    const QString preview = hasCandidate && !m_candidateModel->isStray(current.row())
            ? m_admin->transferPreview(m_candidateModel->candidateAt(current.row()), name, &possible)
            : tr("Select a candidate to make it leader");
    m_makeLeader->setEnabled(!isReadOnly() && possible);
    m_makeLeader->setToolTip(!why.isEmpty() ? why : preview);
    m_revoke->setToolTip(!why.isEmpty() ? why : tr("Revoke the selected candidate's lease: every key on it goes"));
}

void MainWindow::updateStatus()
{
    if (!m_directory)
        return;
    QStringList parts;
    const bool live = m_directory->isConnected() && m_directory->isSynced();
    if (!m_lastError.isEmpty() && !m_directory->isRunning())
        parts << tr("✖ not connected: %1").arg(m_lastError);
    else if (live)
        parts << tr("● live — %1").arg(m_client->currentEndpoint().toString());
    else
        parts << tr("○ STALE (reconnecting to %1)").arg(m_client->currentEndpoint().toString());
    if (!m_directory->serverVersion().isEmpty())
        parts << tr("etcd %1").arg(m_directory->serverVersion());
    parts << tr("revision %1").arg(m_directory->revision());
    parts << (m_directory->lastUpdate().isValid() ? tr("updated %1 ago").arg(age(m_directory->lastUpdate()))
                                                  : tr("no answer yet"));
    const int elections = int(m_directory->elections().size());
    parts << (elections == 1 ? tr("1 election") : tr("%1 elections").arg(elections));
    if (const QString warning = m_cluster ? clusterWarning(*m_cluster) : QString(); !warning.isEmpty())
        parts << QStringLiteral("⚠ ") + warning;
    if (m_history && m_history->isLoading())
        parts << tr("reading the history…");
    if (isReadOnly())
        parts << tr("read-only (%1)").arg(m_readOnlyReason);
    if (!live && !m_lastError.isEmpty() && m_directory->isRunning())
        parts << m_lastError;
    m_status->setText(parts.join(QStringLiteral(" · ")));
    const bool etcdWell = !m_cluster || clusterWarning(*m_cluster).isEmpty();
    m_status->setStyleSheet(live && etcdWell ? QString() : QStringLiteral("color: %1").arg(errorColor(palette())));
    const QMap<Status, int> counts = statusCounts();
    QStringList shown;
    for (const Status s : AllStatuses)
        if (counts.value(s) > 0)
            shown << QStringLiteral("%1 %2 %3").arg(statusBadge(s, 12)).arg(counts.value(s)).arg(statusName(s));
    m_counts->setText(shown.join(QStringLiteral(" &nbsp; ")));
}

void MainWindow::setReadOnly(const QString &reason)
{
    m_readOnlyReason = reason;
    updateActions();
    updateStatus();
}

void MainWindow::probeWriteAccess()
{
    Conclave::Operation *op = m_directory->checkWriteAccess();
    const QPointer<Conclave::ElectionDirectory> directory = m_directory;
    connect(op, &Conclave::Operation::finished, this, [this, op, directory] {
        op->deleteLater();
        if (directory != m_directory || m_options.readOnly)
            return;
        if (op->error() == Conclave::Error::PermissionDenied)
            setReadOnly(tr("user %1 may not delete keys under %2")
                                .arg(m_options.connection.user(),
                                     m_options.prefix.isEmpty() ? tr("the keyspace") : m_options.prefix));
    });
}

void MainWindow::resignSelectedLeader()
{
    if (!isReadOnly())
        m_admin->resignLeader(selectedElection());
}

void MainWindow::makeSelectedCandidateLeader()
{
    const QModelIndex current = m_candidateView->currentIndex();
    if (!isReadOnly() && current.isValid() && !m_candidateModel->isStray(current.row())) {
        m_admin->makeLeader(m_candidateModel->candidateAt(current.row()), m_candidateModel->election());
    }
}

void MainWindow::evictSelectedCandidate()
{
    const QModelIndex current = m_candidateView->currentIndex();
    if (!isReadOnly() && current.isValid())
        m_admin->evict(m_candidateModel->candidateAt(current.row()), m_candidateModel->election());
}

void MainWindow::revokeSelectedLease()
{
    const QModelIndex current = m_candidateView->currentIndex();
    if (!isReadOnly() && current.isValid())
        m_admin->revokeLease(m_candidateModel->candidateAt(current.row()).leaseId());
}

void MainWindow::editConnection()
{
    ConnectionDialog dialog(m_options.connection, m_options.prefix, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    m_options.prefix = dialog.prefix();
    m_options.remember = true;
    connectTo(dialog.settings());
}

} // namespace Monitor
