// debezium_scalars.cpp — see debezium_scalars.h.
#include "debezium_scalars.h"

#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base64_text.h"
#include "datetime_text.h"
#include "hex_text.h"
#include "json_string.h"
#include "number_text.h"
#include "text.h"

namespace flatwal {
namespace {

// A decimal's digits without its point, and how many of them follow it.
// Accepts PostgreSQL's numeric output: [-]digits[.digits]. False otherwise
// (NaN, Infinity, or anything unexpected).
struct DecimalText {
	bool negative = false;
	std::string digits;
	int scale = 0;
};

bool ParseDecimal(const char* text, size_t size, DecimalText* d) {
	size_t i = 0;
	if (i < size && (text[i] == '-' || text[i] == '+')) d->negative = text[i++] == '-';
	bool point = false, any = false;
	for (; i < size; ++i) {
		char c = text[i];
		if (c == '.' && !point) {
			point = true;
		} else if (c >= '0' && c <= '9') {
			d->digits.push_back(c);
			any = true;
			if (point) ++d->scale;
		} else {
			return false;
		}
	}
	return any;
}

// money's text under lc_monetary (e.g. "$1,234.56", "-$0.50", "($3.00)"):
// the digits, the sign, and the fraction after the last '.'.
bool ParseMoney(const char* text, size_t size, DecimalText* d) {
	for (size_t i = 0; i < size; ++i) {
		char c = text[i];
		if (c == '-' || c == '(') d->negative = true;
		else if (c == '.') d->scale = 0;
		else if (c >= '0' && c <= '9') {
			d->digits.push_back(c);
			++d->scale;
		}
	}
	if (std::memchr(text, '.', size) == nullptr) d->scale = 0;
	return !d->digits.empty();
}

// Moves the decimal to `scale` fraction digits (pads with zeros, or drops digits).
void Rescale(DecimalText* d, int scale) {
	if (scale > d->scale) d->digits.append(static_cast<size_t>(scale - d->scale), '0');
	else if (scale < d->scale && d->digits.size() > static_cast<size_t>(d->scale - scale))
		d->digits.resize(d->digits.size() - static_cast<size_t>(d->scale - scale));
	d->scale = scale;
}

// The unscaled value as Java's BigInteger.toByteArray(): big-endian two's
// complement in the fewest bytes that keep the sign.
std::vector<uint8_t> TwosComplement(const DecimalText& d) {
	std::vector<uint8_t> magnitude;  // big-endian
	for (char c : d.digits) {
		unsigned carry = static_cast<unsigned>(c - '0');
		for (size_t i = magnitude.size(); i-- > 0;) {
			unsigned v = magnitude[i] * 10u + carry;
			magnitude[i] = static_cast<uint8_t>(v & 0xff);
			carry = v >> 8;
		}
		while (carry) {
			magnitude.insert(magnitude.begin(), static_cast<uint8_t>(carry & 0xff));
			carry >>= 8;
		}
	}
	size_t zeros = 0;
	while (zeros < magnitude.size() && magnitude[zeros] == 0) ++zeros;
	magnitude.erase(magnitude.begin(), magnitude.begin() + static_cast<std::ptrdiff_t>(zeros));
	if (magnitude.empty()) return {0};
	if (!d.negative) {
		if (magnitude[0] & 0x80) magnitude.insert(magnitude.begin(), 0);
		return magnitude;
	}
	// Negate: invert and add one, then drop redundant leading 0xff bytes.
	magnitude.insert(magnitude.begin(), 0);
	unsigned carry = 1;
	for (size_t i = magnitude.size(); i-- > 0;) {
		unsigned v = static_cast<uint8_t>(~magnitude[i]) + carry;
		magnitude[i] = static_cast<uint8_t>(v & 0xff);
		carry = v >> 8;
	}
	size_t drop = 0;
	while (drop + 1 < magnitude.size() && magnitude[drop] == 0xff && (magnitude[drop + 1] & 0x80)) ++drop;
	magnitude.erase(magnitude.begin(), magnitude.begin() + static_cast<std::ptrdiff_t>(drop));
	return magnitude;
}

void AppendQuotedBase64(const std::vector<uint8_t>& bytes, std::string* out) {
	out->push_back('"');
	AppendBase64(bytes.data(), bytes.size(), out);
	out->push_back('"');
}

// PostgreSQL's ±infinity timestamps as pgjdbc hands them to Debezium
// (PGStatement.DATE_POSITIVE_INFINITY / DATE_NEGATIVE_INFINITY, read as micros).
constexpr int64_t kInfinityMicros = 9223372036825200000LL;
constexpr int64_t kMinusInfinityMicros = -9223372036832400000LL;

bool Adaptive(const DebeziumOptions& o) {
	return o.time == TimePrecisionMode::kAdaptive || o.time == TimePrecisionMode::kAdaptiveTimeMicroseconds;
}

// Fractional digits of a time/timestamp column: none given means 6.
int FractionDigits(const FieldMapping& f) { return f.precision < 0 ? 6 : f.precision; }

}  // namespace

void AppendDouble(double v, std::string* out) {
	// Jackson (under the JsonConverter) quotes the values JSON has no number for.
	if (std::isnan(v)) return out->append("\"NaN\""), void();
	if (std::isinf(v)) return out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\""), void();
	AppendShortest(v, out);
}

void AppendFloat32(double v, std::string* out) {
	if (std::isnan(v) || std::isinf(v)) return AppendDouble(v, out);
	// real is stored as a double in the frame; its shortest float text is what Java prints.
	AppendShortest(static_cast<float>(v), out);
}

// numeric and money, by decimal.handling.mode. In precise mode NaN and
// ±Infinity have no Connect Decimal: null, as Debezium writes them.
void AppendNumeric(const ValueRef& v, const FieldMapping& field, const DebeziumOptions& options, std::string* out) {
	DecimalText d;
	const bool parsed = field.money ? ParseMoney(v.data, v.size, &d) : ParseDecimal(v.data, v.size, &d);
	switch (options.decimal) {
		case DecimalMode::kString:
			if (!field.money) return AppendJsonString(v.data, v.size, out, Utf8::kReplaceInvalid);
			if (!parsed) return out->append("null"), void();
			Rescale(&d, field.scale);
			{
				std::string text = d.negative ? "-" : "";
				size_t whole = d.digits.size() - static_cast<size_t>(d.scale);
				text.append(d.digits, 0, whole == 0 ? 0 : whole);
				if (whole == 0) text.push_back('0');
				if (d.scale > 0) text.append(".").append(d.digits, whole, std::string::npos);
				AppendJsonString(text.data(), text.size(), out);
			}
			return;
		case DecimalMode::kDouble: {
			if (!parsed && !field.money) {
				std::string text(v.data, v.size);  // NaN, Infinity, -Infinity
				return AppendDouble(std::strtod(text.c_str(), nullptr), out);
			}
			if (!parsed) return out->append("null"), void();
			std::string text = d.negative ? "-" : "";
			text += d.digits;
			text += "e-" + std::to_string(d.scale);
			return AppendDouble(std::strtod(text.c_str(), nullptr), out);
		}
		case DecimalMode::kPrecise:
			if (!parsed) return out->append("null"), void();
			if (field.type == FieldType::kVariableDecimal) {
				out->append("{\"scale\":");
				AppendDecimal(d.scale, out);
				out->append(",\"value\":");
				AppendQuotedBase64(TwosComplement(d), out);
				out->push_back('}');
				return;
			}
			Rescale(&d, field.scale);
			return AppendQuotedBase64(TwosComplement(d), out);
	}
}

// A bit string ("0101...", first bit most significant) as Debezium's Bits:
// the number it spells, little-endian, in ceil(bits / 8) bytes.
void AppendBits(const ValueRef& v, std::string* out) {
	std::vector<uint8_t> bytes((v.size + 7) / 8, 0);
	for (size_t i = 0; i < v.size; ++i) {
		if (v.data[v.size - 1 - i] != '1') continue;  // bit i counts 2^i
		bytes[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
	}
	AppendQuotedBase64(bytes, out);
}

void AppendBinary(const uint8_t* data, size_t size, const DebeziumOptions& options, std::string* out) {
	out->push_back('"');
	switch (options.binary) {
		case BinaryMode::kBytes:
		case BinaryMode::kBase64: AppendBase64(data, size, out); break;
		case BinaryMode::kBase64UrlSafe: AppendBase64(data, size, out, Base64Alphabet::kUrlSafe); break;
		case BinaryMode::kHex: AppendHex(data, size, out); break;
	}
	out->push_back('"');
}

// hstore's text ("a"=>"1", "b"=>NULL) as a JSON object; false if it is not that.
bool HstoreToJson(const char* text, size_t size, std::string* out) {
	size_t i = 0;
	auto skip_space = [&] {
		while (i < size && (text[i] == ' ' || text[i] == ',')) ++i;
	};
	// A quoted string with \" and \\ escapes; or NULL (only as a value).
	auto read = [&](std::string* s, bool* null) {
		*null = false;
		s->clear();
		if (i + 4 <= size && std::memcmp(text + i, "NULL", 4) == 0) {
			i += 4;
			*null = true;
			return true;
		}
		if (i >= size || text[i] != '"') return false;
		for (++i; i < size && text[i] != '"'; ++i) {
			if (text[i] == '\\' && i + 1 < size) ++i;
			s->push_back(text[i]);
		}
		if (i >= size) return false;
		++i;
		return true;
	};
	out->push_back('{');
	std::string key, value;
	bool first = true, null = false;
	for (skip_space(); i < size; skip_space()) {
		if (!read(&key, &null) || null) return false;
		if (i + 2 > size || text[i] != '=' || text[i + 1] != '>') return false;
		i += 2;
		if (!read(&value, &null)) return false;
		if (!first) out->push_back(',');
		first = false;
		AppendJsonString(key.data(), key.size(), out, Utf8::kReplaceInvalid);
		out->push_back(':');
		if (null) out->append("null");
		else AppendJsonString(value.data(), value.size(), out, Utf8::kReplaceInvalid);
	}
	out->push_back('}');
	return true;
}

bool TimeInMillis(const FieldMapping& f, const DebeziumOptions& o) {
	if (o.time == TimePrecisionMode::kConnect) return true;
	return o.time == TimePrecisionMode::kAdaptive && FractionDigits(f) <= 3;
}

bool TimestampInMillis(const FieldMapping& f, const DebeziumOptions& o) {
	if (o.time == TimePrecisionMode::kConnect) return true;
	return Adaptive(o) && FractionDigits(f) <= 3;
}

void AppendQuotedTime(int64_t micros, std::string* out) {
	out->push_back('"');
	AppendTimeOfDay(micros, out);
	out->append("Z\"");
}

void AppendTimestampValue(int64_t micros, const FieldMapping& field, const DebeziumOptions& options,
                          std::string* out) {
	const bool infinite = micros == INT64_MAX || micros == INT64_MIN;
	if (options.time == TimePrecisionMode::kIsoString) {
		out->push_back('"');
		AppendTimestampText(micros, true, out);  // "infinity" / "-infinity" for the infinities
		out->push_back('"');
		return;
	}
	if (infinite) micros = micros == INT64_MAX ? kInfinityMicros : kMinusInfinityMicros;
	AppendDecimal(TimestampInMillis(field, options) ? FloorDiv(micros, 1000) : micros, out);
}

// ZonedTime: the time moved to UTC, e.g. "18:04:56Z" for 12:34:56-05:30.
void AppendZonedTime(const wire::TimeTzValue& t, std::string* out) {
	int64_t utc = t.micros() - int64_t{t.offset_seconds()} * kMicrosPerSecond;
	utc = ((utc % kMicrosPerDay) + kMicrosPerDay) % kMicrosPerDay;
	AppendQuotedTime(utc, out);
}

// MicroDuration: months count as 365.25 / 12 days, computed in double as Debezium does.
void AppendMicroDuration(const wire::IntervalValue& iv, std::string* out) {
	const double days = iv.months() * (365.25 / 12.0) + iv.days();
	const double seconds = days * 86400.0 + static_cast<double>(iv.micros()) / 1e6;
	AppendDecimal(std::llround(seconds * 1e6), out);
}

// io.debezium.time.Interval: P<y>Y<m>M<d>DT<h>H<m>M<s>S, each part signed as
// PostgreSQL's interval fields are; seconds without trailing zeros.
void AppendIsoInterval(const wire::IntervalValue& iv, std::string* out) {
	const int64_t micros = iv.micros();
	const int64_t hours = micros / (3600 * kMicrosPerSecond);
	const int64_t minutes = micros / (60 * kMicrosPerSecond) % 60;
	const int64_t second_micros = micros % (60 * kMicrosPerSecond);
	out->append("\"P");
	AppendDecimal(iv.months() / 12, out);
	out->push_back('Y');
	AppendDecimal(iv.months() % 12, out);
	out->push_back('M');
	AppendDecimal(iv.days(), out);
	out->append("DT");
	AppendDecimal(hours, out);
	out->push_back('H');
	AppendDecimal(minutes, out);
	out->push_back('M');
	if (second_micros < 0) out->push_back('-');
	const int64_t magnitude = second_micros < 0 ? -second_micros : second_micros;
	AppendDecimal(magnitude / kMicrosPerSecond, out);
	int64_t fraction = magnitude % kMicrosPerSecond;
	if (fraction != 0) {
		char digits[7];
		for (int i = 5; i >= 0; --i, fraction /= 10) digits[i] = static_cast<char>('0' + fraction % 10);
		int n = 6;
		while (digits[n - 1] == '0') --n;
		out->push_back('.');
		out->append(digits, static_cast<size_t>(n));
	}
	out->append("S\"");
}

}  // namespace flatwal
