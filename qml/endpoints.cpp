#include "endpoints.h"

#include <QtCore/QVariantList>

namespace Conclave::Qml {

QList<QUrl> endpointList(const QVariant &value)
{
    const QMetaType type = value.metaType();
    const bool single = type == QMetaType::fromType<QString>() || type == QMetaType::fromType<QUrl>();
    const QVariantList items = single ? QVariantList{value} : value.toList();
    QList<QUrl> urls;
    for (const QVariant &item : std::as_const(items)) {
        // An entry that is not a URL stays visible (an invalid QUrl): Client refuses the
        // list with InvalidArgument and says which entry.
        urls.append(item.metaType() == QMetaType::fromType<QUrl>() ? item.toUrl()
                                                                   : QUrl(item.toString()));
    }
    return urls;
}

QStringList endpointStrings(const QList<QUrl> &endpoints)
{
    QStringList strings;
    for (const QUrl &url : endpoints)
        strings.append(url.toString());
    return strings;
}

} // namespace Conclave::Qml
