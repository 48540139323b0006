// utf8.h — UTF-8 validation (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF). Pure C++, header-only.
#ifndef FLATWAL_UTF8_H
#define FLATWAL_UTF8_H

#include <cstddef>
#include <cstdint>

namespace flatwal {

// The length of the valid UTF-8 sequence at p (1 to 4 bytes, at most
// `available`), or 0 when the bytes there are not valid UTF-8.
inline size_t Utf8SequenceLength(const unsigned char* p, size_t available) {
	if (available == 0) return 0;
	const unsigned char c = p[0];
	if (c < 0x80) return 1;
	size_t n;
	unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
	if (c >= 0xC2 && c <= 0xDF) n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0) low = 0xA0;   // overlong
		if (c == 0xED) high = 0x9F;  // surrogates
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0) low = 0x90;   // overlong
		if (c == 0xF4) high = 0x8F;  // above U+10FFFF
	} else {
		return 0;
	}
	if (available < n || p[1] < low || p[1] > high) return 0;
	for (size_t i = 2; i < n; ++i)
		if (p[i] < 0x80 || p[i] > 0xBF) return 0;
	return n;
}

}  // namespace flatwal

#endif  // FLATWAL_UTF8_H
