// json_string.h — a JSON string literal, escaped the way PostgreSQL's
// escape_json() does it (\b \f \n \r \t \" \\, other control characters as
// \u00xx, everything else byte for byte). One escaper for every JSON flatwal
// writes: jsonb text in frames (which must match jsonb_out exactly), to_json,
// and the shipper's Kafka keys. Text read from a frame may not be UTF-8:
// readers pass Utf8::kReplaceInvalid, which writes \ufffd for each byte
// that does not start a valid sequence, so their output is always valid JSON.
#ifndef FLATWAL_JSON_STRING_H
#define FLATWAL_JSON_STRING_H

#include <cstddef>
#include <string>

#include "utf8.h"

namespace flatwal {

enum class Utf8 { kAsIs, kReplaceInvalid };

inline void AppendJsonString(const char* text, size_t length, std::string* out, Utf8 utf8 = Utf8::kAsIs) {
	static const char kHex[] = "0123456789abcdef";
	out->push_back('"');
	size_t run = 0;  // start of the stretch that needs no escaping
	for (size_t i = 0; i < length; ++i) {
		unsigned char c = static_cast<unsigned char>(text[i]);
		if (c >= 0x80 && utf8 == Utf8::kReplaceInvalid) {
			size_t n = Utf8SequenceLength(reinterpret_cast<const unsigned char*>(text) + i, length - i);
			if (n > 0) {
				i += n - 1;
				continue;
			}
			out->append(text + run, i - run);
			out->append("\\ufffd");
			run = i + 1;
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\') continue;
		out->append(text + run, i - run);
		run = i + 1;
		switch (c) {
			case '\b': out->append("\\b"); break;
			case '\f': out->append("\\f"); break;
			case '\n': out->append("\\n"); break;
			case '\r': out->append("\\r"); break;
			case '\t': out->append("\\t"); break;
			case '"': out->append("\\\""); break;
			case '\\': out->append("\\\\"); break;
			default: {
				const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
				out->append(escaped, sizeof escaped);
			}
		}
	}
	out->append(text + run, length - run);
	out->push_back('"');
}

}  // namespace flatwal

#endif  // FLATWAL_JSON_STRING_H
