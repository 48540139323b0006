// render_pg_text.cpp — see render_pg_text.h.
#include "render_pg_text.h"

#include <charconv>
#include <cmath>

#include "array_walk.h"
#include "datetime_text.h"
#include "frame_reader.h"
#include "hex_text.h"
#include "number_text.h"
#include "render_json.h"
#include "utf8.h"

namespace flatwal {
namespace {

using wire::Kind;

// Text with every invalid UTF-8 byte replaced by U+FFFD, as to_json shows it:
// the target database would refuse the whole batch over one bad byte.
void AppendUtf8(const char* data, size_t size, std::string* out) {
	const auto* p = reinterpret_cast<const unsigned char*>(data);
	size_t run = 0;  // valid bytes not yet appended
	for (size_t i = 0; i < size;) {
		if (p[i] < 0x80) {
			++i, ++run;
			continue;
		}
		size_t n = Utf8SequenceLength(p + i, size - i);
		if (n != 0) {
			i += n, run += n;
			continue;
		}
		out->append(data + i - run, run);
		out->append("\xEF\xBF\xBD");
		run = 0;
		++i;
	}
	out->append(data + size - run, run);
}

// An array element in double quotes, with " and \ escaped: quoting every
// element spares deciding which texts array_in would misread.
void AppendQuotedElement(const std::string& text, std::string* out) {
	out->push_back('"');
	for (char c : text) {
		if (c == '"' || c == '\\') out->push_back('\\');
		out->push_back(c);
	}
	out->push_back('"');
}

constexpr uint32_t kBoxTypeOid = 603;

// PostgreSQL reads no sign before a year: a date or timestamp written from
// `start` with an astronomical year at or below 0 (0 = 1 BC) is rewritten as
// its year before Christ, "YYYY-MM-DD... BC".
void WriteEra(size_t start, std::string* out) {
	const bool negative = (*out)[start] == '-';
	if (!negative && out->compare(start, 5, "0000-") != 0) return;
	const size_t year_end = out->find('-', start + 1);
	if (year_end == std::string::npos) return;
	const int64_t year = std::strtoll(out->c_str() + start, nullptr, 10);
	std::string bc = std::to_string(1 - year);
	if (bc.size() < 4) bc.insert(0, 4 - bc.size(), '0');
	out->replace(start, year_end - start, bc);
	out->append(" BC");
}

// {…} nested by dimension, as render_json nests JSON arrays.
PgText AppendArray(const wire::Array* array, std::string* out) {
	if (array->dimensions() == nullptr || array->dimensions()->size() == 0) return out->append("{}"), PgText::kValue;
	if (!ArrayDimensionsMatchElements(array)) return PgText::kMalformed;
	const auto* dims = array->dimensions();
	const size_t rank = dims->size();
	const auto* lower = array->lower_bounds();
	bool default_bounds = true;
	if (lower != nullptr && lower->size() == rank)
		for (int lb : *lower) default_bounds = default_bounds && lb == 1;
	if (!default_bounds) {
		for (size_t d = 0; d < rank; ++d) {
			const int64_t lb = lower->Get(static_cast<flatbuffers::uoffset_t>(d));
			out->push_back('[');
			AppendDecimal(lb, out);
			out->push_back(':');
			AppendDecimal(lb + dims->Get(static_cast<flatbuffers::uoffset_t>(d)) - 1, out);
			out->push_back(']');
		}
		out->push_back('=');
	}
	std::string text;
	// array_in splits elements at the element type's delimiter: ';' for box
	// (the one built-in type whose text has commas), ',' for every other.
	const char separator = array->element_type_oid() == kBoxTypeOid ? ';' : ',';
	const bool complete = AppendNestedElements(array, '{', '}', separator, out, [&](const ValueRef& element) {
		text.clear();
		switch (AppendPgText(element, &text)) {
			case PgText::kValue: AppendQuotedElement(text, out); return true;
			case PgText::kNull: out->append("NULL"); return true;
			case PgText::kMalformed: return false;
		}
		return false;
	});
	if (!complete) return PgText::kMalformed;
	return PgText::kValue;
}

}  // namespace

PgText AppendPgText(const ValueRef& value, std::string* out) {
	if (!ValueIsWellFormed(value)) return PgText::kMalformed;
	switch (value.kind) {
		case Kind::Null: return PgText::kNull;
		case Kind::Bool: out->push_back(value.boolean ? 't' : 'f'); break;
		case Kind::Int: AppendDecimal(value.integer, out); break;
		case Kind::Float:
			if (std::isnan(value.real)) out->append("NaN");
			else if (std::isinf(value.real)) out->append(value.real > 0 ? "Infinity" : "-Infinity");
			else AppendShortest(value.real, out);
			break;
		case Kind::Text:
		case Kind::Numeric:
		case Kind::TextOutput:
		case Kind::Json: AppendUtf8(value.data, value.size, out); break;
		case Kind::Bytes:
			out->append("\\x");
			AppendHex(reinterpret_cast<const uint8_t*>(value.data), value.size, out);
			break;
		case Kind::Date:
			if (value.integer == INT32_MIN) out->append("-infinity");
			else if (value.integer == INT32_MAX) out->append("infinity");
			else {
				const size_t start = out->size();
				AppendIsoDate(value.integer, out);
				WriteEra(start, out);
			}
			break;
		case Kind::Time: AppendTimeOfDay(value.integer, out); break;
		case Kind::TimeTz:
			AppendTimeOfDay(value.timetz.micros(), out);
			AppendZoneOffset(value.timetz.offset_seconds(), out);
			break;
		case Kind::Timestamp:
		case Kind::TimestampTz: {
			const size_t start = out->size();
			AppendTimestampText(value.integer, value.kind == Kind::TimestampTz, out);
			if (value.integer != INT64_MIN) WriteEra(start, out);  // not "-infinity"
			break;
		}
		case Kind::Interval: AppendIntervalText(value.interval, out); break;
		case Kind::Uuid: AppendUuidText(value.uuid.bytes()->data(), out); break;
		case Kind::Array: return AppendArray(value.array, out);
		default: return PgText::kMalformed;  // Absent and Unchanged carry no value
	}
	return PgText::kValue;
}

}  // namespace flatwal
