// log.h — structured log lines on stderr: ts=… level=… msg="…" key=value …
#ifndef FLATWAL_LOG_H
#define FLATWAL_LOG_H

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "status.h"

namespace flatwal {

enum class LogLevel { kError, kWarning, kInfo, kDebug };

using LogField = std::pair<const char*, std::string>;

// The names every program's log-level setting takes, and reading one.
inline constexpr char kLogLevelNames[] = "error, warning, info or debug";
bool ParseLogLevel(std::string_view name, LogLevel* level);

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
// Fields with an empty value are left out.
void Log(LogLevel level, const std::string& message, std::initializer_list<LogField> fields = {});
// A failed Status: its message, then its detail and hint.
void LogStatus(LogLevel level, const Status& status);

}  // namespace flatwal

#endif  // FLATWAL_LOG_H
