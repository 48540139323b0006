// log.cpp — see log.h. One write per line so concurrent lines do not interleave.
#include "log.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace flatwal {
namespace {

LogLevel g_level = LogLevel::kInfo;

const char* LevelName(LogLevel level) {
	switch (level) {
		case LogLevel::kError: return "error";
		case LogLevel::kWarning: return "warning";
		case LogLevel::kInfo: return "info";
		case LogLevel::kDebug: return "debug";
	}
	return "info";
}

void AppendValue(std::string* line, const std::string& value) {
	bool plain = !value.empty() && value.find_first_of(" \"=\n\t\\") == std::string::npos;
	if (plain) {
		*line += value;
		return;
	}
	line->push_back('"');
	for (char c : value) {
		if (c == '"' || c == '\\') line->push_back('\\');
		if (c == '\n') {
			*line += "\\n";
			continue;
		}
		line->push_back(c);
	}
	line->push_back('"');
}

}  // namespace

bool ParseLogLevel(std::string_view name, LogLevel* level) {
	static const std::pair<std::string_view, LogLevel> kLevels[] = {
	    {"error", LogLevel::kError}, {"warning", LogLevel::kWarning}, {"info", LogLevel::kInfo}, {"debug", LogLevel::kDebug}};
	for (const auto& entry : kLevels)
		if (entry.first == name) return *level = entry.second, true;
	return false;
}

void SetLogLevel(LogLevel level) { g_level = level; }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) <= static_cast<int>(g_level); }

void Log(LogLevel level, const std::string& message, std::initializer_list<LogField> fields) {
	if (!LogEnabled(level)) return;
	timeval tv;
	gettimeofday(&tv, nullptr);
	tm utc;
	gmtime_r(&tv.tv_sec, &utc);
	char ts[64];
	snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
	         utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(tv.tv_usec / 1000));
	std::string line = std::string("ts=") + ts + " level=" + LevelName(level) + " msg=";
	AppendValue(&line, message);
	for (const LogField& f : fields) {
		if (f.second.empty()) continue;  // an empty field says nothing
		line += ' ';
		line += f.first;
		line += '=';
		AppendValue(&line, f.second);
	}
	line += '\n';
	ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
	(void)ignored;
}

void LogStatus(LogLevel level, const Status& status) {
	Log(level, status.message(), {{"detail", status.detail()}, {"hint", status.hint()}});
}

}  // namespace flatwal
