#include <conclave/conclaveglobal.h>

#include <QtCore/QMetaEnum>

namespace Conclave {

QString errorName(Error error)
{
    return QString::fromLatin1(QMetaEnum::fromType<Error>().valueToKey(int(error)));
}

} // namespace Conclave
