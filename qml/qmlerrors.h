#pragma once

// Conclave::Error in QML as Errors: `elector.error === Errors.PermissionDenied`.

#include <conclave/conclaveglobal.h>

#include <QtCore/QObject>
#include <QtQml/qqmlregistration.h>

namespace Conclave::Qml {

class Errors : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(Errors)
    QML_UNCREATABLE("Errors holds the values of Conclave::Error only")
    QML_EXTENDED_NAMESPACE(Conclave)
};

} // namespace Conclave::Qml
