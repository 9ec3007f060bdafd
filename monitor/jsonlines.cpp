#include "jsonlines.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QJsonDocument>

namespace Monitor::JsonLines {

int read(const QString &file, const QLoggingCategory &category, const std::function<bool(const QJsonObject &)> &take,
         const std::function<bool()> &stop)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    int number = 0;
    int skipped = 0;
    while (!f.atEnd() && !(stop && stop())) {
        const QByteArray line = f.readLine().trimmed();
        ++number;
        if (line.isEmpty())
            continue;
        const QJsonDocument doc = QJsonDocument::fromJson(line);
        if (!doc.isObject() || !take(doc.object())) {
            ++skipped;
            qCWarning(category).noquote() << file << "line" << number << "cannot be read; skipped";
        }
    }
    return skipped;
}

bool append(const QString &file, const QJsonObject &object, QString *error)
{
    if (!QDir().mkpath(QFileInfo(file).absolutePath())) {
        *error = QStringLiteral("cannot create the directory of %1").arg(file);
        return false;
    }
    // Unbuffered: the line goes in one write(2) to a file opened for appending, so monitors
    // sharing a file do not interleave their lines.
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered)) {
        *error = QStringLiteral("cannot append to %1: %2").arg(file, f.errorString());
        return false;
    }
    const QByteArray line = QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
    if (f.write(line) != line.size()) {
        *error = QStringLiteral("cannot append to %1: %2").arg(file, f.errorString());
        return false;
    }
    return true;
}

} // namespace Monitor::JsonLines
