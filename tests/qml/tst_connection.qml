import QtQuick
import QtTest
import Conclave

// Connection in QML: etcdctl's settings (endpoints, TLS files, user), applied all at once.
Item {
    Component {
        id: tlsConnection
        Connection {
            endpoints: etcdTlsEndpoint
            caCertificateFile: etcdCaFile
            certificateFile: etcdCertFile
            keyFile: etcdKeyFile
        }
    }
    Component {
        id: electorComponent
        Elector {
            ttl: 3
        }
    }
    Component {
        id: errorSpy
        SignalSpy {
            signalName: "errorOccurred"
        }
    }
    Component {
        id: plainConnection
        Connection {}
    }

    TestCase {
        name: "Connection"

        function test_leadsOverTlsWithAClientCertificate() {
            const connection = createTemporaryObject(tlsConnection, this)
            compare(connection.errorString, "")
            const elector = createTemporaryObject(electorComponent, this,
                {connection: connection, electionName: etcdPrefix + "tls", candidateId: "tls"})
            elector.campaign()
            tryCompare(elector, "role", Elector.Leader, 10000)
            compare(connection.currentEndpoint.toString(), etcdTlsEndpoint)
            elector.leave()
            tryCompare(elector, "campaigning", false, 10000)
        }

        function test_aCaThatDidNotSignTheServerIsATlsError() {
            const connection = createTemporaryObject(tlsConnection, this, {caCertificateFile: etcdOtherCaFile})
            const elector = createTemporaryObject(electorComponent, this,
                {connection: connection, electionName: etcdPrefix + "wrong-ca"})
            const spy = createTemporaryObject(errorSpy, this, {target: elector})
            elector.campaign()
            spy.wait(10000)
            compare(spy.signalArguments[0][0], Errors.TlsError)
            compare(elector.role, Elector.NotAMember)
            elector.leave()
        }

        function test_anUnreadableCaFileIsRefusedAndNothingChanges() {
            const connection = createTemporaryObject(tlsConnection, this)
            const spy = createTemporaryObject(errorSpy, this, {target: connection})
            connection.caCertificateFile = "/nonexistent/ca.pem"
            compare(spy.count, 1)
            compare(spy.signalArguments[0][0], Errors.InvalidArgument)
            compare(connection.error, Errors.InvalidArgument)
            verify(connection.errorString.indexOf("/nonexistent/ca.pem") >= 0, connection.errorString)
            // The Client keeps what it had: a campaign over TLS still works.
            const elector = createTemporaryObject(electorComponent, this,
                {connection: connection, electionName: etcdPrefix + "kept", candidateId: "kept"})
            elector.campaign()
            tryCompare(elector, "role", Elector.Leader, 10000)
            elector.leave()
            // Mended, the error goes.
            connection.caCertificateFile = etcdCaFile
            compare(connection.errorString, "")
        }

        function test_etcdctlsDefaultEndpointAndAnInvalidOne() {
            const connection = createTemporaryObject(plainConnection, this)
            compare(connection.endpoints.length, 1)
            compare(connection.endpoints[0], "http://127.0.0.1:2379")
            const spy = createTemporaryObject(errorSpy, this, {target: connection})
            connection.endpoints = ["http://127.0.0.1:2379", "ftp://127.0.0.1:2379"]
            compare(spy.count, 1)
            compare(connection.error, Errors.InvalidArgument)
            verify(connection.errorString.indexOf("ftp://127.0.0.1:2379") >= 0, connection.errorString)
        }
    }
}
