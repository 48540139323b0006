// hex_text.h — bytes as lower-case hex, and a uuid in its 8-4-4-4-12 form:
// the one spelling of both for every renderer. Pure C++, header-only.
#ifndef FLATWAL_HEX_TEXT_H
#define FLATWAL_HEX_TEXT_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace flatwal {

inline void AppendHex(const uint8_t* data, size_t size, std::string* out) {
	static const char kDigits[] = "0123456789abcdef";
	for (size_t i = 0; i < size; ++i) {
		out->push_back(kDigits[data[i] >> 4]);
		out->push_back(kDigits[data[i] & 15]);
	}
}

inline void AppendUuidText(const uint8_t bytes[16], std::string* out) {
	for (int i = 0; i < 16; ++i) {
		if (i == 4 || i == 6 || i == 8 || i == 10) out->push_back('-');
		AppendHex(bytes + i, 1, out);
	}
}

}  // namespace flatwal

#endif  // FLATWAL_HEX_TEXT_H
