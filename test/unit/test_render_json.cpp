// Unit tests for row packing and reading (format/row_packer.h, row_reader.h),
// for frame verification and JSON rendering (format/render_json.cpp), and for
// values as PostgreSQL's text input (format/render_pg_text.cpp).
#include "unit.h"

#include <climits>
#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "frame_builder.h"
#include "frame_reader.h"
#include "json_check.h"
#include "lsn.h"
#include "render_json.h"
#include "render_pg_text.h"
#include "row_packer.h"

namespace {

namespace wire = flatwal::wire;
namespace fb = flatbuffers;
using flatwal::RowPacker;
using PackRow = std::function<void(RowPacker&, fb::FlatBufferBuilder&)>;

// Wraps a row in an insert, renders the frame, and returns the rendered
// "after" array without its brackets.
std::string RenderAfterRow(fb::FlatBufferBuilder& b, fb::Offset<wire::Row> after) {
	wire::ChangeHeader header;
	auto body = wire::CreateChange(b, &header, after);
	flatwal::FinishEvent(&b, wire::Body::Change, body.Union());
	std::string json;
	flatwal::Status st = flatwal::RenderFrameJson(b.GetBufferPointer(), b.GetSize(), &json);
	assert_true(st.ok());
	const std::string marker = "\"after\":[";
	size_t start = json.find(marker);
	assert_true(start != std::string::npos);
	start += marker.size();
	const std::string tail = "]}";  // "after" is the change's last field
	assert_true(json.size() >= start + tail.size() && json.compare(json.size() - tail.size(), tail.size(), tail) == 0);
	return json.substr(start, json.size() - tail.size() - start);
}

std::string RenderAfter(const PackRow& pack) {
	fb::FlatBufferBuilder b;
	RowPacker row(&b);
	pack(row, b);
	return RenderAfterRow(b, row.Finish());
}

// One value: the packer receives a single column.
std::string RenderOne(const std::function<void(RowPacker&)>& add) {
	return RenderAfter([&](RowPacker& row, fb::FlatBufferBuilder&) { add(row); });
}

void integers_floats_and_bools(void**) {
	assert_string_eq(RenderOne([](RowPacker& r) { r.AddInt(wire::Kind::Int, INT64_MIN); }),
	                 "{\"int\":-9223372036854775808}");
	assert_string_eq(RenderOne([](RowPacker& r) { r.AddFloat(0.1); }), "{\"float\":0.1}");
	assert_string_eq(RenderOne([](RowPacker& r) { r.AddFloat(NAN); }), "{\"float\":\"NaN\"}");
	assert_string_eq(RenderOne([](RowPacker& r) { r.AddFloat(-INFINITY); }), "{\"float\":\"-Infinity\"}");
	assert_string_eq(RenderOne([](RowPacker& r) { r.AddBool(false); }), "{\"bool\":false}");
}

void null_unchanged_and_absent_are_distinct(void**) {
	assert_string_eq(RenderOne([](RowPacker& r) { r.AddNull(); }), "null");
	assert_string_eq(RenderOne([](RowPacker& r) { r.AddUnchanged(); }), "{\"unchanged\":true}");
	assert_string_eq(RenderOne([](RowPacker& r) { r.AddAbsent(); }), "{\"absent\":true}");
}

void text_is_escaped(void**) {
	// PostgreSQL's escape_json spelling: \b and \f by name, other controls as \u00xx.
	const char text[] = "a\"b\\c\n\x01\b\f\x1f\x7f é";
	assert_string_eq(RenderOne([&](RowPacker& r) { r.AddText(wire::Kind::Text, text, strlen(text)); }),
	                 "{\"text\":\"a\\\"b\\\\c\\n\\u0001\\b\\f\\u001f\x7f é\"}");
}

void dates_and_times(void**) {
	auto date = [](int64_t days) { return RenderOne([days](RowPacker& r) { r.AddInt(wire::Kind::Date, days); }); };
	assert_string_eq(date(0), "{\"date\":\"1970-01-01\"}");
	assert_string_eq(date(19723), "{\"date\":\"2024-01-01\"}");
	assert_string_eq(date(-1), "{\"date\":\"1969-12-31\"}");
	assert_string_eq(date(11016), "{\"date\":\"2000-02-29\"}");
	assert_string_eq(date(-719529), "{\"date\":\"-0001-12-31\"}");
	assert_string_eq(date(INT_MAX), "{\"date\":\"infinity\"}");
	assert_string_eq(date(INT_MIN), "{\"date\":\"-infinity\"}");

	auto tstz = [](int64_t micros) {
		return RenderOne([micros](RowPacker& r) { r.AddInt(wire::Kind::TimestampTz, micros); });
	};
	assert_string_eq(tstz(0), "{\"timestamptz\":\"1970-01-01T00:00:00Z\"}");
	assert_string_eq(tstz(1704067200123400), "{\"timestamptz\":\"2024-01-01T00:00:00.1234Z\"}");
	assert_string_eq(tstz(-1), "{\"timestamptz\":\"1969-12-31T23:59:59.999999Z\"}");
	assert_string_eq(tstz(INT64_MAX), "{\"timestamptz\":\"infinity\"}");
	assert_string_eq(RenderOne([](RowPacker& r) { r.AddInt(wire::Kind::Timestamp, 86400000000); }),
	                 "{\"timestamp\":\"1970-01-02T00:00:00\"}");
	assert_string_eq(RenderOne([](RowPacker& r) { r.AddTimeTz(45296000000, -(5 * 3600 + 30 * 60)); }),
	                 "{\"timetz\":\"12:34:56-05:30\"}");
	assert_string_eq(RenderOne([](RowPacker& r) { r.AddInterval(14, -3, 5); }),
	                 "{\"interval\":{\"months\":14,\"days\":-3,\"micros\":5}}");
}

void uuid_bytes_and_json(void**) {
	assert_string_eq(RenderOne([](RowPacker& r) {
		                 const uint8_t raw[16] = {0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8,
		                                          0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11};
		                 r.AddUuid(raw);
	                 }),
	                 "{\"uuid\":\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"}");
	assert_string_eq(RenderOne([](RowPacker& r) {
		                 const uint8_t raw[] = {0x00, 0xff, 0x10};
		                 r.AddBytes(raw, 3);
	                 }),
	                 "{\"bytes\":\"\\\\x00ff10\"}");
	const char json[] = "{\"a\": [1, 2]}";
	assert_string_eq(RenderOne([&](RowPacker& r) { r.AddText(wire::Kind::Json, json, strlen(json)); }),
	                 "{\"json\":{\"a\": [1, 2]}}");
}

// Each kind takes the next element of its own vector: interleaved kinds must
// not shift one another's payloads.
void interleaved_kinds_keep_their_payloads(void**) {
	assert_string_eq(RenderAfter([](RowPacker& r, fb::FlatBufferBuilder&) {
		                 r.AddInt(wire::Kind::Int, 1);
		                 r.AddText(wire::Kind::Text, "a", 1);
		                 r.AddNull();
		                 r.AddInt(wire::Kind::Date, 0);
		                 r.AddText(wire::Kind::Numeric, "2.50", 4);
		                 r.AddUnchanged();
		                 r.AddInt(wire::Kind::Int, 3);
		                 r.AddBool(true);
		                 r.AddText(wire::Kind::TextOutput, "(1,2)", 5);
	                 }),
	                 "{\"int\":1},{\"text\":\"a\"},null,{\"date\":\"1970-01-01\"},{\"numeric\":\"2.50\"},"
	                 "{\"unchanged\":true},{\"int\":3},{\"bool\":true},{\"text_output\":\"(1,2)\"}");
}

void arrays_nest_by_dimension(void**) {
	assert_string_eq(RenderAfter([](RowPacker& r, fb::FlatBufferBuilder& b) {
		                 RowPacker elements(&b);
		                 for (int i = 1; i <= 4; ++i) elements.AddInt(wire::Kind::Int, i);
		                 const int32_t dims[] = {2, 2}, lbs[] = {1, 1};
		                 r.AddArray(23, dims, lbs, 2, elements.Finish());
	                 }),
	                 "{\"array\":[[{\"int\":1},{\"int\":2}],[{\"int\":3},{\"int\":4}]],\"element_type_oid\":23}");
	assert_string_eq(RenderAfter([](RowPacker& r, fb::FlatBufferBuilder& b) {
		                 RowPacker elements(&b);
		                 elements.AddNull();
		                 const int32_t dims[] = {1}, lbs[] = {0};
		                 r.AddArray(25, dims, lbs, 1, elements.Finish());
	                 }),
	                 "{\"array\":[null],\"element_type_oid\":25,\"lower_bounds\":[0]}");
}

// Verified frames can still carry dimensions that do not match the elements.
void lying_array_dimensions_are_not_followed(void**) {
	assert_string_eq(RenderAfter([](RowPacker& r, fb::FlatBufferBuilder& b) {
		                 RowPacker elements(&b);
		                 elements.AddInt(wire::Kind::Int, 1);
		                 const int32_t dims[] = {2000000000, 2000000000}, lbs[] = {1, 1};
		                 r.AddArray(23, dims, lbs, 2, elements.Finish());
	                 }),
	                 "{\"array\":{\"malformed_array\":true},\"element_type_oid\":23}");
}

// A frame may carry any 64-bit number where a date or time belongs: shown
// as malformed, never computed with overflow (found by fuzz_frames).
void out_of_range_dates_and_times_are_marked(void**) {
	assert_string_eq(RenderAfter([](RowPacker& r, fb::FlatBufferBuilder&) {
		                 r.AddInt(wire::Kind::Date, int64_t{1} << 40);
		                 r.AddInt(wire::Kind::Time, -1);
		                 r.AddTimeTz(0, INT32_MIN);
		                 r.AddInt(wire::Kind::Timestamp, INT64_MIN + 1);
		                 r.AddInt(wire::Kind::Time, 86400 * int64_t{1000000});
	                 }),
	                 "{\"malformed_value\":true},{\"malformed_value\":true},{\"malformed_value\":true},"
	                 "{\"timestamp\":\"-290308-12-21T19:59:05.224193\"},{\"time\":\"24:00:00\"}");
}

// A Json payload is copied into the output as it is, so it must be one JSON
// value: a crafted one could otherwise close the object and forge fields.
void json_payloads_are_checked(void**) {
	for (const char* good : {"1", "-0.5e+3", "\"s\\u00e9\\n\"", "{\"a\":[1,{\"b\":null}],\"a\":true}", " [ ] ",
	                         "{\"k\":\"\xc3\xa9\"}", "[[[[[[[[[[[[]]]]]]]]]]]]"})
		assert_true(flatwal::IsJsonValue(good, strlen(good)));
	for (const char* bad : {"", "1},\"op\":\"delete\",\"x\":{", "{\"a\" 1}", "[1,]", "01", "1.", "\"\x01\"", "\"\\x\"",
	                        "\"\xc3\"", "\"\xed\xa0\x80\"", "[1] [2]", "{\"a\":1", "nul", "[", "{,}"})
		assert_false(flatwal::IsJsonValue(bad, strlen(bad)));
	const std::string deep = std::string(200000, '[') + std::string(200000, ']');  // no recursion to overflow
	assert_true(flatwal::IsJsonValue(deep.data(), deep.size()));
	assert_string_eq(RenderAfter([](RowPacker& r, fb::FlatBufferBuilder&) {
		                 const char forged[] = "1}],\"op\":\"delete\",\"x\":[{\"a\":1";
		                 r.AddText(wire::Kind::Json, forged, strlen(forged));
		                 r.AddText(wire::Kind::Json, "{\"ok\":1}", 8);
	                 }),
	                 "{\"malformed_value\":true},{\"json\":{\"ok\":1}}");
}

// Text from a frame may not be UTF-8: each bad byte becomes U+FFFD, so the
// output is always valid JSON; valid multi-byte characters pass unchanged.
void invalid_utf8_is_replaced(void**) {
	assert_string_eq(RenderAfter([](RowPacker& r, fb::FlatBufferBuilder&) {
		                 const char text[] = "a\xff\xc3\xa9\xe2\x82z";
		                 r.AddText(wire::Kind::Text, text, strlen(text));
	                 }),
	                 "{\"text\":\"a\\ufffd\xc3\xa9\\ufffd\\ufffdz\"}");
}

// Three dimensions, some of length 1: brackets open and close at block edges.
void arrays_of_three_dimensions(void**) {
	assert_string_eq(RenderAfter([](RowPacker& r, fb::FlatBufferBuilder& b) {
		                 RowPacker elements(&b);
		                 for (int i = 1; i <= 4; ++i) elements.AddInt(wire::Kind::Int, i);
		                 const int32_t dims[] = {2, 1, 2}, lbs[] = {1, 1, 1};
		                 r.AddArray(23, dims, lbs, 3, elements.Finish());
	                 }),
	                 "{\"array\":[[[{\"int\":1},{\"int\":2}]],[[{\"int\":3},{\"int\":4}]]],\"element_type_oid\":23}");
}

// A change whose after image holds one array of `ndim` dimensions of length 1.
flatwal::Status ReadArrayFrame(int ndim, bool nested) {
	fb::FlatBufferBuilder b;
	RowPacker inner(&b);
	inner.AddInt(wire::Kind::Int, 1);
	std::vector<int32_t> dims(ndim, 1), lbs(ndim, 1);
	auto inner_row = inner.Finish();
	RowPacker elements(&b);
	if (nested)
		elements.AddArray(23, dims.data(), lbs.data(), ndim, inner_row);
	else
		elements.AddInt(wire::Kind::Int, 1);
	auto elements_row = elements.Finish();
	RowPacker row(&b);
	row.AddArray(23, dims.data(), lbs.data(), ndim, elements_row);
	auto after = row.Finish();
	wire::ChangeHeader header;
	flatwal::FinishEvent(&b, wire::Body::Change, wire::CreateChange(b, &header, after).Union());
	flatwal::FrameScratch scratch;
	const wire::Event* event = nullptr;
	flatwal::Status st = flatwal::ReadFrame(b.GetBufferPointer(), b.GetSize(), &scratch, &event);
	std::string json;
	assert_int_equal(flatwal::RenderFrameJson(b.GetBufferPointer(), b.GetSize(), &json).ok(), st.ok());
	return st;
}

// PostgreSQL arrays have at most 6 dimensions and never hold arrays: a frame
// that claims otherwise is refused before anything walks it (100,000
// dimensions once crashed to_json through recursion).
void array_dimensions_are_bounded(void**) {
	assert_true(ReadArrayFrame(6, false).ok());
	flatwal::Status st = ReadArrayFrame(7, false);
	assert_false(st.ok());
	assert_string_eq(st.detail(), "An array value has 7 dimensions; PostgreSQL arrays have at most 6.");
	assert_false(ReadArrayFrame(100000, false).ok());
	assert_false(ReadArrayFrame(1, true).ok());
}

// The timeline is shown when the frame carries one (frames made by hand do not).
void the_timeline_is_rendered_when_known(void**) {
	fb::FlatBufferBuilder b;
	flatwal::FinishEvent(&b, wire::Body::Begin, wire::CreateBegin(b, 7, 8, 9).Union(), /*timeline=*/4);
	std::string json;
	assert_true(flatwal::RenderFrameJson(b.GetBufferPointer(), b.GetSize(), &json).ok());
	assert_non_null(strstr(json.c_str(), "{\"format_version\":1,\"timeline\":4,"));
	fb::FlatBufferBuilder unknown;
	flatwal::FinishEvent(&unknown, wire::Body::Begin, wire::CreateBegin(unknown, 7, 8, 9).Union());
	json.clear();
	assert_true(flatwal::RenderFrameJson(unknown.GetBufferPointer(), unknown.GetSize(), &json).ok());
	assert_null(strstr(json.c_str(), "timeline"));
}

// ReadFrame verifies aligned bytes in place and copies misaligned ones.
void frames_read_at_any_alignment(void**) {
	fb::FlatBufferBuilder b;
	flatwal::FinishEvent(&b, wire::Body::Begin, wire::CreateBegin(b, 7, 8, 9).Union());
	std::vector<uint64_t> words(b.GetSize() / 8 + 2);
	flatwal::FrameScratch scratch;
	for (size_t shift : {0, 1, 3, 8}) {
		uint8_t* at = reinterpret_cast<uint8_t*>(words.data()) + shift;
		std::memcpy(at, b.GetBufferPointer(), b.GetSize());
		const wire::Event* event = nullptr;
		assert_true(flatwal::ReadFrame(at, b.GetSize(), &scratch, &event).ok());
		assert_int_equal(event->body_as_Begin()->xid(), 7);
		bool in_place = reinterpret_cast<const uint8_t*>(event) >= at && reinterpret_cast<const uint8_t*>(event) < at + b.GetSize();
		assert_int_equal(in_place, shift % 8 == 0);
	}
}

// A union type without its table passes FlatBuffers' verifier; readers
// would then follow a null pointer.
void event_type_without_event_is_refused(void**) {
	fb::FlatBufferBuilder b;
	b.Finish(wire::CreateEvent(b, 1, wire::Body::Change, 0), wire::EventIdentifier());
	flatwal::FrameScratch scratch;
	const wire::Event* event = nullptr;
	flatwal::Status st = flatwal::ReadFrame(b.GetBufferPointer(), b.GetSize(), &scratch, &event);
	assert_false(st.ok());
	assert_string_eq(st.detail(), "The frame names an event type but carries no event.");
}

void lsn_text_like_postgres(void**) {
	assert_string_eq(flatwal::LsnText(0), "0/0");
	assert_string_eq(flatwal::LsnText(0x16B3748), "0/16B3748");
	assert_string_eq(flatwal::LsnText(0x100000040ull), "1/40");
	assert_string_eq(flatwal::LsnText(UINT64_MAX), "FFFFFFFF/FFFFFFFF");
}

// A kind that names more payloads than its vector holds is marked, not read
// out of bounds; a kind from a newer format is named and takes no payload.
void short_vectors_and_unknown_kinds(void**) {
	fb::FlatBufferBuilder b;
	const uint8_t kinds[] = {uint8_t(wire::Kind::Int), uint8_t(wire::Kind::Int), 200, uint8_t(wire::Kind::Text)};
	const int64_t ints[] = {7};
	auto kinds_off = b.CreateVector(kinds, 4);
	auto ints_off = b.CreateVector(ints, 1);
	wire::RowBuilder row(b);  // by hand: the packer cannot make a row this wrong
	row.add_kinds(fb::Offset<fb::Vector<wire::Kind>>(kinds_off.o));
	row.add_ints(ints_off);
	assert_string_eq(RenderAfterRow(b, row.Finish()),
	                 "{\"int\":7},{\"malformed_value\":true},{\"unknown_kind\":200},{\"malformed_value\":true}");
}

// Slices of `data`: each runs from the previous end to its own. An end that
// goes backwards or past the data marks that value, and reading goes on.
void data_slices_and_bad_ends(void**) {
	fb::FlatBufferBuilder b;
	const uint8_t T = uint8_t(wire::Kind::Text), B = uint8_t(wire::Kind::Bytes);
	const uint8_t kinds[] = {T, B, T, T, T, T};
	const char data[] = "abc\x01\x02xyz";
	const uint32_t ends[] = {3, 5, 5, 4, 99, 8};  // "abc", bytes 01 02, "", backwards, too far, "xyz"
	auto kinds_off = b.CreateVector(kinds, 6);
	auto data_off = b.CreateVector(reinterpret_cast<const uint8_t*>(data), 8);
	auto ends_off = b.CreateVector(ends, 6);
	wire::RowBuilder row(b);
	row.add_kinds(fb::Offset<fb::Vector<wire::Kind>>(kinds_off.o));
	row.add_data(data_off);
	row.add_data_ends(ends_off);
	assert_string_eq(RenderAfterRow(b, row.Finish()),
	                 "{\"text\":\"abc\"},{\"bytes\":\"\\\\x0102\"},{\"text\":\"\"},{\"malformed_value\":true},"
	                 "{\"malformed_value\":true},{\"text\":\"xyz\"}");

	// Ends without the data vector: every slice is malformed.
	fb::FlatBufferBuilder b2;
	auto kinds2 = b2.CreateVector(kinds, 1);
	auto ends2 = b2.CreateVector(ends, 1);
	wire::RowBuilder row2(b2);
	row2.add_kinds(fb::Offset<fb::Vector<wire::Kind>>(kinds2.o));
	row2.add_data_ends(ends2);
	assert_string_eq(RenderAfterRow(b2, row2.Finish()), "{\"malformed_value\":true}");
}

// Scratch space stays between rows (no allocation in the steady state) but is
// freed after a row that grew it past kRetainedScratchBytes: its payloads as
// soon as the builder holds them, so a huge value is not kept twice while its
// frame is sent.
void scratch_kept_for_small_rows_freed_after_huge_ones(void**) {
	fb::FlatBufferBuilder b;
	RowPacker row(&b);
	const std::string small(100, 's');
	row.AddText(wire::Kind::Text, small.data(), small.size());
	row.AddInt(wire::Kind::Int, 1);
	row.Finish();
	row.Clear();
	assert_true(row.retained_bytes() >= small.size());

	const std::string huge(flatwal::kRetainedScratchBytes + 1, 'h');
	b.Clear();
	row.AddText(wire::Kind::Text, huge.data(), huge.size());
	row.Finish();
	assert_true(row.retained_bytes() < flatwal::kRetainedScratchBytes);
	row.Clear();
	assert_true(row.retained_bytes() < flatwal::kRetainedScratchBytes);
}

void keys_render_plain_in_key_order(void**) {
	fb::FlatBufferBuilder b;
	RowPacker packer(&b);
	packer.AddInt(wire::Kind::Int, 10);
	packer.AddText(wire::Kind::Text, "k\"1", 3);
	packer.AddAbsent();
	auto row = packer.Finish();
	const uint16_t key[] = {1, 0};  // key order differs from column order
	std::string out;
	assert_true(flatwal::RenderRowKey(fb::GetTemporaryPointer(b, row), key, 2, &out));
	assert_string_eq(out, "[\"k\\\"1\",10]");
	const uint16_t beyond[] = {3};
	out.clear();
	assert_false(flatwal::RenderRowKey(fb::GetTemporaryPointer(b, row), beyond, 1, &out));
}

void verification_refuses_bad_frames(void**) {
	std::string json;
	const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	flatwal::Status st = flatwal::RenderFrameJson(junk, sizeof junk, &json);
	assert_false(st.ok());
	assert_string_eq(st.message(), "not a flatwal frame");

	fb::FlatBufferBuilder b;
	flatwal::FinishEvent(&b, wire::Body::Begin, wire::CreateBegin(b, 7, 8, 9).Union());
	std::string truncated(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize() - 8);
	st = flatwal::RenderFrameJson(reinterpret_cast<const uint8_t*>(truncated.data()), truncated.size(), &json);
	assert_false(st.ok());
	assert_string_eq(st.message(), "corrupt flatwal frame");

	for (uint16_t version : {0, 2}) {
		fb::FlatBufferBuilder vb;
		vb.Finish(wire::CreateEvent(vb, version, wire::Body::Begin, wire::CreateBegin(vb, 7, 8, 9).Union()),
		          wire::EventIdentifier());
		st = flatwal::RenderFrameJson(vb.GetBufferPointer(), vb.GetSize(), &json);
		assert_false(st.ok());
		assert_true(st.kind() == flatwal::ErrorKind::kNotSupported);
	}
}

void begin_and_commit_render_lsns_and_times(void**) {
	fb::FlatBufferBuilder b;
	flatwal::FinishEvent(&b, wire::Body::Commit, wire::CreateCommit(b, 42, 0x100000016ull, 0x100000040ull, 1000000).Union());
	std::string json;
	assert_true(flatwal::RenderFrameJson(b.GetBufferPointer(), b.GetSize(), &json).ok());
	assert_string_eq(json,
	                 "{\"format_version\":1,\"event\":\"commit\",\"xid\":42,\"commit_lsn\":\"1/16\","
	                 "\"end_lsn\":\"1/40\",\"commit_time\":\"1970-01-01T00:00:01Z\"}");
}

// One value as PostgreSQL text: "NULL" for SQL NULL, "MALFORMED" when refused.
std::string PgText(const PackRow& pack) {
	fb::FlatBufferBuilder b;
	RowPacker row(&b);
	pack(row, b);
	b.Finish(row.Finish());
	flatwal::RowReader reader(fb::GetRoot<wire::Row>(b.GetBufferPointer()));
	flatwal::ValueRef value;
	assert_true(reader.Next(&value));
	std::string text;
	switch (flatwal::AppendPgText(value, &text)) {
		case flatwal::PgText::kValue: return text;
		case flatwal::PgText::kNull: return "NULL";
		default: return "MALFORMED";
	}
}

std::string PgTextOne(const std::function<void(RowPacker&)>& add) {
	return PgText([&](RowPacker& row, fb::FlatBufferBuilder&) { add(row); });
}

// What PostgreSQL's input functions read: checked against the server by the
// sink's end-to-end test (test/integration/sink.sh), spelled out here.
void pg_text_scalars(void**) {
	assert_string_eq(PgTextOne([](RowPacker& r) { r.AddNull(); }), "NULL");
	assert_string_eq(PgTextOne([](RowPacker& r) { r.AddUnchanged(); }), "MALFORMED");  // no value to write
	assert_string_eq(PgTextOne([](RowPacker& r) { r.AddBool(true); }), "t");
	assert_string_eq(PgTextOne([](RowPacker& r) { r.AddInt(wire::Kind::Int, INT64_MIN); }), "-9223372036854775808");
	assert_string_eq(PgTextOne([](RowPacker& r) { r.AddFloat(0.1); }), "0.1");
	assert_string_eq(PgTextOne([](RowPacker& r) { r.AddFloat(NAN); }), "NaN");
	assert_string_eq(PgTextOne([](RowPacker& r) { r.AddFloat(-INFINITY); }), "-Infinity");
	const char text[] = "tab\there \"quoted\" \\ back";
	assert_string_eq(PgTextOne([&](RowPacker& r) { r.AddText(wire::Kind::Text, text, strlen(text)); }), text);
	const char bad[] = "a\xff\xc3" "b";  // invalid UTF-8 bytes become U+FFFD
	assert_string_eq(PgTextOne([&](RowPacker& r) { r.AddText(wire::Kind::Text, bad, strlen(bad)); }),
	                 "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
	assert_string_eq(PgTextOne([](RowPacker& r) { r.AddText(wire::Kind::Numeric, "-12.50", 6); }), "-12.50");
	const char json[] = "{\"a\": [1, \"x\"]}";
	assert_string_eq(PgTextOne([&](RowPacker& r) { r.AddText(wire::Kind::Json, json, strlen(json)); }), json);
	assert_string_eq(PgTextOne([](RowPacker& r) { r.AddText(wire::Kind::Json, "{bad", 4); }), "MALFORMED");
	const uint8_t raw[] = {0x00, 0xff, 0x10};
	assert_string_eq(PgTextOne([&](RowPacker& r) { r.AddBytes(raw, 3); }), "\\x00ff10");
	const uint8_t uuid[16] = {0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11};
	assert_string_eq(PgTextOne([&](RowPacker& r) { r.AddUuid(uuid); }), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
}

void pg_text_dates_times_and_intervals(void**) {
	auto one = [](wire::Kind kind, int64_t v) { return PgTextOne([=](RowPacker& r) { r.AddInt(kind, v); }); };
	assert_string_eq(one(wire::Kind::Date, 11016), "2000-02-29");
	assert_string_eq(one(wire::Kind::Date, -719529), "0002-12-31 BC");  // year -1: PostgreSQL reads no sign
	assert_string_eq(one(wire::Kind::Date, -719162), "0001-01-01");
	assert_string_eq(one(wire::Kind::Date, -719163), "0001-12-31 BC");  // year 0
	assert_string_eq(one(wire::Kind::TimestampTz, -210863520000000000), "4713-01-01T00:00:00Z BC");
	assert_string_eq(one(wire::Kind::Date, INT_MAX), "infinity");
	assert_string_eq(one(wire::Kind::Date, INT32_MAX + int64_t{1}), "MALFORMED");
	assert_string_eq(one(wire::Kind::TimestampTz, 1704067200123400), "2024-01-01T00:00:00.1234Z");
	assert_string_eq(one(wire::Kind::TimestampTz, -1), "1969-12-31T23:59:59.999999Z");
	assert_string_eq(one(wire::Kind::TimestampTz, INT64_MIN), "-infinity");
	assert_string_eq(one(wire::Kind::Timestamp, 86400000000), "1970-01-02T00:00:00");
	assert_string_eq(one(wire::Kind::Time, 45296000001), "12:34:56.000001");
	assert_string_eq(one(wire::Kind::Time, 86400000001), "MALFORMED");
	assert_string_eq(PgTextOne([](RowPacker& r) { r.AddTimeTz(45296000000, -(5 * 3600 + 30 * 60)); }), "12:34:56-05:30");
	assert_string_eq(PgTextOne([](RowPacker& r) { r.AddTimeTz(0, 3600 + 61); }), "00:00:00+01:01:01");
	assert_string_eq(PgTextOne([](RowPacker& r) { r.AddInterval(14, -3, -3723000004); }),
	                 "14 mons -3 days -1:02:03.000004");
	assert_string_eq(PgTextOne([](RowPacker& r) { r.AddInterval(0, 0, 360000000000); }), "0 mons 0 days 100:00:00.000000");
}

void pg_text_arrays(void**) {
	// Every element quoted (", \ escaped), NULL bare, nested by dimension.
	assert_string_eq(PgText([](RowPacker& r, fb::FlatBufferBuilder& b) {
		                 RowPacker elements(&b);
		                 elements.AddText(wire::Kind::Text, "a\"b", 3);
		                 elements.AddNull();
		                 elements.AddText(wire::Kind::Text, "c\\,{}", 5);
		                 elements.AddText(wire::Kind::Text, "NULL", 4);
		                 const int32_t dims[] = {2, 2}, lbs[] = {1, 1};
		                 r.AddArray(25, dims, lbs, 2, elements.Finish());
	                 }),
	                 "{{\"a\\\"b\",NULL},{\"c\\\\,{}\",\"NULL\"}}");
	// Bounds other than 1 are written out.
	assert_string_eq(PgText([](RowPacker& r, fb::FlatBufferBuilder& b) {
		                 RowPacker elements(&b);
		                 elements.AddInt(wire::Kind::Int, 7);
		                 elements.AddInt(wire::Kind::Int, 8);
		                 const int32_t dims[] = {2}, lbs[] = {0};
		                 r.AddArray(23, dims, lbs, 1, elements.Finish());
	                 }),
	                 "[0:1]={\"7\",\"8\"}");
	assert_string_eq(PgText([](RowPacker& r, fb::FlatBufferBuilder& b) {
		                 r.AddArray(23, nullptr, nullptr, 0, RowPacker(&b).Finish());
	                 }),
	                 "{}");
	// box[] (element type 603) is the one built-in array whose elements array_in splits at ';'.
	assert_string_eq(PgText([](RowPacker& r, fb::FlatBufferBuilder& b) {
		                 RowPacker elements(&b);
		                 elements.AddText(wire::Kind::TextOutput, "(3,4),(1,2)", 11);
		                 elements.AddText(wire::Kind::TextOutput, "(1,1),(0,0)", 11);
		                 const int32_t dims[] = {2}, lbs[] = {1};
		                 r.AddArray(603, dims, lbs, 1, elements.Finish());
	                 }),
	                 "{\"(3,4),(1,2)\";\"(1,1),(0,0)\"}");
	// Dimensions that do not match the elements: refused, not guessed at.
	assert_string_eq(PgText([](RowPacker& r, fb::FlatBufferBuilder& b) {
		                 RowPacker elements(&b);
		                 elements.AddInt(wire::Kind::Int, 1);
		                 const int32_t dims[] = {2000000000, 2000000000}, lbs[] = {1, 1};
		                 r.AddArray(23, dims, lbs, 2, elements.Finish());
	                 }),
	                 "MALFORMED");
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(integers_floats_and_bools),
	    cmocka_unit_test(null_unchanged_and_absent_are_distinct),
	    cmocka_unit_test(text_is_escaped),
	    cmocka_unit_test(dates_and_times),
	    cmocka_unit_test(uuid_bytes_and_json),
	    cmocka_unit_test(interleaved_kinds_keep_their_payloads),
	    cmocka_unit_test(arrays_nest_by_dimension),
	    cmocka_unit_test(lying_array_dimensions_are_not_followed),
	    cmocka_unit_test(out_of_range_dates_and_times_are_marked),
	    cmocka_unit_test(json_payloads_are_checked),
	    cmocka_unit_test(invalid_utf8_is_replaced),
	    cmocka_unit_test(arrays_of_three_dimensions),
	    cmocka_unit_test(array_dimensions_are_bounded),
	    cmocka_unit_test(frames_read_at_any_alignment),
	    cmocka_unit_test(event_type_without_event_is_refused),
	    cmocka_unit_test(lsn_text_like_postgres),
	    cmocka_unit_test(short_vectors_and_unknown_kinds),
	    cmocka_unit_test(data_slices_and_bad_ends),
	    cmocka_unit_test(scratch_kept_for_small_rows_freed_after_huge_ones),
	    cmocka_unit_test(keys_render_plain_in_key_order),
	    cmocka_unit_test(verification_refuses_bad_frames),
	    cmocka_unit_test(begin_and_commit_render_lsns_and_times),
	    cmocka_unit_test(pg_text_scalars),
	    cmocka_unit_test(pg_text_dates_times_and_intervals),
	    cmocka_unit_test(pg_text_arrays),
	    cmocka_unit_test(the_timeline_is_rendered_when_known),
	};
	return cmocka_run_group_tests_name("render_json", tests, nullptr, nullptr);
}
