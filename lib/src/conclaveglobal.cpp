#include <conclave/conclaveglobal.h>

#include <QtCore/QMetaEnum>

namespace Conclave {

QString errorName(Error error)
{
    return QString::fromLatin1(QMetaEnum::fromType<Error>().valueToKey(int(error)));
}

bool isPermanent(Error error)
{
    return error == Error::PermissionDenied || error == Error::AuthenticationError
            || error == Error::InvalidArgument;
}

} // namespace Conclave
