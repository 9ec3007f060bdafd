#pragma once

// QML's ElectionObserver: watches one election's leader and queue without joining it. It starts
// by itself once it has a name (and `active`, the default); the queue is a list of JavaScript
// objects, first the leader.

#include "clientsource.h"

#include <conclave/electionobserver.h>

#include <QtCore/QObject>
#include <QtQml/QQmlParserStatus>
#include <QtQml/qqmlregistration.h>

#include <memory>

namespace Conclave::Qml {

class ElectionObserver : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_NAMED_ELEMENT(ElectionObserver)
    Q_PROPERTY(Conclave::Qml::Connection *connection READ connection WRITE setConnection NOTIFY connectionChanged)
    Q_PROPERTY(QVariant endpoints READ endpoints WRITE setEndpoints NOTIFY endpointsChanged)
    Q_PROPERTY(QString electionName READ electionName WRITE setElectionName NOTIFY electionNameChanged)
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)
    Q_PROPERTY(bool running READ isRunning NOTIFY runningChanged)
    Q_PROPERTY(bool synced READ isSynced NOTIFY syncedChanged)
    Q_PROPERTY(QVariant leader READ leader NOTIFY leaderChanged) // a JS object (leadermap.h)
    Q_PROPERTY(QString leaderId READ leaderId NOTIFY leaderChanged)
    Q_PROPERTY(QVariant candidates READ candidates NOTIFY candidatesChanged) // JS objects
    Q_PROPERTY(Conclave::Error error READ error NOTIFY errorChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorChanged)

public:
    explicit ElectionObserver(QObject *parent = nullptr);
    ~ElectionObserver() override;

    Connection *connection() const { return m_source.connection(); }
    void setConnection(Connection *connection);
    QVariant endpoints() const { return endpointStrings(m_source.endpoints()); }
    void setEndpoints(const QVariant &endpoints) { m_source.setEndpoints(endpointList(endpoints)); }
    QString electionName() const { return m_observer->electionName(); }
    void setElectionName(const QString &name);
    //! Watches whenever it has a name (default true); false stops it.
    bool isActive() const { return m_active; }
    void setActive(bool active);
    bool isRunning() const { return m_observer->isRunning(); }
    bool isSynced() const { return m_observer->isSynced(); }
    QVariant leader() const;
    QString leaderId() const { return m_observer->leader().id(); }
    QVariant candidates() const;
    Conclave::Error error() const { return m_observer->error(); }
    QString errorString() const { return m_observer->errorString(); }

    void classBegin() override {}
    void componentComplete() override;

Q_SIGNALS:
    void connectionChanged();
    void endpointsChanged();
    void electionNameChanged();
    void activeChanged();
    void runningChanged();
    void syncedChanged();
    void leaderChanged();
    void candidatesChanged();
    void errorChanged();
    void errorOccurred(Conclave::Error error, const QString &message);

private:
    void rebuild();
    void update(); // runs exactly when complete, active and named

    ClientSource m_source;
    std::unique_ptr<Conclave::ElectionObserver> m_observer;
    bool m_active = true;
    bool m_complete = false;
};

} // namespace Conclave::Qml
