// text_values.cpp — see text_values.h. Each reader takes the whole text and
// refuses anything but the exact shape the output function writes under
// kTextSessionSetup.
#include "text_values.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "datetime_text.h"

namespace flatwal {

const char kTextSessionSetup[] =
    "SET DateStyle = 'ISO, MDY'; SET IntervalStyle = iso_8601; SET TimeZone = 'UTC'; SET bytea_output = hex; "
    "SET extra_float_digits = 1";

namespace {

// Days between 1970-01-01 and PostgreSQL's epoch 2000-01-01.
constexpr int64_t kUnixEpochDays = 10957;

Status Bad(const char* what, std::string_view text) {
	std::string shown(text.substr(0, 64));
	return Status::Error(ErrorKind::kInvalidData, std::string("cannot read ") + what + " value \"" + shown + "\"",
	                     "flatwal reads values in the text form PostgreSQL writes under its session options "
	                     "(ISO dates, ISO 8601 intervals, UTC, hex bytea).");
}

// Reads an unsigned decimal of at most `max_digits` digits at *p.
bool Digits(std::string_view s, size_t* p, int64_t* out, size_t min_digits = 1, size_t max_digits = 18) {
	size_t start = *p;
	int64_t v = 0;
	while (*p < s.size() && s[*p] >= '0' && s[*p] <= '9' && *p - start < max_digits) v = v * 10 + (s[(*p)++] - '0');
	*out = v;
	return *p - start >= min_digits && !(*p < s.size() && s[*p] >= '0' && s[*p] <= '9');
}

bool Expect(std::string_view s, size_t* p, char c) {
	if (*p >= s.size() || s[*p] != c) return false;
	++*p;
	return true;
}

// ".ffffff" (1 to 6 digits) as microseconds; nothing when absent.
bool Fraction(std::string_view s, size_t* p, int64_t* micros) {
	*micros = 0;
	if (*p >= s.size() || s[*p] != '.') return true;
	++*p;
	size_t start = *p;
	int64_t v = 0;
	while (*p < s.size() && s[*p] >= '0' && s[*p] <= '9') {
		if (*p - start >= 6) return false;
		v = v * 10 + (s[(*p)++] - '0');
	}
	size_t n = *p - start;
	if (n == 0) return false;
	for (; n < 6; ++n) v *= 10;
	*micros = v;
	return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (astronomical year).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
	y -= m <= 2;
	const int64_t era = FloorDiv(y, 400);
	const int64_t yoe = y - era * 400;
	const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

// "YYYY-MM-DD" at *p (the year has four or more digits); the era comes later.
bool Date(std::string_view s, size_t* p, int64_t* y, int64_t* m, int64_t* d) {
	return Digits(s, p, y, 4, 9) && Expect(s, p, '-') && Digits(s, p, m, 2, 2) && Expect(s, p, '-') &&
	       Digits(s, p, d, 2, 2) && *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31;
}

// "hh:mm:ss[.ffffff]" as microseconds since midnight (24:00:00 allowed).
bool TimeOfDay(std::string_view s, size_t* p, int64_t* micros) {
	int64_t h, m, sec, frac;
	if (!(Digits(s, p, &h, 2, 2) && Expect(s, p, ':') && Digits(s, p, &m, 2, 2) && Expect(s, p, ':') &&
	      Digits(s, p, &sec, 2, 2) && Fraction(s, p, &frac)))
		return false;
	if (h > 24 || m > 59 || sec > 60) return false;
	*micros = ((h * 60 + m) * 60 + sec) * kMicrosPerSecond + frac;
	return *micros <= kMicrosPerDay;
}

// "+hh[:mm[:ss]]" (east of UTC) as seconds.
bool ZoneOffset(std::string_view s, size_t* p, int32_t* seconds) {
	if (*p >= s.size() || (s[*p] != '+' && s[*p] != '-')) return false;
	const int sign = s[(*p)++] == '-' ? -1 : 1;
	int64_t h, m = 0, sec = 0;
	if (!Digits(s, p, &h, 2, 2)) return false;
	if (*p < s.size() && s[*p] == ':' && !(++*p, Digits(s, p, &m, 2, 2))) return false;
	if (*p < s.size() && s[*p] == ':' && !(++*p, Digits(s, p, &sec, 2, 2))) return false;
	*seconds = static_cast<int32_t>(sign * (h * 3600 + m * 60 + sec));
	return true;
}

// " BC" at the end turns a year into the astronomical one (1 BC = year 0).
bool Era(std::string_view s, size_t* p, int64_t* year) {
	if (s.substr(*p) == " BC") {
		*year = 1 - *year;
		*p = s.size();
	}
	return *p == s.size();
}

Status AddDate(std::string_view s, RowPacker* row) {
	if (s == "infinity") return row->AddInt(wire::Kind::Date, INT32_MAX), Status::Ok();
	if (s == "-infinity") return row->AddInt(wire::Kind::Date, INT32_MIN), Status::Ok();
	size_t p = 0;
	int64_t y, m, d;
	if (!Date(s, &p, &y, &m, &d) || !Era(s, &p, &y)) return Bad("date", s);
	row->AddInt(wire::Kind::Date, DaysFromCivil(y, m, d));
	return Status::Ok();
}

// As the plugin: microseconds since 1970 (UTC for timestamptz), infinities as
// INT64_MAX/INT64_MIN, and the few instants past what those micros can hold
// (the last ~30 years before 294277) as ISO text.
Status AddTimestamp(std::string_view s, bool tz, RowPacker* row) {
	const wire::Kind kind = tz ? wire::Kind::TimestampTz : wire::Kind::Timestamp;
	if (s == "infinity") return row->AddInt(kind, INT64_MAX), Status::Ok();
	if (s == "-infinity") return row->AddInt(kind, INT64_MIN), Status::Ok();
	size_t p = 0;
	int64_t y, m, d, micros;
	int32_t offset = 0;
	if (!Date(s, &p, &y, &m, &d) || !Expect(s, &p, ' ') || !TimeOfDay(s, &p, &micros) || micros == kMicrosPerDay)
		return Bad(tz ? "timestamptz" : "timestamp", s);
	if (tz && !ZoneOffset(s, &p, &offset)) return Bad("timestamptz", s);
	if (!Era(s, &p, &y)) return Bad(tz ? "timestamptz" : "timestamp", s);
	const __int128 unix_micros = static_cast<__int128>(DaysFromCivil(y, m, d)) * kMicrosPerDay + micros -
	                             static_cast<__int128>(offset) * kMicrosPerSecond;
	if (unix_micros < INT64_MAX && unix_micros > INT64_MIN) {
		row->AddInt(kind, static_cast<int64_t>(unix_micros));
		return Status::Ok();
	}
	const int64_t pg_micros = static_cast<int64_t>(unix_micros - static_cast<__int128>(kUnixEpochDays) * kMicrosPerDay);
	const int64_t pg_days = FloorDiv(pg_micros, kMicrosPerDay);
	std::string text;
	AppendIsoTimestamp(pg_days + kUnixEpochDays, pg_micros - pg_days * kMicrosPerDay, tz, &text);
	row->AddText(wire::Kind::TextOutput, text.data(), text.size());
	return Status::Ok();
}

// ISO 8601 as IntervalStyle iso_8601 writes it: P[nY][nM][nD][T[nH][nM][n[.f]S]],
// each part signed, "PT0S" for zero.
Status AddInterval(std::string_view s, RowPacker* row) {
	size_t p = 0;
	if (!Expect(s, &p, 'P')) return Bad("interval", s);
	int64_t months = 0, days = 0, micros = 0;
	bool time = false, any = false;
	while (p < s.size()) {
		if (s[p] == 'T' && !time) {
			time = true;
			++p;
			continue;
		}
		const bool negative = s[p] == '-';
		if (negative) ++p;
		int64_t n, frac = 0;
		if (!Digits(s, &p, &n)) return Bad("interval", s);
		if (time && !Fraction(s, &p, &frac)) return Bad("interval", s);
		if (p >= s.size()) return Bad("interval", s);
		const char unit = s[p++];
		const int64_t sign = negative ? -1 : 1;
		if (frac != 0 && unit != 'S') return Bad("interval", s);
		const __int128 signed_n = static_cast<__int128>(sign) * n;
		if (!time && (unit == 'Y' || unit == 'M' || unit == 'D')) {
			int64_t* field = unit == 'D' ? &days : &months;
			const __int128 v = *field + signed_n * (unit == 'Y' ? 12 : 1);
			if (v > INT32_MAX || v < INT32_MIN) return Bad("interval", s);
			*field = static_cast<int64_t>(v);
		} else if (time && (unit == 'H' || unit == 'M' || unit == 'S')) {
			const __int128 scale = unit == 'H' ? 3600 * kMicrosPerSecond : unit == 'M' ? 60 * kMicrosPerSecond : kMicrosPerSecond;
			const __int128 v = micros + signed_n * scale + (unit == 'S' ? sign * frac : 0);
			if (v > INT64_MAX || v < INT64_MIN) return Bad("interval", s);
			micros = static_cast<int64_t>(v);
		} else {
			return Bad("interval", s);
		}
		any = true;
	}
	if (!any) return Bad("interval", s);
	row->AddInterval(static_cast<int32_t>(months), static_cast<int32_t>(days), micros);
	return Status::Ok();
}

Status AddInteger(std::string_view s, RowPacker* row) {
	std::string text(s);
	char* end = nullptr;
	errno = 0;
	const long long v = std::strtoll(text.c_str(), &end, 10);
	if (text.empty() || errno != 0 || *end != '\0' || text[0] == ' ' || text[0] == '+') return Bad("integer", s);
	row->AddInt(wire::Kind::Int, v);
	return Status::Ok();
}

Status AddFloat(std::string_view s, bool single, RowPacker* row) {
	std::string text(s);
	char* end = nullptr;
	const double v = single ? static_cast<double>(std::strtof(text.c_str(), &end)) : std::strtod(text.c_str(), &end);
	if (text.empty() || *end != '\0' || text[0] == ' ') return Bad("float", s);
	row->AddFloat(v);
	return Status::Ok();
}

int HexDigit(char c) {
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

Status AddBytea(std::string_view s, RowPacker* row) {
	if (s.size() < 2 || s[0] != '\\' || s[1] != 'x' || s.size() % 2 != 0) return Bad("bytea (hex)", s);
	std::vector<uint8_t> bytes((s.size() - 2) / 2);
	for (size_t i = 0; i < bytes.size(); ++i) {
		int hi = HexDigit(s[2 + 2 * i]), lo = HexDigit(s[3 + 2 * i]);
		if (hi < 0 || lo < 0) return Bad("bytea (hex)", s);
		bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
	}
	row->AddBytes(bytes.data(), bytes.size());
	return Status::Ok();
}

Status AddUuid(std::string_view s, RowPacker* row) {
	uint8_t bytes[16];
	size_t n = 0;
	for (size_t i = 0; i < s.size(); ++i) {
		if (s[i] == '-' && (i == 8 || i == 13 || i == 18 || i == 23)) continue;
		int hi = HexDigit(s[i]), lo = i + 1 < s.size() ? HexDigit(s[i + 1]) : -1;
		if (hi < 0 || lo < 0 || n == 16) return Bad("uuid", s);
		bytes[n++] = static_cast<uint8_t>(hi << 4 | lo);
		++i;
	}
	if (n != 16 || s.size() != 36) return Bad("uuid", s);
	row->AddUuid(bytes);
	return Status::Ok();
}

Status AddTimeTz(std::string_view s, RowPacker* row) {
	size_t p = 0;
	int64_t micros;
	int32_t offset;
	if (!TimeOfDay(s, &p, &micros) || !ZoneOffset(s, &p, &offset) || p != s.size()) return Bad("timetz", s);
	row->AddTimeTz(micros, offset);
	return Status::Ok();
}

Status AddScalar(TextType type, std::string_view s, RowPacker* row) {
	switch (type) {
		case TextType::kBool:
			if (s != "t" && s != "f") return Bad("boolean", s);
			row->AddBool(s == "t");
			return Status::Ok();
		case TextType::kInt: return AddInteger(s, row);
		case TextType::kFloat4: return AddFloat(s, true, row);
		case TextType::kFloat8: return AddFloat(s, false, row);
		case TextType::kText: return row->AddText(wire::Kind::Text, s.data(), s.size()), Status::Ok();
		case TextType::kBytea: return AddBytea(s, row);
		case TextType::kNumeric: return row->AddText(wire::Kind::Numeric, s.data(), s.size()), Status::Ok();
		case TextType::kDate: return AddDate(s, row);
		case TextType::kTime: {
			size_t p = 0;
			int64_t micros;
			if (!TimeOfDay(s, &p, &micros) || p != s.size()) return Bad("time", s);
			row->AddInt(wire::Kind::Time, micros);
			return Status::Ok();
		}
		case TextType::kTimeTz: return AddTimeTz(s, row);
		case TextType::kTimestamp: return AddTimestamp(s, false, row);
		case TextType::kTimestampTz: return AddTimestamp(s, true, row);
		case TextType::kInterval: return AddInterval(s, row);
		case TextType::kUuid: return AddUuid(s, row);
		case TextType::kJson: return row->AddText(wire::Kind::Json, s.data(), s.size()), Status::Ok();
		case TextType::kTextOutput: return row->AddText(wire::Kind::TextOutput, s.data(), s.size()), Status::Ok();
		case TextType::kArray: break;
	}
	return Status::Error(ErrorKind::kInvalidData, "an array's elements are arrays", "PostgreSQL arrays do not nest.");
}

// array_out's text: an optional "[lo:hi]..." bounds decoration and '=', then
// nested braces; elements are bare (NULL unquoted is SQL NULL) or quoted with
// backslash escapes.
class ArrayText {
 public:
	ArrayText(std::string_view s, const TextColumnType& type, RowPacker* elements)
	    : s_(s), type_(type), elements_(elements) {}

	Status Parse(RowPacker* row) {
		std::vector<int32_t> lower;
		if (p_ < s_.size() && s_[p_] == '[') {
			while (p_ < s_.size() && s_[p_] == '[') {
				++p_;
				int64_t lo, hi;
				if (!SignedNumber(&lo) || !Expect(s_, &p_, ':') || !SignedNumber(&hi) || !Expect(s_, &p_, ']'))
					return Bad("array", s_);
				lower.push_back(static_cast<int32_t>(lo));
			}
			if (!Expect(s_, &p_, '=')) return Bad("array", s_);
		}
		elements_->Clear();
		Status st = Level(0);
		if (!st.ok()) return st;
		if (p_ != s_.size()) return Bad("array", s_);
		if (dims_.empty() && !lower.empty()) return Bad("array", s_);
		if (!lower.empty() && lower.size() != dims_.size()) return Bad("array", s_);
		if (lower.empty()) lower.assign(dims_.size(), 1);
		auto packed = elements_->Finish();
		row->AddArray(type_.element_oid, dims_.data(), lower.data(), static_cast<int>(dims_.size()), packed);
		return Status::Ok();
	}

 private:
	bool SignedNumber(int64_t* v) {
		bool negative = p_ < s_.size() && s_[p_] == '-';
		if (negative) ++p_;
		if (!Digits(s_, &p_, v, 1, 10)) return false;
		if (negative) *v = -*v;
		return *v >= INT32_MIN && *v <= INT32_MAX;
	}

	// One brace level: its length must agree with every other at this depth.
	Status Level(size_t depth) {
		if (!Expect(s_, &p_, '{') || depth > 6) return Bad("array", s_);
		int64_t count = 0;
		if (p_ < s_.size() && s_[p_] == '}' && depth == 0) {  // empty array
			++p_;
			return Status::Ok();
		}
		for (;;) {
			Status st = p_ < s_.size() && s_[p_] == '{' ? Nested(depth) : Element(depth);
			if (!st.ok()) return st;
			++count;
			if (p_ < s_.size() && s_[p_] == type_.delimiter) {
				++p_;
				continue;
			}
			if (!Expect(s_, &p_, '}')) return Bad("array", s_);
			break;
		}
		if (dims_.size() <= depth) dims_.resize(depth + 1, -1);
		if (dims_[depth] == -1) dims_[depth] = static_cast<int32_t>(count);
		if (dims_[depth] != count) return Bad("array (not rectangular)", s_);
		return Status::Ok();
	}

	Status Nested(size_t depth) {
		if (leaf_depth_ != -1 && static_cast<size_t>(leaf_depth_) <= depth) return Bad("array", s_);
		return Level(depth + 1);
	}

	Status Element(size_t depth) {
		if (leaf_depth_ == -1) leaf_depth_ = static_cast<int>(depth);
		if (leaf_depth_ != static_cast<int>(depth)) return Bad("array", s_);
		if (p_ < s_.size() && s_[p_] == '"') {
			++p_;
			value_.clear();
			for (;;) {
				if (p_ >= s_.size()) return Bad("array", s_);
				char c = s_[p_++];
				if (c == '"') break;
				if (c == '\\') {
					if (p_ >= s_.size()) return Bad("array", s_);
					c = s_[p_++];
				}
				value_.push_back(c);
			}
			return AddScalar(type_.element, value_, elements_);
		}
		size_t start = p_;
		while (p_ < s_.size() && s_[p_] != type_.delimiter && s_[p_] != '}' && s_[p_] != '{' && s_[p_] != '"') ++p_;
		std::string_view bare = s_.substr(start, p_ - start);
		if (bare.empty()) return Bad("array", s_);
		if (bare.size() == 4 && (bare[0] | 0x20) == 'n' && (bare[1] | 0x20) == 'u' && (bare[2] | 0x20) == 'l' &&
		    (bare[3] | 0x20) == 'l') {
			elements_->AddNull();
			return Status::Ok();
		}
		return AddScalar(type_.element, bare, elements_);
	}

	std::string_view s_;
	const TextColumnType& type_;
	RowPacker* elements_;
	size_t p_ = 0;
	std::vector<int32_t> dims_;
	int leaf_depth_ = -1;
	std::string value_;
};

}  // namespace

TextType TextTypeOfBuiltin(uint32_t oid) {
	switch (oid) {
		case 16: return TextType::kBool;
		case 20: case 21: case 23: case 26: return TextType::kInt;  // int8, int2, int4, oid
		case 700: return TextType::kFloat4;
		case 701: return TextType::kFloat8;
		case 25: case 1043: case 1042: case 19: return TextType::kText;  // text, varchar, bpchar, name
		case 17: return TextType::kBytea;
		case 1700: return TextType::kNumeric;
		case 1082: return TextType::kDate;
		case 1083: return TextType::kTime;
		case 1266: return TextType::kTimeTz;
		case 1114: return TextType::kTimestamp;
		case 1184: return TextType::kTimestampTz;
		case 1186: return TextType::kInterval;
		case 2950: return TextType::kUuid;
		case 114: case 3802: return TextType::kJson;  // json, jsonb
		default: return TextType::kTextOutput;
	}
}

Status AddTextValue(const TextColumnType& type, std::string_view text, RowPacker* row, RowPacker* elements) {
	if (type.type != TextType::kArray) return AddScalar(type.type, text, row);
	return ArrayText(text, type, elements).Parse(row);
}

}  // namespace flatwal
