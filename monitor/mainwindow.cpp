#include "mainwindow.h"

#include "candidatemodel.h"
#include "electionhealth.h"
#include "electionlistmodel.h"
#include "format.h"
#include "timelinemodel.h"

#include <conclave/client.h>
#include <conclave/electiondirectory.h>
#include <conclave/operation.h>

#include <QtCore/QSettings>
#include <QtGui/QAction>
#include <QtGui/QPainter>
#include <QtWidgets/QApplication>
#include <QtWidgets/QDialog>
#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QMenu>
#include <QtWidgets/QMessageBox>
#include <QtWidgets/QSplitter>
#include <QtWidgets/QStatusBar>
#include <QtWidgets/QStyledItemDelegate>
#include <QtWidgets/QTableView>
#include <QtWidgets/QToolBar>
#include <QtWidgets/QVBoxLayout>

namespace Monitor {

namespace {

// The TTL column as a bar: remaining of granted, with the figures on it.
class TtlBarDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        const double fraction = index.data(CandidateModel::TtlFractionRole).toDouble();
        if (fraction < 0) {
            QStyledItemDelegate::paint(painter, option, index);
            return;
        }
        QStyleOptionProgressBar bar;
        static_cast<QStyleOption &>(bar) = option; // palette, font metrics, direction
        bar.rect = option.rect.adjusted(2, 2, -2, -2);
        bar.textAlignment = Qt::AlignCenter;
        bar.minimum = 0;
        bar.maximum = 1000;
        bar.progress = int(fraction * 1000);
        bar.text = index.data().toString();
        bar.textVisible = true;
        bar.state = option.state | QStyle::State_Horizontal;
        painter->save();
        painter->setFont(option.font);
        QStyle *style = option.widget ? option.widget->style() : QApplication::style();
        style->drawControl(QStyle::CE_ProgressBar, &bar, painter, option.widget);
        painter->restore();
    }
};

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
{
    setWindowTitle(tr("Conclave monitor"));
    setWindowIcon(QIcon::fromTheme(QStringLiteral("conclave-monitor")));
    resize(1440, 800);

    QToolBar *toolbar = addToolBar(tr("Actions"));
    toolbar->setObjectName(QStringLiteral("actions"));
    m_connection = toolbar->addAction(tr("Connection…"), this, &MainWindow::editConnection);
    toolbar->addSeparator();
    m_resign = toolbar->addAction(tr("Resign leader"), this, &MainWindow::resignSelectedLeader);
    m_evict = toolbar->addAction(tr("Evict candidate"), this, &MainWindow::evictSelectedCandidate);
    m_revoke = toolbar->addAction(tr("Revoke lease"), this, &MainWindow::revokeSelectedLease);

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

    connect(m_candidateView, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QModelIndex index = m_candidateView->indexAt(pos);
        if (!index.isValid())
            return;
        m_candidateView->selectRow(index.row());
        QMenu menu(this);
        menu.addAction(m_resign);
        menu.addAction(m_evict);
        menu.addAction(m_revoke);
        menu.exec(m_candidateView->viewport()->mapToGlobal(pos));
    });

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

MainWindow::~MainWindow() = default;

void MainWindow::setConfirmer(std::function<bool(const QString &, const QString &)> confirmer)
{
    m_confirmer = std::move(confirmer);
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
    m_electionModel = new ElectionListModel(m_directory, this);
    m_candidateModel = new CandidateModel(m_directory, this);
    m_timelineModel = new TimelineModel(m_directory, this);
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
    connect(m_directory, &Conclave::ElectionDirectory::electionChanged, this, [this](const QString &e) {
        if (e == selectedElection())
            updateDetails();
    });
    connect(m_directory, &Conclave::ElectionDirectory::syncedChanged, this, [this](bool synced) {
        if (synced && m_options.remember) {
            QSettings s;
            s.setValue(QStringLiteral("connection/endpoints"), m_options.connection.endpoints());
            s.setValue(QStringLiteral("connection/cacert"), m_options.connection.caCertificateFile());
            s.setValue(QStringLiteral("connection/cert"), m_options.connection.certificateFile());
            s.setValue(QStringLiteral("connection/key"), m_options.connection.keyFile());
            s.setValue(QStringLiteral("connection/user"), m_options.connection.user()); // never the password
        }
        trackVisibleLeases();
        updateStatus();
    });
    connect(m_directory, &Conclave::ElectionDirectory::connectedChanged, this, [this](bool connected) {
        if (connected && m_readOnlyReason.isEmpty())
            probeWriteAccess();
        updateStatus();
    });
    connect(m_directory, &Conclave::ElectionDirectory::errorOccurred, this, [this](Conclave::Error, const QString &message) {
        m_lastError = message;
        updateStatus();
    });
    connect(m_directory, &Conclave::ElectionDirectory::leasesUpdated, this, [this] {
        updateDetails();
        if (!m_completeSignalled && isDataComplete()) {
            m_completeSignalled = true;
            Q_EMIT dataComplete();
        }
    });
    connect(m_directory, &Conclave::ElectionDirectory::handoverRecorded, this, [this](const Conclave::Handover &h) {
        if (h.election != m_awaitingHandover)
            return;
        m_awaitingHandover.clear();
        setFeedback(h.next.isValid()
                            ? tr("%1 resigned from %2; %3 leads now (fencing token %4).")
                                      .arg(h.previous.id(), h.election, h.next.id()).arg(h.next.fencingToken())
                            : tr("%1 resigned from %2; no candidate is left to lead.").arg(h.previous.id(), h.election));
    });
    if (m_lastError.isEmpty())
        m_directory->start();
    updateActions();
    updateDetails();
    updateStatus();
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
    const Health health = assess(*m_directory, name);
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

bool MainWindow::confirm(const QString &title, const QString &text)
{
    if (m_confirmer)
        return m_confirmer(title, text);
    QMessageBox box(QMessageBox::Warning, title, text, QMessageBox::Yes | QMessageBox::Cancel, this);
    box.setObjectName(QStringLiteral("confirmation"));
    box.setDefaultButton(QMessageBox::Cancel);
    return box.exec() == QMessageBox::Yes;
}

void MainWindow::watchOperation(Conclave::Operation *op, const QString &pending, std::function<void()> onSuccess)
{
    setFeedback(pending);
    connect(op, &Conclave::Operation::finished, this, [this, op, onSuccess] {
        op->deleteLater();
        if (op->error() != Conclave::Error::NoError) {
            m_awaitingHandover.clear();
            setFeedback(tr("Failed: %1").arg(op->errorString()), true);
            return;
        }
        onSuccess();
    });
}

void MainWindow::resignSelectedLeader()
{
    const QString name = selectedElection();
    const Conclave::LeaderInfo leader = name.isEmpty() ? Conclave::LeaderInfo() : m_directory->leader(name);
    if (isReadOnly() || !leader.isValid())
        return;
    const QList<Conclave::LeaderInfo> queue = m_directory->candidates(name);
    const QString next = queue.size() > 1 ? queue.at(1).id() : tr("nobody (no other candidate)");
    if (!confirm(tr("Resign leader"),
                 tr("Resign %1 as leader of %2?\n\nIts key %3 (fencing token %4) is deleted only if it is still "
                    "that incarnation. Next in line: %5.")
                         .arg(leader.id(), name, QString::fromUtf8(leader.key())).arg(leader.fencingToken()).arg(next)))
        return;
    m_awaitingHandover = name;
    watchOperation(m_directory->resignLeader(name), tr("Resigning %1 from %2…").arg(leader.id(), name), [this, leader, name] {
        if (m_awaitingHandover == name)
            setFeedback(tr("%1's key was deleted; waiting for the next leader of %2…").arg(leader.id(), name));
    });
}

void MainWindow::evictSelectedCandidate()
{
    const QModelIndex current = m_candidateView->currentIndex();
    if (isReadOnly() || !current.isValid())
        return;
    const Conclave::LeaderInfo candidate = m_candidateModel->candidateAt(current.row());
    if (!confirm(tr("Evict candidate"),
                 tr("Evict %1 from %2?\n\nIts key %3 is deleted (guarded by fencing token %4); a Conclave "
                    "Elector re-joins at the back of the queue.")
                         .arg(candidate.id(), m_candidateModel->election(), QString::fromUtf8(candidate.key()))
                         .arg(candidate.fencingToken())))
        return;
    watchOperation(m_directory->evict(candidate), tr("Evicting %1…").arg(candidate.id()), [this, candidate] {
        setFeedback(tr("%1 was evicted.").arg(candidate.id()));
    });
}

void MainWindow::revokeSelectedLease()
{
    const QModelIndex current = m_candidateView->currentIndex();
    if (isReadOnly() || !current.isValid())
        return;
    const Conclave::LeaderInfo candidate = m_candidateModel->candidateAt(current.row());
    const qint64 lease = candidate.leaseId();
    // List everything the lease holds first: revoking it deletes every key on it.
    Conclave::Operation *lookup = m_directory->leaseKeys(lease);
    setFeedback(tr("Reading the keys of lease %1…").arg(leaseHex(lease)));
    connect(lookup, &Conclave::Operation::finished, this, [this, lookup, lease] {
        lookup->deleteLater();
        if (lookup->error() != Conclave::Error::NoError) {
            setFeedback(tr("Failed: %1").arg(lookup->errorString()), true);
            return;
        }
        QStringList lines;
        for (const QByteArray &key : lookup->keys()) {
            const qsizetype slash = key.lastIndexOf('/');
            const QString election = QString::fromUtf8(key.left(qMax<qsizetype>(0, slash)));
            lines << (m_directory->contains(election) ? tr("%1 (election %2)").arg(QString::fromUtf8(key), election)
                                                      : QString::fromUtf8(key));
        }
        if (!confirm(tr("Revoke lease"),
                     tr("Revoke lease %1?\n\nThese %n key(s) are deleted with it:\n%2", nullptr, int(lines.size()))
                             .arg(leaseHex(lease), lines.join(QLatin1Char('\n')))))
            return;
        watchOperation(m_directory->revokeLease(lease), tr("Revoking lease %1…").arg(leaseHex(lease)), [this, lease] {
            setFeedback(tr("Lease %1 was revoked.").arg(leaseHex(lease)));
        });
    });
}

void MainWindow::editConnection()
{
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Connect to etcd"));
    auto *form = new QFormLayout(&dialog);
    const Conclave::ConnectionSettings &c = m_options.connection;
    auto *endpoints = new QLineEdit(c.endpoints(), &dialog);
    auto *cacert = new QLineEdit(c.caCertificateFile(), &dialog);
    auto *cert = new QLineEdit(c.certificateFile(), &dialog);
    auto *key = new QLineEdit(c.keyFile(), &dialog);
    auto *user = new QLineEdit(c.user(), &dialog);
    auto *password = new QLineEdit(c.password(), &dialog);
    password->setEchoMode(QLineEdit::Password);
    auto *prefix = new QLineEdit(m_options.prefix, &dialog);
    form->addRow(tr("Endpoints"), endpoints);
    form->addRow(tr("CA certificate"), cacert);
    form->addRow(tr("Client certificate"), cert);
    form->addRow(tr("Client key"), key);
    form->addRow(tr("User"), user);
    form->addRow(tr("Password"), password);
    form->addRow(tr("Key prefix"), prefix);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    if (dialog.exec() != QDialog::Accepted)
        return;
    Conclave::ConnectionSettings next;
    next.setEndpoints(endpoints->text());
    next.setCaCertificateFile(cacert->text());
    next.setCertificateFile(cert->text());
    next.setKeyFile(key->text());
    next.setUser(user->text());
    if (!password->text().isEmpty())
        next.setPassword(password->text());
    m_options.prefix = prefix->text();
    m_options.remember = true;
    connectTo(next);
}

} // namespace Monitor
