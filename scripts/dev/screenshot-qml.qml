// Renders examples/qml into a PNG once its queue is known (scripts/dev/screenshot-qml.sh).
//   qml screenshot-qml.qml -- ENDPOINT ELECTION ID EXAMPLE_URL OUTPUT.png
// (the example reads the first three, as when it runs alone)
import QtQuick

Item {
    readonly property var args: Qt.application.arguments.slice(Qt.application.arguments.indexOf("--") + 1)
    property var window: null

    Timer {
        interval: 200
        repeat: true
        running: true
        property int ticks: 0
        onTriggered: {
            ticks++
            let elector = null
            for (let i = 0; window && i < window.data.length; ++i) {
                if (window.data[i].hasOwnProperty("fencingToken"))
                    elector = window.data[i]
            }
            if (!elector || elector.leaderId === "" && ticks < 50)
                return
            if (ticks < 10) // let the queue arrive and the window paint
                return
            running = false
            window.contentItem.grabToImage(result => {
                console.log("saved:", result.saveToFile(args[4]), args[4])
                Qt.quit()
            })
        }
    }
    Component.onCompleted: {
        const component = Qt.createComponent(args[3])
        if (component.status !== Component.Ready) {
            console.log(component.errorString())
            Qt.exit(1)
        }
        window = component.createObject(null)
    }
}
