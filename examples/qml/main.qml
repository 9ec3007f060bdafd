// A service's place in its election, in QML alone: its role, the leader and the queue.
//   qml examples/qml/main.qml -- [ENDPOINT [ELECTION [CANDIDATE-ID]]]
// (default http://127.0.0.1:2379, examples/qml, this host and process). With the QML module
// installed under a prefix other than /usr, set QML_IMPORT_PATH to its qml directory.
import QtQuick
import Conclave

Window {
    id: window
    width: 520
    height: 300
    visible: true
    title: "Conclave: " + elector.electionName

    // The arguments after "--".
    readonly property var args: {
        const all = Qt.application.arguments
        const dashes = all.indexOf("--")
        return dashes < 0 ? [] : all.slice(dashes + 1)
    }
    readonly property var roleNames: ["not a member", "follower", "leader"]

    Connection {
        id: etcd
        endpoints: window.args[0] || "http://127.0.0.1:2379"
    }

    Elector {
        id: elector
        connection: etcd
        electionName: window.args[1] || "examples/qml"
        ttl: 5
        onRoleChanged: console.log("role:", window.roleNames[role], "leader:", leaderId || "none")
        onLeaderChanged: console.log("leader:", leaderId || "none", "fencing token:", leader.fencingToken || "-")
        onErrorOccurred: (error, message) => console.warn("error:", message)
        Component.onCompleted: {
            if (window.args[2])
                candidateId = window.args[2] // else the library's default, host:pid
            campaign()
        }
    }

    ElectionObserver {
        id: queue
        connection: etcd
        electionName: elector.electionName
    }

    Column {
        anchors.fill: parent
        anchors.margins: 16
        spacing: 10

        Text {
            text: elector.electionName
            font.pixelSize: 20
            font.bold: true
        }
        Rectangle {
            width: roleText.implicitWidth + 24
            height: roleText.implicitHeight + 12
            radius: 4
            color: elector.role === Elector.Leader ? "#2e7d32"
                 : elector.role === Elector.Follower ? "#1565c0" : "#757575"
            Text {
                id: roleText
                anchors.centerIn: parent
                color: "white"
                font.pixelSize: 16
                text: "This copy (" + elector.candidateId + ") is " + window.roleNames[elector.role]
            }
        }
        Text {
            text: elector.leaderId ? "Leader: " + elector.leaderId + " (fencing token " + elector.leader.fencingToken + ")"
                                   : "No leader"
        }
        Text {
            visible: elector.errorString !== ""
            color: "#c62828"
            text: elector.errorString
        }
        Text {
            text: "Queue (" + queue.candidates.length + "):"
            font.bold: true
        }
        Repeater {
            model: queue.candidates
            Text {
                required property var modelData
                required property int index
                text: (index + 1) + ". " + modelData.id + (index === 0 ? "  ← leads" : "")
                      + (modelData.id === elector.candidateId ? "  (this copy)" : "")
                      + "   lease " + modelData.leaseId
            }
        }
        Row {
            spacing: 8
            Repeater {
                model: [
                    {label: "Resign", action: () => elector.resign(), enabled: elector.role === Elector.Leader},
                    {label: "Leave", action: () => elector.leave(), enabled: elector.campaigning},
                    {label: "Campaign", action: () => elector.campaign(), enabled: !elector.campaigning}
                ]
                Rectangle {
                    required property var modelData
                    width: 90
                    height: 30
                    radius: 4
                    color: modelData.enabled ? "#e0e0e0" : "#f5f5f5"
                    Text {
                        anchors.centerIn: parent
                        text: parent.modelData.label
                        color: parent.modelData.enabled ? "black" : "#9e9e9e"
                    }
                    MouseArea {
                        anchors.fill: parent
                        enabled: parent.modelData.enabled
                        onClicked: parent.modelData.action()
                    }
                }
            }
        }
    }
}
