// A plain QML script, no C++ of ours: imports the installed Conclave module, campaigns, prints
// the leader, leaves and exits 0 (1 on any error).
//   qml campaign.qml -- ENDPOINT ELECTION
import QtQuick
import Conclave

Item {
    id: script
    readonly property var args: Qt.application.arguments.slice(Qt.application.arguments.indexOf("--") + 1)

    Elector {
        endpoints: script.args[0]
        electionName: script.args[1]
        candidateId: "qml-script"
        ttl: 5
        onRoleChanged: {
            if (role === Elector.Leader) {
                console.log("leader:", leaderId, "fencing token:", fencingToken)
                leave()
            }
        }
        onCampaigningChanged: if (!campaigning) Qt.exit(0)
        onErrorOccurred: (error, message) => {
            console.log("error:", message)
            Qt.exit(1)
        }
        Component.onCompleted: campaign()
    }
}
