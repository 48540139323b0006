// stored_text.cpp — see stored_text.h.
#include "stored_text.h"

#include <cstring>

#include "json_string.h"

namespace flatwal {
namespace {

using namespace stored;

constexpr int kDecDigits = 4;  // decimal digits per base-10000 numeric digit
constexpr int kNumericBase = 10000;

// Stored values need not be aligned (a short varlena header shifts them by
// one byte), so every multi-byte read goes through memcpy.
uint16_t Load16(const uint8_t* p) {
	uint16_t v;
	std::memcpy(&v, p, sizeof v);
	return v;
}

uint32_t Load32(const uint8_t* p) {
	uint32_t v;
	std::memcpy(&v, p, sizeof v);
	return v;
}

// Appends the four decimal digits of one base-10000 digit; leading zeroes
// are dropped when `trim` (the first digit before the decimal point).
char* PutDigit(char* cp, int digit, bool trim) {
	int d1 = digit / 1000;
	digit -= d1 * 1000;
	bool put = !trim || d1 > 0;
	if (put) *cp++ = static_cast<char>('0' + d1);
	d1 = digit / 100;
	digit -= d1 * 100;
	put |= d1 > 0;
	if (put) *cp++ = static_cast<char>('0' + d1);
	d1 = digit / 10;
	digit -= d1 * 10;
	put |= d1 > 0;
	if (put) *cp++ = static_cast<char>('0' + d1);
	*cp++ = static_cast<char>('0' + digit);
	return cp;
}

// The length of a varlena stored inline and uncompressed, and where its data
// starts; false for external or compressed values. Little-endian layout.
bool InlineVarlena(const uint8_t* p, size_t available, const uint8_t** data, size_t* size) {
	if (available < 1) return false;
	if ((p[0] & 0x01) == 0x01) {  // one-byte header; 0x01 alone marks an external pointer
		size_t total = p[0] >> 1;
		if (p[0] == 0x01 || total < 1 || total > available) return false;
		*data = p + 1;
		*size = total - 1;
		return true;
	}
	if ((p[0] & 0x03) != 0x00 || available < 4) return false;  // 0x02: compressed
	size_t total = Load32(p) >> 2;
	if (total < 4 || total > available) return false;
	*data = p + 4;
	*size = total - 4;
	return true;
}

size_t IntAlign(size_t offset) { return (offset + 3) & ~size_t(3); }

// Writes jsonb containers the way JsonbToCString does without indentation:
// ", " between items, ": " after keys, objects in stored key order.
class JsonbWriter {
 public:
	explicit JsonbWriter(std::string* out) : out_(out) {}

	bool Container(const uint8_t* p, size_t size, int depth) {
		if (depth > kMaxJsonbDepth || size < 4) return false;
		uint32_t header = Load32(p);
		size_t count = header & kJsonbCountMask;
		bool object = (header & kJsonbObjectFlag) != 0;
		bool array = (header & kJsonbArrayFlag) != 0;
		if (object == array) return false;
		size_t entries = object ? 2 * count : count;
		if (entries > (size - 4) / 4) return false;
		const uint8_t* children = p + 4;
		const uint8_t* base = children + 4 * entries;
		size_t data_size = size - 4 - 4 * entries;

		if (header & kJsonbScalarFlag) {  // a bare scalar is stored as a one-element array
			if (!array || count != 1) return false;
			uint32_t entry = Load32(children);
			return Value(entry, base, 0, End(entry, 0), data_size, depth);
		}
		if (array) {
			out_->push_back('[');
			size_t offset = 0;
			for (size_t i = 0; i < count; ++i) {
				uint32_t entry = Load32(children + 4 * i);
				size_t end = End(entry, offset);
				if (i > 0) out_->append(", ");
				if (!Value(entry, base, offset, end, data_size, depth)) return false;
				offset = end;
			}
			out_->push_back(']');
			return true;
		}
		// An object stores all keys, then all values: find where the values start.
		size_t value_offset = 0;
		for (size_t i = 0; i < count; ++i) value_offset = End(Load32(children + 4 * i), value_offset);
		size_t key_offset = 0;
		out_->push_back('{');
		for (size_t i = 0; i < count; ++i) {
			uint32_t key = Load32(children + 4 * i);
			uint32_t value = Load32(children + 4 * (count + i));
			size_t key_end = End(key, key_offset);
			size_t value_end = End(value, value_offset);
			if (i > 0) out_->append(", ");
			if ((key & kJEntryTypeMask) != kJEntryString) return false;
			if (!Value(key, base, key_offset, key_end, data_size, depth)) return false;
			out_->append(": ");
			if (!Value(value, base, value_offset, value_end, data_size, depth)) return false;
			key_offset = key_end;
			value_offset = value_end;
		}
		out_->push_back('}');
		return true;
	}

 private:
	// A JEntry holds either its data's end offset or its length (every 32nd holds the offset).
	static size_t End(uint32_t entry, size_t offset) {
		size_t field = entry & kJEntryOffLenMask;
		return (entry & kJEntryHasOff) ? field : offset + field;
	}

	bool Value(uint32_t entry, const uint8_t* base, size_t offset, size_t end, size_t data_size, int depth) {
		if (end < offset || end > data_size) return false;
		switch (entry & kJEntryTypeMask) {
			case kJEntryString:
				return AppendJsonString(reinterpret_cast<const char*>(base + offset), end - offset, out_), true;
			case kJEntryFalse: return out_->append("false"), true;
			case kJEntryTrue: return out_->append("true"), true;
			case kJEntryNull: return out_->append("null"), true;
			case kJEntryNumeric: {
				size_t start = IntAlign(offset);  // numerics and containers are padded to 4 bytes
				const uint8_t* data;
				size_t size;
				if (start > end || !InlineVarlena(base + start, end - start, &data, &size)) return false;
				return AppendNumericText(data, size, out_);
			}
			case kJEntryContainer: {
				size_t start = IntAlign(offset);
				return start <= end && Container(base + start, end - start, depth + 1);
			}
			default: return false;
		}
	}

	std::string* out_;
};

}  // namespace

bool AppendNumericText(const uint8_t* data, size_t size, std::string* out) {
	if (size < 2) return false;
	uint16_t header = Load16(data);
	if ((header & kNumericSignMask) == kNumericSpecial) {
		switch (header) {
			case kNumericNaN: return out->append("NaN"), true;
			case kNumericPosInf: return out->append("Infinity"), true;
			case kNumericNegInf: return out->append("-Infinity"), true;
			default: return false;
		}
	}
	bool negative;
	int dscale, weight;
	size_t header_size;
	if (header & kNumericShort) {
		negative = (header & kNumericShortSignMask) != 0;
		dscale = (header & kNumericShortDscaleMask) >> kNumericShortDscaleShift;
		weight = header & kNumericShortWeightMask;
		if (header & kNumericShortWeightSignMask) weight -= kNumericShortWeightMask + 1;
		header_size = 2;
	} else {
		if (size < 4) return false;
		negative = (header & kNumericSignMask) == kNumericNeg;
		dscale = header & kNumericDscaleMask;
		weight = static_cast<int16_t>(Load16(data + 2));
		header_size = 4;
	}
	if ((size - header_size) % 2 != 0) return false;
	const uint8_t* digits = data + header_size;
	int ndigits = static_cast<int>((size - header_size) / 2);
	auto digit_at = [&](int d) { return d >= 0 && d < ndigits ? static_cast<int16_t>(Load16(digits + 2 * d)) : 0; };
	for (int d = 0; d < ndigits; ++d) {
		int digit = digit_at(d);
		if (digit < 0 || digit >= kNumericBase) return false;
	}

	// As numeric.c's get_str_from_var: every digit before the point, then
	// exactly dscale digits after it (the last base-10000 digit may overshoot).
	int before = (weight + 1) * kDecDigits;
	size_t start = out->size();
	out->resize(start + (before > 0 ? before : 1) + dscale + kDecDigits + 2);
	char* begin = &(*out)[start];
	char* cp = begin;
	if (negative) *cp++ = '-';
	int d;
	if (weight < 0) {
		d = weight + 1;
		*cp++ = '0';
	} else {
		for (d = 0; d <= weight; ++d) cp = PutDigit(cp, digit_at(d), d == 0);
	}
	if (dscale > 0) {
		*cp++ = '.';
		char* end = cp + dscale;
		for (int i = 0; i < dscale; ++d, i += kDecDigits) cp = PutDigit(cp, digit_at(d), false);
		cp = end;
	}
	out->resize(start + (cp - begin));
	return true;
}

bool AppendJsonbText(const uint8_t* data, size_t size, std::string* out) {
	size_t start = out->size();
	if (JsonbWriter(out).Container(data, size, 0)) return true;
	out->resize(start);
	return false;
}

}  // namespace flatwal
