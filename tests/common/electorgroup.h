#pragma once

#include <conclave/client.h>
#include <conclave/elector.h>

#include "testwait.h"

#include <QtCore/QHash>
#include <QtTest/QTest>

#include <chrono>
#include <memory>
#include <vector>

/*!
 * Electors, each on its own Client as separate processes would be (two Electors of one
 * Client cannot share an election), with "never two leaders in one election" checked at every
 * role change of any of them: twoLeaders turns true for good the moment it breaks.
 */
struct ElectorGroup
{
    using Role = Conclave::Elector::Role;

    std::vector<std::unique_ptr<Conclave::Client>> clients;
    std::vector<std::unique_ptr<Conclave::Elector>> electors;
    bool twoLeaders = false;

    ~ElectorGroup()
    {
        for (const auto &e : electors) // the invariant check must not run during teardown
            QObject::disconnect(e.get(), &Conclave::Elector::roleChanged, nullptr, nullptr);
    }

    //! A new candidate, not campaigning yet: id \a id, address host-<id>:7000+n, TTL \a ttl.
    Conclave::Elector *add(const QList<QUrl> &endpoints, const QString &election, const QString &id,
                           std::chrono::seconds ttl = std::chrono::seconds(3))
    {
        clients.push_back(std::make_unique<Conclave::Client>());
        clients.back()->setEndpoints(endpoints);
        electors.push_back(std::make_unique<Conclave::Elector>(clients.back().get()));
        Conclave::Elector *e = electors.back().get();
        e->setElectionName(election);
        e->setCandidateId(id);
        e->setAdvertisedAddress(QStringLiteral("host-") + id, 7000 + int(electors.size()));
        e->setTtl(ttl);
        QObject::connect(e, &Conclave::Elector::roleChanged, [this] { check(); });
        return e;
    }
    //! Campaigns and waits (bounded) until \a e has a place in the queue.
    static bool enqueue(Conclave::Elector *e)
    {
        e->campaign();
        return QTest::qWaitFor([e] { return e->role() != Role::NotAMember; }, TestWaitMs);
    }
    //! Adds a candidate, campaigns, and waits (bounded) until it has \a role; nullptr if not.
    Conclave::Elector *join(const QList<QUrl> &endpoints, const QString &election,
                            const QString &id, Role role)
    {
        Conclave::Elector *e = add(endpoints, election, id);
        e->campaign();
        return QTest::qWaitFor([&] { return e->role() == role; }, TestWaitMs) ? e : nullptr;
    }
    //! Leaders across all elections of the group.
    int leaders() const
    {
        int n = 0;
        for (const auto &e : electors)
            n += e->isLeader();
        return n;
    }
    Conclave::Elector *leader() const
    {
        for (const auto &e : electors)
            if (e->isLeader())
                return e.get();
        return nullptr;
    }
    //! Everyone is in the queue and exactly one leads (for groups of one election).
    bool allSettled() const
    {
        for (const auto &e : electors)
            if (e->role() == Role::NotAMember)
                return false;
        return leaders() == 1;
    }

private:
    void check()
    {
        QHash<QString, int> perElection;
        for (const auto &e : electors)
            if (e->isLeader() && ++perElection[e->electionName()] > 1)
                twoLeaders = true;
    }
};
