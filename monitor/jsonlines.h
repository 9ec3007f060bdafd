#pragma once

// The monitor's files of record (history, audit log) are JSON lines: one object per line,
// appended with one write, read back skipping (with a warning) any line that cannot be read.

#include <QtCore/QJsonObject>
#include <QtCore/QLoggingCategory>
#include <QtCore/QString>

#include <functional>

namespace Monitor::JsonLines {

/*!
 * Calls \a take with each line of \a file that is a JSON object; a line that is not, or that
 * \a take refuses (returns false), is skipped with a warning in \a category naming the file
 * and line. Returns how many lines were skipped; a missing file is no lines. Reading ends early
 * once \a stop (if given) says so.
 */
int read(const QString &file, const QLoggingCategory &category, const std::function<bool(const QJsonObject &)> &take,
         const std::function<bool()> &stop = {});
//! Appends \a object to \a file (and its directory) as one line in one write; false with \a error.
bool append(const QString &file, const QJsonObject &object, QString *error);

} // namespace Monitor::JsonLines
