#include "mainwindow.h"

#include "historystore.h"

#include "adminactions.h"
#include "candidatemodel.h"
#include "connectiondialog.h"
#include "electionhealth.h"
#include "electionlistmodel.h"
#include "format.h"
#include "monitorsettings.h"
#include "timelinemodel.h"
#include "ttlbardelegate.h"

#include <conclave/client.h>
#include <conclave/electiondirectory.h>
#include <conclave/operation.h>

#include <QtGui/QAction>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QMenu>
#include <QtWidgets/QSplitter>
#include <QtWidgets/QStatusBar>
#include <QtWidgets/QTableView>
#include <QtWidgets/QToolBar>
#include <QtWidgets/QVBoxLayout>

namespace Monitor {

namespace {

QTableView *makeTable(QWidget *parent)
{
    auto *view = new QTableView(parent);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setStretchLastSection(true);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    return view;
}

} // namespace

MainWindow::MainWindow(const Options &options, QWidget *parent)
    : QMainWindow(parent)
    , m_options(options)
    , m_admin(new AdminActions(this))
{
    setWindowTitle(tr("Conclave monitor"));
    setWindowIcon(QIcon::fromTheme(QStringLiteral("conclave-monitor")));
    resize(1440, 800);
    buildToolbar();
    buildViews();
    connect(m_admin, &AdminActions::feedback, this, &MainWindow::setFeedback);
    m_relayout.setSingleShot(true);
    m_relayout.setInterval(0);
    connect(&m_relayout, &QTimer::timeout, this, [this] {
        if (!m_electionView->currentIndex().isValid() && m_electionModel->rowCount() > 0)
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
    m_connection = toolbar->addAction(tr("Connection…"), this, &MainWindow::editConnection);
    toolbar->addSeparator();
    m_resign = toolbar->addAction(tr("Resign leader"), this, &MainWindow::resignSelectedLeader);
    m_evict = toolbar->addAction(tr("Evict candidate"), this, &MainWindow::evictSelectedCandidate);
    m_revoke = toolbar->addAction(tr("Revoke lease"), this, &MainWindow::revokeSelectedLease);
}

// Elections on the left, the selected election's queue on the right, the timeline below.
void MainWindow::buildViews()
{
    auto *vertical = new QSplitter(Qt::Vertical, this);
    auto *horizontal = new QSplitter(Qt::Horizontal, vertical);
    m_electionView = makeTable(horizontal);
    m_electionView->setObjectName(QStringLiteral("elections"));
    auto *detail = new QWidget(horizontal);
    auto *detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(4, 0, 0, 0);
    m_title = new QLabel(detail);
    m_title->setTextFormat(Qt::RichText);
    m_anomalies = new QLabel(detail);
    m_anomalies->setWordWrap(true);
    m_anomalies->setStyleSheet(QStringLiteral("color: #b71c1c"));
    m_candidateView = makeTable(detail);
    m_candidateView->setObjectName(QStringLiteral("candidates"));
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
    m_timelineView = makeTable(vertical);
    m_timelineView->setObjectName(QStringLiteral("timeline"));
    horizontal->setSizes({640, 800});
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 1);
    setCentralWidget(vertical);
    m_status = new QLabel(this);
    statusBar()->addWidget(m_status, 1);
}

void MainWindow::showCandidateMenu(const QPoint &pos)
{
    const QModelIndex index = m_candidateView->indexAt(pos);
    if (!index.isValid())
        return;
    m_candidateView->selectRow(index.row());
    QMenu menu(this);
    menu.addAction(m_resign);
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
    delete m_history;
    m_history = new HistoryStore(HistoryStore::fileFor(settings.endpoints(), m_options.prefix), this);
    m_history->load();
    m_history->record(m_directory);
    m_admin->setDirectory(m_directory);
    setModels();
    followDirectory();
    if (m_lastError.isEmpty())
        m_directory->start();
    updateActions();
    updateDetails();
    updateStatus();
}

void MainWindow::setModels()
{
    m_electionModel = new ElectionListModel(m_directory, this);
    m_electionModel->setFlapRule(m_options.flapRule);
    m_candidateModel = new CandidateModel(m_directory, this);
    m_timelineModel = new TimelineModel(m_directory, m_history, this);
    m_electionView->setModel(m_electionModel);
    m_candidateView->setModel(m_candidateModel);
    m_timelineView->setModel(m_timelineModel);
    m_electionView->horizontalHeader()->setSectionResizeMode(ElectionListModel::NameColumn, QHeaderView::Interactive);
    m_electionView->setColumnWidth(ElectionListModel::NameColumn, 220);
    m_candidateView->setColumnWidth(CandidateModel::TtlColumn, 140);
    m_timelineView->setColumnWidth(TimelineModel::TimeColumn, 190);
    m_timelineView->setColumnWidth(TimelineModel::ElectionColumn, 220);
    connect(m_electionView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
        const QString name = selectedElection();
        m_candidateModel->setElection(name);
        m_timelineModel->setElection(name);
        if (m_candidateModel->rowCount() > 0)
            m_candidateView->selectRow(0);
        updateDetails();
        trackVisibleLeases();
    });
    connect(m_candidateModel, &QAbstractItemModel::modelReset, this, [this] {
        if (m_candidateModel->rowCount() > 0)
            m_candidateView->selectRow(0);
        m_candidateView->resizeColumnsToContents();
        m_candidateView->setColumnWidth(CandidateModel::TtlColumn, qMax(140, m_candidateView->columnWidth(CandidateModel::TtlColumn)));
    });
    // A listing inserts hundreds of rows one by one: lay out once, after the burst.
    connect(m_electionModel, &QAbstractItemModel::rowsInserted, &m_relayout, qOverload<>(&QTimer::start));
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
    connect(m_directory, &Dir::leasesUpdated, this, [this] {
        updateDetails();
        if (!m_completeSignalled && isDataComplete()) {
            m_completeSignalled = true;
            Q_EMIT dataComplete();
        }
    });
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
    if (rows > 0) {
        int first = m_electionView->rowAt(0);
        int last = m_electionView->rowAt(m_electionView->viewport()->height() - 1);
        if (first < 0)
            first = 0;
        if (last < 0)
            last = qMin(rows - 1, first + 60);
        for (int row = first; row <= last; ++row)
            leases.insert(m_directory->leader(m_electionModel->electionAt(row)).leaseId());
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
    const QSet<qint64> tracked = m_directory->trackedLeases();
    for (const qint64 lease : tracked)
        if (m_directory->leaseStatus(lease).state == Conclave::LeaseStatus::State::Unknown)
            return false;
    return true;
}

QString MainWindow::selectedElection() const
{
    const QModelIndex current = m_electionView->currentIndex();
    return current.isValid() ? m_electionModel->electionAt(current.row()) : QString();
}

void MainWindow::selectElection(const QString &election)
{
    const int row = m_electionModel->rowOf(election);
    if (row >= 0)
        m_electionView->selectRow(row);
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
    m_feedback->setStyleSheet(error ? QStringLiteral("color: #b71c1c") : QString());
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
    const Health health = assess(*m_directory, name, m_options.flapRule);
    m_title->setText(tr("<b>%1</b> — %2, leader %3")
                             .arg(name.toHtmlEscaped(), statusName(health.status),
                                  leader.isValid() ? leader.id().toHtmlEscaped() : tr("(none)")));
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
    parts << tr("%n election(s)", nullptr, int(m_directory->elections().size()));
    if (isReadOnly())
        parts << tr("read-only (%1)").arg(m_readOnlyReason);
    if (!live && !m_lastError.isEmpty() && m_directory->isRunning())
        parts << m_lastError;
    m_status->setText(parts.join(QStringLiteral(" · ")));
    m_status->setStyleSheet(live ? QString() : QStringLiteral("color: #b71c1c"));
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
