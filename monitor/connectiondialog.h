#pragma once

#include <conclave/connectionsettings.h>

#include <QtWidgets/QDialog>

QT_BEGIN_NAMESPACE
class QLineEdit;
QT_END_NAMESPACE

namespace Monitor {

//! Endpoints, TLS files, user, password and key prefix, prefilled from the current connection.
class ConnectionDialog : public QDialog
{
    Q_OBJECT
public:
    ConnectionDialog(const Conclave::ConnectionSettings &current, const QString &prefix,
                     QWidget *parent = nullptr);
    //! What was entered; an empty password field keeps none.
    Conclave::ConnectionSettings settings() const;
    QString prefix() const;

private:
    QLineEdit *m_endpoints;
    QLineEdit *m_caCert;
    QLineEdit *m_cert;
    QLineEdit *m_key;
    QLineEdit *m_user;
    QLineEdit *m_password;
    QLineEdit *m_prefix;
};

} // namespace Monitor
