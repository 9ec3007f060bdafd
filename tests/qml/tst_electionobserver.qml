import QtQuick
import QtTest
import Conclave

// ElectionObserver in QML: the queue of an election others (here Electors) run.
Item {
    Connection {
        id: shared
        endpoints: [etcdEndpoint]
    }
    Component {
        id: electorComponent
        Elector {
            connection: shared
            ttl: 3
        }
    }
    Component {
        id: electorOnItsOwn
        Elector {
            endpoints: etcdEndpoint // one URL as a string will do
            ttl: 3
        }
    }
    Component {
        id: observerComponent
        ElectionObserver {
            connection: shared
        }
    }

    TestCase {
        name: "ElectionObserver"

        function test_queueInOrderAndTheLeaderFirst() {
            const election = etcdPrefix + "queue"
            const observer = createTemporaryObject(observerComponent, this, {electionName: election})
            tryCompare(observer, "running", true, 5000)
            tryCompare(observer, "synced", true, 10000)
            compare(observer.candidates.length, 0)
            compare(observer.leader.valid, false)
            compare(observer.leaderId, "")

            const a = createTemporaryObject(electorComponent, this, {electionName: election, candidateId: "a"})
            const b = createTemporaryObject(electorOnItsOwn, this, {electionName: election, candidateId: "b"})
            a.campaign()
            tryCompare(a, "role", Elector.Leader, 10000)
            b.campaign()
            tryCompare(b, "role", Elector.Follower, 10000)
            tryVerify(() => observer.candidates.length === 2, 10000)
            compare(observer.candidates[0].id, "a")
            compare(observer.candidates[1].id, "b")
            verify(observer.candidates[0].fencingToken < observer.candidates[1].fencingToken)
            compare(observer.leaderId, "a")
            compare(observer.leader.fencingToken, a.fencingToken)
            compare(observer.leader.leaseId, observer.leader.key.split("/").pop()) // hex, as in the key

            a.leave()
            tryCompare(observer, "leaderId", "b", 10000)
            tryVerify(() => observer.candidates.length === 1, 10000)
            b.leave()
            tryVerify(() => observer.candidates.length === 0, 10000)
            compare(observer.leader.valid, false)
        }

        function test_inactiveDoesNotWatchAndRenamingFollowsTheNewElection() {
            const observer = createTemporaryObject(observerComponent, this, {electionName: etcdPrefix + "one", active: false})
            compare(observer.running, false)
            const elector = createTemporaryObject(electorComponent, this, {electionName: etcdPrefix + "two", candidateId: "in-two"})
            elector.campaign()
            tryCompare(elector, "role", Elector.Leader, 10000)
            observer.active = true
            tryCompare(observer, "synced", true, 10000)
            compare(observer.leaderId, "")
            observer.electionName = etcdPrefix + "two"
            tryCompare(observer, "leaderId", "in-two", 10000)
            observer.active = false
            compare(observer.running, false)
            elector.leave()
        }
    }
}
