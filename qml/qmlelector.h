#pragma once

// QML's Elector: Conclave::Elector with QML-friendly types (seconds as int, the leader as a
// JavaScript object, the role as an enum usable as Elector.Leader). It makes its own Client on
// `endpoints` unless a Connection is given.

#include "clientsource.h"

#include <conclave/elector.h>

#include <QtCore/QObject>
#include <QtQml/qqmlregistration.h>

#include <memory>

namespace Conclave::Qml {

class Elector : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(Elector)
    Q_PROPERTY(Conclave::Qml::Connection *connection READ connection WRITE setConnection NOTIFY connectionChanged)
    Q_PROPERTY(QVariant endpoints READ endpoints WRITE setEndpoints NOTIFY endpointsChanged)
    Q_PROPERTY(QString electionName READ electionName WRITE setElectionName NOTIFY electionNameChanged)
    Q_PROPERTY(QString candidateId READ candidateId WRITE setCandidateId NOTIFY candidateIdChanged)
    Q_PROPERTY(int ttl READ ttl WRITE setTtl NOTIFY ttlChanged)
    Q_PROPERTY(QVariantMap attributes READ attributes WRITE setAttributes NOTIFY attributesChanged)
    Q_PROPERTY(QString advertisedHost READ advertisedHost WRITE setAdvertisedHost NOTIFY advertisedAddressChanged)
    Q_PROPERTY(int advertisedPort READ advertisedPort WRITE setAdvertisedPort NOTIFY advertisedAddressChanged)
    Q_PROPERTY(int priority READ priority WRITE setPriority NOTIFY priorityChanged)
    Q_PROPERTY(bool eligible READ isEligible WRITE setEligible NOTIFY eligibleChanged)
    Q_PROPERTY(bool readinessRequired READ isReadinessRequired WRITE setReadinessRequired NOTIFY readinessRequiredChanged)
    Q_PROPERTY(bool ready READ isReady WRITE setReady NOTIFY readyChanged)
    Q_PROPERTY(QString statusText READ statusText WRITE setStatusText NOTIFY statusTextChanged)
    Q_PROPERTY(Role role READ role NOTIFY roleChanged)
    Q_PROPERTY(bool isLeader READ isLeader NOTIFY roleChanged)
    Q_PROPERTY(bool campaigning READ isCampaigning NOTIFY campaigningChanged)
    Q_PROPERTY(QVariant leader READ leader NOTIFY leaderChanged) // a JS object (leadermap.h)
    Q_PROPERTY(QString leaderId READ leaderId NOTIFY leaderChanged)
    Q_PROPERTY(qint64 fencingToken READ fencingToken NOTIFY fencingTokenChanged)
    Q_PROPERTY(Conclave::Error error READ error NOTIFY errorChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorChanged)

public:
    //! The same values as Conclave::Elector::Role.
    enum Role { NotAMember, Follower, Leader };
    Q_ENUM(Role)

    explicit Elector(QObject *parent = nullptr);
    ~Elector() override;

    Connection *connection() const { return m_source.connection(); }
    void setConnection(Connection *connection);
    QVariant endpoints() const { return endpointStrings(m_source.endpoints()); }
    void setEndpoints(const QVariant &endpoints) { m_source.setEndpoints(endpointList(endpoints)); }
    QString electionName() const { return m_elector->electionName(); }
    void setElectionName(const QString &name) { m_elector->setElectionName(name); }
    QString candidateId() const { return m_elector->candidateId(); }
    void setCandidateId(const QString &id) { m_elector->setCandidateId(id); }
    int ttl() const { return int(m_elector->ttl().count()); }
    void setTtl(int seconds) { m_elector->setTtl(std::chrono::seconds(seconds)); }
    QVariantMap attributes() const { return m_elector->attributes(); }
    void setAttributes(const QVariantMap &attributes);
    QString advertisedHost() const { return m_elector->advertisedHost(); }
    void setAdvertisedHost(const QString &host);
    int advertisedPort() const { return m_elector->advertisedPort(); }
    void setAdvertisedPort(int port);
    int priority() const { return m_elector->priority(); }
    void setPriority(int priority) { m_elector->setPriority(priority); }
    bool isEligible() const { return m_elector->isEligible(); }
    void setEligible(bool eligible) { m_elector->setEligible(eligible); }
    bool isReadinessRequired() const { return m_elector->isReadinessRequired(); }
    void setReadinessRequired(bool required) { m_elector->setReadinessRequired(required); }
    bool isReady() const { return m_elector->isReady(); }
    void setReady(bool ready) { m_elector->setReady(ready); }
    QString statusText() const { return m_elector->statusText(); }
    void setStatusText(const QString &text) { m_elector->setStatusText(text); }

    Role role() const { return Role(m_elector->role()); }
    bool isLeader() const { return m_elector->isLeader(); }
    bool isCampaigning() const { return m_elector->isCampaigning(); }
    QVariant leader() const;
    QString leaderId() const { return m_elector->leader().id(); }
    qint64 fencingToken() const { return m_elector->fencingToken(); }
    Conclave::Error error() const { return m_elector->error(); }
    QString errorString() const { return m_elector->errorString(); }

    //! The Elector beneath (for tests and C++ code that shares it).
    Conclave::Elector *elector() const { return m_elector.get(); }

public Q_SLOTS:
    void campaign() { m_elector->campaign(); }
    void resign() { m_elector->resign(); }
    void leave() { m_elector->leave(); }
    void proclaim(const QVariantMap &attributes);

Q_SIGNALS:
    void connectionChanged();
    void endpointsChanged();
    void electionNameChanged();
    void candidateIdChanged();
    void ttlChanged();
    void attributesChanged();
    void advertisedAddressChanged();
    void priorityChanged();
    void eligibleChanged();
    void readinessRequiredChanged();
    void readyChanged();
    void statusTextChanged();
    void roleChanged();
    void campaigningChanged();
    void leaderChanged();
    void fencingTokenChanged();
    void errorChanged();
    void errorOccurred(Conclave::Error error, const QString &message);

private:
    void rebuild();
    void connectElector();

    // Declared first: the Elector below is destroyed (leaving its election) before its Client.
    ClientSource m_source;
    std::unique_ptr<Conclave::Elector> m_elector;
};

} // namespace Conclave::Qml
