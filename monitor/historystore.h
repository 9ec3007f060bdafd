#pragma once

// Handovers outlive the monitor: each one the directory records is appended to a JSON-lines
// file per cluster (endpoints and prefix) under QStandardPaths::AppDataLocation, and the last
// 24 h of it are loaded at start. A line that cannot be read is skipped with a warning; the
// rest is kept. Each line names etcd's cluster id: a new cluster at the same endpoints (same
// lease ids, same revisions) does not inherit the old one's history.

#include <conclave/clusterstatus.h>
#include <conclave/electiondirectory.h>

#include <QtCore/QFile>
#include <QtCore/QHash>
#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QString>

#include <functional>
#include <utility>

QT_BEGIN_NAMESPACE
class QThread;
QT_END_NAMESPACE

namespace Monitor {

class HistoryStore : public QObject
{
    Q_OBJECT
public:
    //! The file for this cluster and prefix: <AppDataLocation>/history-<hash>.jsonl.
    static QString fileFor(const QString &endpoints, const QString &prefix);

    explicit HistoryStore(const QString &file, QObject *parent = nullptr);
    ~HistoryStore() override;
    //! Reads the file: the handovers of the last \a hours, oldest first.
    void load(int hours = 24);
    /*!
     * load() on a thread of its own, so that a window paints the elections while a long
     * history (5,000 elections' day: 60 MiB, 2 s) is still being read; loaded() then
     * reloaded() when it is in. Handovers recorded meanwhile are kept back and appended after
     * it, as if it had been read first (a relisting's report of the leader the file already ends
     * with is not news).
     */
    void loadInBackground(int hours = 24);
    //! Whether loadInBackground() is still reading.
    bool isLoading() const { return m_reader != nullptr; }
    //! Appends every handover \a directory records from now on.
    void record(Conclave::ElectionDirectory *directory);
    QList<Conclave::Handover> handovers() const { return m_handovers; }
    //! One election's handovers, oldest first.
    QList<Conclave::Handover> handovers(const QString &election) const { return m_byElection.value(election); }
    int skippedLines() const { return m_skipped; }
    /*!
     * The etcd cluster id the monitor talks to (ClusterStatus::clusterId()), once known:
     * handovers recorded in another cluster are dropped (emitting reloaded()), new ones are
     * written with it. Lines from before ids were kept stay.
     */
    void setClusterId(quint64 clusterId);
    //! setClusterId() from \a cluster: now if it has read the id, and at each of its readings.
    void followCluster(const Conclave::ClusterStatus *cluster);
    quint64 clusterId() const { return m_clusterId; }
    QString file() const { return m_file; }

    static QJsonObject toJson(const Conclave::Handover &handover);
    static bool fromJson(const QJsonObject &object, Conclave::Handover *handover);

Q_SIGNALS:
    void appended(const Conclave::Handover &handover);
    //! loadInBackground() is done (followed by reloaded()).
    void loaded();
    //! Handovers were dropped (another cluster's): whoever shows them reads them again.
    void reloaded();

private:
    using Read = QList<std::pair<Conclave::Handover, quint64>>; // each with the cluster it was recorded in
    //! Reads \a file's handovers of the last \a hours (any thread); \a stop: give up.
    static Read read(const QString &file, int hours, int *skipped, const std::function<bool()> &stop = {});
    void adopt(Read read);
    void append(const Conclave::Handover &handover);

    QString m_file;
    void index();

    QList<Conclave::Handover> m_handovers;
    QList<quint64> m_clusters; // the cluster each of m_handovers was recorded in (0: not known)
    quint64 m_clusterId = 0;
    QHash<QString, QList<Conclave::Handover>> m_byElection; // the same, by election
    int m_skipped = 0;
    QThread *m_reader = nullptr; // loadInBackground()'s, while it reads
    QList<Conclave::Handover> m_heldBack; // recorded while it reads
};

} // namespace Monitor
