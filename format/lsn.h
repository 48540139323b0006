// lsn.h — PostgreSQL's text form of a WAL position ("16/B374D848": the high
// and low 32 bits in upper-case hex, no leading zeros), written and read.
// Written without printf: the shipper formats two LSNs for every message it
// produces.
// Pure C++, header-only.
#ifndef FLATWAL_LSN_H
#define FLATWAL_LSN_H

#include <cstdint>
#include <string>
#include <string_view>

namespace flatwal {

// Longest text: "FFFFFFFF/FFFFFFFF".
constexpr size_t kMaxLsnTextBytes = 17;

// Writes the text at `out` (at least kMaxLsnTextBytes); returns its length.
inline size_t FormatLsn(uint64_t lsn, char* out) {
	static const char kDigits[] = "0123456789ABCDEF";
	size_t n = 0;
	auto half = [&](uint32_t v) {
		int shift = 28;
		while (shift > 0 && (v >> shift) == 0) shift -= 4;
		for (; shift >= 0; shift -= 4) out[n++] = kDigits[(v >> shift) & 15];
	};
	half(static_cast<uint32_t>(lsn >> 32));
	out[n++] = '/';
	half(static_cast<uint32_t>(lsn));
	return n;
}

inline void AppendLsn(uint64_t lsn, std::string* out) {
	char text[kMaxLsnTextBytes];
	out->append(text, FormatLsn(lsn, text));
}

inline std::string LsnText(uint64_t lsn) {
	std::string text;
	AppendLsn(lsn, &text);
	return text;
}

// Reads the whole of `text` as an LSN ("16/B374D848", either case); false
// for anything else.
inline bool ParseLsn(std::string_view text, uint64_t* lsn) {
	uint64_t halves[2] = {0, 0};
	size_t half = 0, digits = 0;
	for (char c : text) {
		if (c == '/' && half == 0 && digits > 0) {
			half = 1;
			digits = 0;
			continue;
		}
		const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0 || ++digits > 8) return false;
		halves[half] = halves[half] << 4 | static_cast<uint64_t>(v);
	}
	if (half != 1 || digits == 0) return false;
	*lsn = halves[0] << 32 | halves[1];
	return true;
}

}  // namespace flatwal

#endif  // FLATWAL_LSN_H
