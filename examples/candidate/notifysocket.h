#pragma once

// systemd's notify protocol, the receiving end (sd_notify(3)): a datagram socket whose address
// goes to the child as NOTIFY_SOCKET, abstract ("@name", the default) or a filesystem path;
// each datagram holds newline-separated KEY=VALUE assignments.

#include <QtCore/QObject>
#include <QtCore/QSocketNotifier>
#include <QtCore/QString>

#include <memory>

class NotifySocket : public QObject
{
    Q_OBJECT
public:
    explicit NotifySocket(QObject *parent = nullptr);
    ~NotifySocket() override;

    //! Binds \a address ("@name" abstract, else a path; empty: an abstract name of our own).
    bool listen(const QString &address, QString *problem);
    //! What the child gets as NOTIFY_SOCKET.
    QString address() const { return m_address; }

Q_SIGNALS:
    void ready();                       //!< READY=1
    void watchdogPing();                //!< WATCHDOG=1
    void watchdogTrigger();             //!< WATCHDOG=trigger: the child says it is stuck
    void statusChanged(const QString &text); //!< STATUS=…
    void stopping();                    //!< STOPPING=1

private:
    void onReadable();
    void handle(const QByteArray &assignment);

    int m_fd = -1;
    QString m_address;
    QString m_path; //!< a filesystem socket we created: removed again
    std::unique_ptr<QSocketNotifier> m_notifier;
};
