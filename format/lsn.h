// lsn.h — PostgreSQL's text form of a WAL position ("16/B374D848": the high
// and low 32 bits in upper-case hex, no leading zeros). Written without
// printf: the shipper formats two LSNs for every message it produces.
// Pure C++, header-only.
#ifndef FLATWAL_LSN_H
#define FLATWAL_LSN_H

#include <cstdint>
#include <string>

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

}  // namespace flatwal

#endif  // FLATWAL_LSN_H
