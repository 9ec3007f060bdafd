import QtQuick
import QtTest
import Conclave

// Elector in QML against the real etcd the test's setup started (etcdEndpoint).
Item {
    Connection {
        id: shared
        endpoints: [etcdEndpoint]
    }

    Component {
        id: electorOnShared
        Elector {
            connection: shared
            ttl: 3
        }
    }
    Component {
        id: electorOnItsOwn
        Elector {
            endpoints: [etcdEndpoint]
            ttl: 3
        }
    }
    Component {
        id: observerOf
        ElectionObserver {
            connection: shared
        }
    }
    Component {
        id: connectionComponent
        Connection {
            endpoints: [etcdEndpoint]
        }
    }
    Component {
        id: errorSpy
        SignalSpy {
            signalName: "errorOccurred"
        }
    }

    TestCase {
        name: "Elector"

        function test_firstLeadsTheSecondFollowsAndTakesOverOnResign() {
            const election = etcdPrefix + "resign"
            const first = createTemporaryObject(electorOnShared, this, {electionName: election, candidateId: "first"})
            // Another Client: Electors of one Client in one election would share one key.
            const second = createTemporaryObject(electorOnItsOwn, this, {electionName: election, candidateId: "second"})
            compare(first.role, Elector.NotAMember)
            compare(first.isLeader, false)

            first.campaign()
            tryCompare(first, "role", Elector.Leader, 10000)
            verify(first.isLeader)
            verify(first.campaigning)
            verify(first.fencingToken > 0)
            compare(first.leaderId, "first")
            compare(first.leader.id, "first")
            compare(first.leader.fencingToken, first.fencingToken)
            verify(first.leader.key.startsWith(election + "/"))

            second.campaign()
            tryCompare(second, "role", Elector.Follower, 10000)
            verify(!second.isLeader)
            tryCompare(second, "leaderId", "first", 10000)
            compare(second.fencingToken, 0)

            const firstToken = first.fencingToken
            first.resign()
            compare(first.role, Elector.Follower) // at once
            tryCompare(second, "role", Elector.Leader, 10000)
            verify(second.fencingToken > firstToken)
            tryCompare(first, "leaderId", "second", 10000)

            second.leave()
            compare(second.role, Elector.NotAMember)
            tryCompare(second, "campaigning", false, 10000)
            tryCompare(first, "role", Elector.Leader, 10000)
            first.leave()
            tryCompare(first, "campaigning", false, 10000)
        }

        function test_ownConnectionFromEndpointsAndAttributesProclaimed() {
            const election = etcdPrefix + "attributes"
            const elector = createTemporaryObject(electorOnItsOwn, this,
                {electionName: election, candidateId: "own", attributes: {shard: 7}, advertisedHost: "10.0.0.5", advertisedPort: 8080})
            const observer = createTemporaryObject(observerOf, this, {electionName: election})
            compare(elector.connection, null)
            compare(elector.endpoints.length, 1)
            compare(elector.endpoints[0].toString(), etcdEndpoint)
            tryCompare(observer, "synced", true, 10000)

            elector.campaign()
            tryCompare(elector, "role", Elector.Leader, 10000)
            tryCompare(observer, "leaderId", "own", 10000)
            compare(observer.leader.attributes.shard, 7)
            compare(observer.leader.host, "10.0.0.5")
            compare(observer.leader.port, 8080)

            // A new value while campaigning reaches the followers without a new election.
            const token = elector.fencingToken
            elector.attributes = {shard: 8}
            tryVerify(() => observer.leader.attributes.shard === 8, 10000)
            compare(elector.role, Elector.Leader)
            compare(elector.fencingToken, token)
            elector.leave()
            tryCompare(observer, "leaderId", "", 10000)
        }

        function test_unreachableEndpointIsAConnectionError() {
            const elector = createTemporaryObject(electorOnItsOwn, this,
                {electionName: etcdPrefix + "unreachable", endpoints: ["http://127.0.0.1:1"]})
            const spy = createTemporaryObject(errorSpy, this, {target: elector})
            elector.campaign()
            spy.wait(10000)
            compare(spy.signalArguments[0][0], Errors.ConnectionError)
            compare(elector.error, Errors.ConnectionError)
            verify(elector.errorString.indexOf("127.0.0.1:1") >= 0, elector.errorString)
            compare(elector.role, Elector.NotAMember)
            elector.leave()
        }

        function test_invalidSettingsAreRefusedWithInvalidArgument() {
            const elector = createTemporaryObject(electorOnShared, this, {electionName: etcdPrefix + "ttl", ttl: 1})
            const spy = createTemporaryObject(errorSpy, this, {target: elector})
            elector.campaign()
            tryCompare(spy, "count", 1, 5000)
            compare(elector.error, Errors.InvalidArgument)
            compare(elector.role, Elector.NotAMember)
            compare(elector.campaigning, false)
        }

        function test_twoElectorsOfOneConnectionInOneElectionAreRefused() {
            const election = etcdPrefix + "collide"
            const first = createTemporaryObject(electorOnShared, this, {electionName: election, candidateId: "first"})
            const second = createTemporaryObject(electorOnShared, this, {electionName: election, candidateId: "second"})
            const spy = createTemporaryObject(errorSpy, this, {target: second})
            first.campaign()
            second.campaign()
            tryCompare(spy, "count", 1, 5000)
            compare(second.error, Errors.InvalidArgument)
            verify(second.errorString.indexOf("share one key") >= 0, second.errorString)
            compare(second.campaigning, false)
            tryCompare(first, "role", Elector.Leader, 10000)
            first.leave()
        }

        function test_anInvalidEndpointIsReportedWithTheEntry() {
            const elector = createTemporaryObject(electorOnItsOwn, this,
                {electionName: etcdPrefix + "bad-url", endpoints: ["ftp://127.0.0.1:2379"]})
            const spy = createTemporaryObject(errorSpy, this, {target: elector})
            tryCompare(spy, "count", 1, 5000)
            compare(spy.signalArguments[0][0], Errors.InvalidArgument)
            verify(spy.signalArguments[0][1].indexOf("ftp://127.0.0.1:2379") >= 0, spy.signalArguments[0][1])
        }

        function test_aConnectionGoneWhileLeadingLeavesTheElectorUsable() {
            const election = etcdPrefix + "gone"
            const connection = createTemporaryObject(connectionComponent, this)
            const elector = createTemporaryObject(electorOnItsOwn, this, {electionName: election, connection: connection})
            const observer = createTemporaryObject(observerOf, this, {electionName: election})
            elector.campaign()
            tryCompare(elector, "role", Elector.Leader, 10000)
            connection.destroy()
            tryCompare(elector, "connection", null, 5000)
            compare(elector.role, Elector.NotAMember)
            compare(elector.campaigning, false)
            compare(elector.electionName, election) // the settings stay
            // Its own Client (endpoints) is used from now on.
            elector.campaign()
            tryCompare(elector, "role", Elector.Leader, 10000)
            tryCompare(observer, "leaderId", elector.candidateId, 10000)
            elector.leave()
        }
    }
}
