#include "connectiondialog.h"

#include <QtWidgets/QDialogButtonBox>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QLineEdit>

namespace Monitor {

ConnectionDialog::ConnectionDialog(const Conclave::ConnectionSettings &current,
                                   const QString &prefix, QWidget *parent)
    : QDialog(parent)
    , m_endpoints(new QLineEdit(current.endpoints(), this))
    , m_caCert(new QLineEdit(current.caCertificateFile(), this))
    , m_cert(new QLineEdit(current.certificateFile(), this))
    , m_key(new QLineEdit(current.keyFile(), this))
    , m_user(new QLineEdit(current.user(), this))
    , m_password(new QLineEdit(current.password(), this))
    , m_prefix(new QLineEdit(prefix, this))
{
    setWindowTitle(tr("Connect to etcd"));
    setObjectName(QStringLiteral("connection"));
    m_password->setEchoMode(QLineEdit::Password);
    auto *form = new QFormLayout(this);
    form->addRow(tr("Endpoints"), m_endpoints);
    form->addRow(tr("CA certificate"), m_caCert);
    form->addRow(tr("Client certificate"), m_cert);
    form->addRow(tr("Client key"), m_key);
    form->addRow(tr("User"), m_user);
    form->addRow(tr("Password"), m_password);
    form->addRow(tr("Key prefix"), m_prefix);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

Conclave::ConnectionSettings ConnectionDialog::settings() const
{
    Conclave::ConnectionSettings s;
    s.setEndpoints(m_endpoints->text());
    s.setCaCertificateFile(m_caCert->text());
    s.setCertificateFile(m_cert->text());
    s.setKeyFile(m_key->text());
    s.setUser(m_user->text());
    if (!m_password->text().isEmpty())
        s.setPassword(m_password->text());
    return s;
}

QString ConnectionDialog::prefix() const
{
    return m_prefix->text();
}

} // namespace Monitor
