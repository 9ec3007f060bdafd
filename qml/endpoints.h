#pragma once

#include <QtCore/QList>
#include <QtCore/QStringList>
#include <QtCore/QUrl>
#include <QtCore/QVariant>

namespace Conclave::Qml {

// QML's `endpoints`: a URL, a string or a list of either, as the user wrote it (a property of
// type var: Qt 6.4 cannot give a list<url> property as an initial property of createObject()).
QList<QUrl> endpointList(const QVariant &value);
QStringList endpointStrings(const QList<QUrl> &endpoints);

} // namespace Conclave::Qml
