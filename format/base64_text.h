// base64_text.h — bytes as RFC 4648 base64 with padding, in the standard or
// the URL-safe alphabet: how Kafka Connect's JsonConverter writes BYTES, and
// the Debezium format's binary.handling.mode=base64[-url-safe].
// Pure C++, header-only.
#ifndef FLATWAL_BASE64_TEXT_H
#define FLATWAL_BASE64_TEXT_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace flatwal {

enum class Base64Alphabet { kStandard, kUrlSafe };

inline void AppendBase64(const uint8_t* data, size_t size, std::string* out,
                         Base64Alphabet alphabet = Base64Alphabet::kStandard) {
	const char* digits = alphabet == Base64Alphabet::kStandard
	                         ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	                         : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i = 0;
	for (; i + 3 <= size; i += 3) {
		uint32_t v = uint32_t{data[i]} << 16 | uint32_t{data[i + 1]} << 8 | data[i + 2];
		out->push_back(digits[v >> 18]);
		out->push_back(digits[(v >> 12) & 63]);
		out->push_back(digits[(v >> 6) & 63]);
		out->push_back(digits[v & 63]);
	}
	if (i == size) return;
	uint32_t v = uint32_t{data[i]} << 16 | (i + 1 < size ? uint32_t{data[i + 1]} << 8 : 0);
	out->push_back(digits[v >> 18]);
	out->push_back(digits[(v >> 12) & 63]);
	out->push_back(i + 1 < size ? digits[(v >> 6) & 63] : '=');
	out->push_back('=');
}

}  // namespace flatwal

#endif  // FLATWAL_BASE64_TEXT_H
