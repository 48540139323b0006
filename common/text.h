// text.h — small text helpers shared by the plugin's option parser, the
// shipper's configuration (so both read a boolean the same way) and the
// programs.
#ifndef FLATWAL_TEXT_H
#define FLATWAL_TEXT_H

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

namespace flatwal {

inline std::string TrimSpace(const std::string& s) {
	size_t begin = 0, end = s.size();
	while (begin < end && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
	while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
	return s.substr(begin, end - begin);
}

inline std::string LowerCase(std::string s) {
	std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
	return s;
}

inline bool EndsWith(const std::string& s, const char* suffix) {
	const size_t n = std::strlen(suffix);
	return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// PostgreSQL's spellings of a boolean: true/false, on/off, yes/no, 1/0, any case.
inline bool ParseBoolWord(const std::string& text, bool* out) {
	std::string v = LowerCase(TrimSpace(text));
	if (v == "true" || v == "on" || v == "yes" || v == "1") {
		*out = true;
		return true;
	}
	if (v == "false" || v == "off" || v == "no" || v == "0") {
		*out = false;
		return true;
	}
	return false;
}

}  // namespace flatwal

#endif  // FLATWAL_TEXT_H
