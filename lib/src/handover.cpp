#include <conclave/handover.h>

#include <QtCore/QMetaEnum>

namespace Conclave {

QString causeName(Handover::Cause cause)
{
    const char *key = QMetaEnum::fromType<Handover::Cause>().valueToKey(int(cause));
    QString words;
    for (const QChar ch : QString::fromLatin1(key ? key : "Unknown")) {
        if (ch.isUpper() && !words.isEmpty())
            words += QLatin1Char(' ');
        words += ch.toLower();
    }
    return words;
}

} // namespace Conclave
