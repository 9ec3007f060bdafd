#pragma once

#include <QtCore/QString>
#include <QtCore/QStringList>

#include <chrono>
#include <optional>

QT_BEGIN_NAMESPACE
class QCommandLineParser;
QT_END_NAMESPACE

//! conclave-candidate's command line, checked: every option's value, and which go together.
struct CandidateOptions
{
    QString election;
    QString id;                   //!< empty: the Elector's default (hostname:pid)
    int ttl = 10;
    QString host;
    int port = 0;
    int priority = 0;
    QStringList command;          //!< after "--": run only while leading
    std::chrono::milliseconds killAfter{2000};
    QString healthCmd;
    std::chrono::milliseconds healthInterval{5000};
    int healthFailures = 3;
    QString metricsAddress;       //!< empty: no HTTP endpoints
    bool notify = false;          //!< systemd's notify protocol for the child
    QString notifySocket;         //!< empty: an abstract socket of our own
    std::chrono::milliseconds watchdog{0};
    QString onRoleChange;
    std::chrono::milliseconds hookTimeout{30000};

    //! The options above, and the connection's (Conclave::ConnectionSettings), on \a parser.
    static void addTo(QCommandLineParser &parser);
    //! The options \a parser parsed from \a arguments, or why they cannot be used.
    static std::optional<CandidateOptions> read(const QCommandLineParser &parser, const QStringList &arguments,
                                                QString *problem);
};
