// Unit tests for plugin/stored_text: numeric_out's and jsonb_out's text from
// hand-built stored bytes, refusal of bytes that do not parse, and bounds
// (built with AddressSanitizer: truncated and random inputs must not read
// past their end). The regress test stored_text.sql compares the same
// writers with PostgreSQL's output functions over a large corpus.
#include "unit.h"

#include <random>
#include <vector>

#include "stored_text.h"

namespace {

using flatwal::AppendJsonbText;
using flatwal::AppendNumericText;
namespace stored = flatwal::stored;

void Put16(std::string* s, uint16_t v) { s->append(reinterpret_cast<const char*>(&v), 2); }
void Put32(std::string* s, uint32_t v) { s->append(reinterpret_cast<const char*>(&v), 4); }

// A numeric's stored data in the short (2-byte) header format.
std::string ShortNumeric(bool negative, int dscale, int weight, std::vector<int16_t> digits) {
	std::string s;
	uint16_t header = stored::kNumericShort | (negative ? stored::kNumericShortSignMask : 0) |
	                  uint16_t(dscale << stored::kNumericShortDscaleShift) | uint16_t(weight & 0x7F);
	Put16(&s, header);
	for (int16_t d : digits) Put16(&s, uint16_t(d));
	return s;
}

// The long (4-byte header) format, used when scale or weight do not fit the short one.
std::string LongNumeric(bool negative, int dscale, int weight, std::vector<int16_t> digits) {
	std::string s;
	Put16(&s, uint16_t((negative ? stored::kNumericNeg : 0) | dscale));
	Put16(&s, uint16_t(int16_t(weight)));
	for (int16_t d : digits) Put16(&s, uint16_t(d));
	return s;
}

std::string NumericText(const std::string& data, bool* ok) {
	std::string out = "prefix:";
	*ok = AppendNumericText(reinterpret_cast<const uint8_t*>(data.data()), data.size(), &out);
	return out.substr(7);
}

void numeric_text_matches_numeric_out(void**) {
	bool ok;
	assert_string_eq(NumericText(ShortNumeric(false, 2, 0, {12, 5000}), &ok), "12.50");
	assert_true(ok);
	assert_string_eq(NumericText(ShortNumeric(true, 3, -1, {10}), &ok), "-0.001");
	assert_string_eq(NumericText(ShortNumeric(false, 3, 0, {}), &ok), "0.000");
	assert_string_eq(NumericText(ShortNumeric(false, 0, 0, {}), &ok), "0");
	assert_string_eq(NumericText(ShortNumeric(false, 0, 1, {1, 1}), &ok), "10001");
	assert_string_eq(NumericText(ShortNumeric(true, 8, 1, {9999, 9999, 9999, 9999}), &ok), "-99999999.99999999");
	assert_string_eq(NumericText(ShortNumeric(false, 5, -2, {1000}), &ok), "0.00001");
	// 1e64: weight 16 does not fit the short header.
	assert_string_eq(NumericText(LongNumeric(false, 0, 16, {1}), &ok), "1" + std::string(64, '0'));
	assert_true(ok);
	// 1e-70 = 100 x 10000^-18.
	assert_string_eq(NumericText(LongNumeric(true, 70, -18, {100}), &ok), "-0." + std::string(69, '0') + "1");
	// Trailing zero digits are not stored; dscale decides how many are printed.
	assert_string_eq(NumericText(LongNumeric(false, 6, 0, {7}), &ok), "7.000000");
}

void numeric_special_values(void**) {
	bool ok;
	std::string s;
	Put16(&s, stored::kNumericNaN);
	assert_string_eq(NumericText(s, &ok), "NaN");
	s.clear();
	Put16(&s, stored::kNumericPosInf);
	assert_string_eq(NumericText(s, &ok), "Infinity");
	s.clear();
	Put16(&s, stored::kNumericNegInf);
	assert_string_eq(NumericText(s, &ok), "-Infinity");
	assert_true(ok);
}

void numeric_refuses_bytes_it_cannot_read(void**) {
	bool ok;
	std::string odd = ShortNumeric(false, 0, 0, {12});
	odd.push_back('\0');
	assert_string_eq(NumericText(odd, &ok), "");
	assert_false(ok);
	assert_string_eq(NumericText(ShortNumeric(false, 0, 0, {10000}), &ok), "");
	assert_false(ok);
	assert_string_eq(NumericText(ShortNumeric(false, 0, 0, {-1}), &ok), "");
	assert_false(ok);
	std::string special;
	Put16(&special, 0xE000);  // special, but neither NaN nor an infinity
	assert_string_eq(NumericText(special, &ok), "");
	assert_false(ok);
	assert_string_eq(NumericText(std::string(1, '\0'), &ok), "");
	assert_false(ok);
	assert_string_eq(NumericText(std::string(3, '\0'), &ok), "");  // long header cut short
	assert_false(ok);
}

// ---------------------------------------------------------------- jsonb

struct Child {
	uint32_t type;
	std::string bytes;  // string: its characters; numeric: a whole varlena; container: its bytes
};

Child Str(const std::string& s) { return {stored::kJEntryString, s}; }
Child Scalar(uint32_t type) { return {type, ""}; }
Child Number(const std::string& numeric_data) {
	// A one-byte varlena header, as a numeric read from a tuple keeps it.
	std::string v(1, char(((numeric_data.size() + 1) << 1) | 1));
	return {stored::kJEntryNumeric, v + numeric_data};
}

// A container; for an object, children are all keys then all values.
std::string Container(uint32_t flags, const std::vector<Child>& children) {
	size_t count = flags & stored::kJsonbObjectFlag ? children.size() / 2 : children.size();
	std::string head, data;
	Put32(&head, flags | uint32_t(count));
	for (size_t i = 0; i < children.size(); ++i) {
		size_t start = data.size();
		const Child& c = children[i];
		if (c.type == stored::kJEntryNumeric || c.type == stored::kJEntryContainer)
			data.append((4 - data.size() % 4) % 4, '\0');
		data += c.bytes;
		// Every 32nd entry stores its end offset, the others their length.
		bool has_off = i % 32 == 0;
		uint32_t field = has_off ? uint32_t(data.size()) : uint32_t(data.size() - start);
		Put32(&head, c.type | field | (has_off ? stored::kJEntryHasOff : 0));
	}
	return head + data;
}

Child Nested(const std::string& container) { return {stored::kJEntryContainer, container}; }

std::string JsonbText(const std::string& root, bool* ok) {
	std::string out = "prefix:";
	*ok = AppendJsonbText(reinterpret_cast<const uint8_t*>(root.data()), root.size(), &out);
	return out.substr(7);
}

std::string SampleDocument() {
	std::string inner = Container(stored::kJsonbArrayFlag, {Number(ShortNumeric(false, 1, 0, {1, 5000})),
	                                                        Scalar(stored::kJEntryNull), Str("x")});
	return Container(stored::kJsonbObjectFlag, {Str("a"), Str("b"), Str("list"), Scalar(stored::kJEntryTrue),
	                                            Nested(Container(stored::kJsonbObjectFlag, {})), Nested(inner)});
}

void jsonb_text_matches_jsonb_out(void**) {
	bool ok;
	assert_string_eq(JsonbText(SampleDocument(), &ok), "{\"a\": true, \"b\": {}, \"list\": [1.5, null, \"x\"]}");
	assert_true(ok);
	assert_string_eq(JsonbText(Container(stored::kJsonbArrayFlag, {}), &ok), "[]");
	// A bare scalar is a one-element array flagged scalar: printed without brackets.
	assert_string_eq(JsonbText(Container(stored::kJsonbArrayFlag | stored::kJsonbScalarFlag,
	                                     {Number(ShortNumeric(true, 0, 0, {7}))}),
	                           &ok),
	                 "-7");
	assert_string_eq(JsonbText(Container(stored::kJsonbArrayFlag | stored::kJsonbScalarFlag,
	                                     {Scalar(stored::kJEntryFalse)}),
	                           &ok),
	                 "false");
	assert_true(ok);
}

void jsonb_strings_escaped_like_escape_json(void**) {
	bool ok;
	std::string raw = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f\xc3\xa9";
	assert_string_eq(JsonbText(Container(stored::kJsonbArrayFlag, {Str(raw)}), &ok),
	                 "[\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9\"]");
	assert_true(ok);
}

void jsonb_long_containers_use_stored_offsets(void**) {
	std::vector<Child> items;
	std::string expected = "[";
	for (int i = 0; i < 70; ++i) {
		items.push_back(Str(std::string(i % 5, 'a' + i % 26)));
		expected += (i ? ", \"" : "\"") + std::string(i % 5, 'a' + i % 26) + "\"";
	}
	expected += "]";
	bool ok;
	assert_string_eq(JsonbText(Container(stored::kJsonbArrayFlag, items), &ok), expected);
	assert_true(ok);
}

void jsonb_too_deep_is_left_to_jsonb_out(void**) {
	std::string doc = Container(stored::kJsonbArrayFlag, {});
	for (int depth = 0; depth < stored::kMaxJsonbDepth + 1; ++depth)
		doc = Container(stored::kJsonbArrayFlag, {Nested(doc)});
	bool ok;
	assert_string_eq(JsonbText(doc, &ok), "");
	assert_false(ok);
}

void jsonb_refuses_truncated_and_random_bytes(void**) {
	std::string doc = SampleDocument();
	bool ok;
	for (size_t cut = 0; cut < doc.size(); ++cut) {
		std::string text = JsonbText(doc.substr(0, cut), &ok);
		assert_false(ok);
		assert_string_eq(text, "");
	}
	// Random mutations: any answer is allowed, reading out of bounds is not (ASan).
	std::mt19937 rng(7);
	for (int round = 0; round < 20000; ++round) {
		std::string mutated = doc;
		for (int k = 0; k < 3; ++k) mutated[rng() % mutated.size()] = char(rng());
		std::string out;
		AppendJsonbText(reinterpret_cast<const uint8_t*>(mutated.data()), mutated.size(), &out);
		std::string numeric = ShortNumeric(false, 2, 0, {12, 5000});
		numeric[rng() % numeric.size()] = char(rng());
		AppendNumericText(reinterpret_cast<const uint8_t*>(numeric.data()), numeric.size(), &out);
	}
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(numeric_text_matches_numeric_out),
	    cmocka_unit_test(numeric_special_values),
	    cmocka_unit_test(numeric_refuses_bytes_it_cannot_read),
	    cmocka_unit_test(jsonb_text_matches_jsonb_out),
	    cmocka_unit_test(jsonb_strings_escaped_like_escape_json),
	    cmocka_unit_test(jsonb_long_containers_use_stored_offsets),
	    cmocka_unit_test(jsonb_too_deep_is_left_to_jsonb_out),
	    cmocka_unit_test(jsonb_refuses_truncated_and_random_bytes),
	};
	return cmocka_run_group_tests_name("stored_text", tests, nullptr, nullptr);
}
