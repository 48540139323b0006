// Unit tests for frame verification and JSON rendering (plugin/render_json.cpp).
#include "unit.h"

#include <climits>
#include <cmath>
#include <cstring>

#include "render_json.h"

namespace {

namespace wire = flatwal::wire;
namespace fb = flatbuffers;

// Builds one value, wraps it in a single-column insert, renders the frame,
// and returns the rendered "after" array's only element.
template <typename MakeValue>
std::string RenderOne(MakeValue make) {
	fb::FlatBufferBuilder b;
	fb::Offset<wire::Value> value = make(b);
	std::vector<fb::Offset<wire::Value>> values{value};
	auto row = wire::CreateRow(b, b.CreateVector(values));
	wire::ChangeBuilder change(b);
	change.add_after(row);
	auto body = change.Finish();
	b.Finish(wire::CreateEvent(b, 1, wire::Body::Change, body.Union()), wire::EventIdentifier());
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

void integers_floats_and_bools(void**) {
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 return wire::CreateValue(b, wire::Datum::Int, wire::CreateInt(b, INT64_MIN).Union());
	                 }),
	                 "{\"int\":-9223372036854775808}");
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 return wire::CreateValue(b, wire::Datum::Float, wire::CreateFloat(b, 0.1).Union());
	                 }),
	                 "{\"float\":0.1}");
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 return wire::CreateValue(b, wire::Datum::Float, wire::CreateFloat(b, NAN).Union());
	                 }),
	                 "{\"float\":\"NaN\"}");
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 return wire::CreateValue(b, wire::Datum::Float, wire::CreateFloat(b, -INFINITY).Union());
	                 }),
	                 "{\"float\":\"-Infinity\"}");
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 return wire::CreateValue(b, wire::Datum::Bool, wire::CreateBool(b, false).Union());
	                 }),
	                 "{\"bool\":false}");
}

void null_unchanged_and_absent_are_distinct(void**) {
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 return wire::CreateValue(b, wire::Datum::Null, wire::CreateNull(b).Union());
	                 }),
	                 "null");
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 return wire::CreateValue(b, wire::Datum::Unchanged, wire::CreateUnchanged(b).Union());
	                 }),
	                 "{\"unchanged\":true}");
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) { return wire::ValueBuilder(b).Finish(); }),
	                 "{\"absent\":true}");
}

void text_is_escaped(void**) {
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 auto s = b.CreateString("a\"b\\c\n\x01 é");
		                 return wire::CreateValue(b, wire::Datum::Text, wire::CreateText(b, s).Union());
	                 }),
	                 "{\"text\":\"a\\\"b\\\\c\\n\\u0001 é\"}");
}

void dates_and_times(void**) {
	auto date = [](int days) {
		return RenderOne([days](fb::FlatBufferBuilder& b) {
			return wire::CreateValue(b, wire::Datum::Date, wire::CreateDate(b, days).Union());
		});
	};
	assert_string_eq(date(0), "{\"date\":\"1970-01-01\"}");
	assert_string_eq(date(19723), "{\"date\":\"2024-01-01\"}");
	assert_string_eq(date(-1), "{\"date\":\"1969-12-31\"}");
	assert_string_eq(date(11016), "{\"date\":\"2000-02-29\"}");
	assert_string_eq(date(-719529), "{\"date\":\"-0001-12-31\"}");
	assert_string_eq(date(INT_MAX), "{\"date\":\"infinity\"}");
	assert_string_eq(date(INT_MIN), "{\"date\":\"-infinity\"}");

	auto tstz = [](int64_t micros) {
		return RenderOne([micros](fb::FlatBufferBuilder& b) {
			return wire::CreateValue(b, wire::Datum::TimestampTz, wire::CreateTimestampTz(b, micros).Union());
		});
	};
	assert_string_eq(tstz(0), "{\"timestamptz\":\"1970-01-01T00:00:00Z\"}");
	assert_string_eq(tstz(1704067200123400), "{\"timestamptz\":\"2024-01-01T00:00:00.1234Z\"}");
	assert_string_eq(tstz(-1), "{\"timestamptz\":\"1969-12-31T23:59:59.999999Z\"}");
	assert_string_eq(tstz(INT64_MAX), "{\"timestamptz\":\"infinity\"}");
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 return wire::CreateValue(b, wire::Datum::Timestamp, wire::CreateTimestamp(b, 86400000000).Union());
	                 }),
	                 "{\"timestamp\":\"1970-01-02T00:00:00\"}");
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 return wire::CreateValue(b, wire::Datum::TimeTz,
		                                          wire::CreateTimeTz(b, 45296000000, -(5 * 3600 + 30 * 60)).Union());
	                 }),
	                 "{\"timetz\":\"12:34:56-05:30\"}");
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 return wire::CreateValue(b, wire::Datum::Interval, wire::CreateInterval(b, 14, -3, 5).Union());
	                 }),
	                 "{\"interval\":{\"months\":14,\"days\":-3,\"micros\":5}}");
}

void uuid_bytes_and_json(void**) {
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 const uint8_t raw[16] = {0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8,
		                                          0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11};
		                 wire::Uuid16 u(fb::span<const uint8_t, 16>(raw, 16));
		                 return wire::CreateValue(b, wire::Datum::Uuid, wire::CreateUuid(b, &u).Union());
	                 }),
	                 "{\"uuid\":\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"}");
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 const uint8_t raw[] = {0x00, 0xff, 0x10};
		                 return wire::CreateValue(b, wire::Datum::Bytes,
		                                          wire::CreateBytes(b, b.CreateVector(raw, 3)).Union());
	                 }),
	                 "{\"bytes\":\"\\\\x00ff10\"}");
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 auto s = b.CreateString("{\"a\": [1, 2]}");
		                 return wire::CreateValue(b, wire::Datum::Json, wire::CreateJson(b, s).Union());
	                 }),
	                 "{\"json\":{\"a\": [1, 2]}}");
}

void arrays_nest_by_dimension(void**) {
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 std::vector<fb::Offset<wire::Value>> items;
		                 for (int i = 1; i <= 4; ++i)
			                 items.push_back(wire::CreateValue(b, wire::Datum::Int, wire::CreateInt(b, i).Union()));
		                 std::vector<int> dims{2, 2}, lbs{1, 1};
		                 auto a = wire::CreateArray(b, 23, b.CreateVector(dims), b.CreateVector(lbs), b.CreateVector(items));
		                 return wire::CreateValue(b, wire::Datum::Array, a.Union());
	                 }),
	                 "{\"array\":[[{\"int\":1},{\"int\":2}],[{\"int\":3},{\"int\":4}]],\"element_type_oid\":23}");
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 std::vector<fb::Offset<wire::Value>> items{
		                     wire::CreateValue(b, wire::Datum::Null, wire::CreateNull(b).Union())};
		                 std::vector<int> dims{1}, lbs{0};
		                 auto a = wire::CreateArray(b, 25, b.CreateVector(dims), b.CreateVector(lbs), b.CreateVector(items));
		                 return wire::CreateValue(b, wire::Datum::Array, a.Union());
	                 }),
	                 "{\"array\":[null],\"element_type_oid\":25,\"lower_bounds\":[0]}");
}

// Verified frames can still carry dimensions that do not match the elements.
void lying_array_dimensions_are_not_followed(void**) {
	assert_string_eq(RenderOne([](fb::FlatBufferBuilder& b) {
		                 std::vector<fb::Offset<wire::Value>> items{
		                     wire::CreateValue(b, wire::Datum::Int, wire::CreateInt(b, 1).Union())};
		                 std::vector<int> dims{2000000000, 2000000000}, lbs{1, 1};
		                 auto a = wire::CreateArray(b, 23, b.CreateVector(dims), b.CreateVector(lbs), b.CreateVector(items));
		                 return wire::CreateValue(b, wire::Datum::Array, a.Union());
	                 }),
	                 "{\"array\":{\"malformed_array\":true},\"element_type_oid\":23}");
}

void plain_style_drops_type_tags(void**) {
	fb::FlatBufferBuilder b;
	auto s = b.CreateString("k\"1");
	auto v = wire::CreateValue(b, wire::Datum::Text, wire::CreateText(b, s).Union());
	std::string out;
	flatwal::RenderValue(fb::GetTemporaryPointer(b, v), flatwal::ValueStyle::kPlain, &out);
	assert_string_eq(out, "\"k\\\"1\"");
}

// Frames that are not what they claim to be are refused, not rendered.
void verification_refuses_bad_frames(void**) {
	std::string json;
	const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	flatwal::Status st = flatwal::RenderFrameJson(junk, sizeof junk, &json);
	assert_false(st.ok());
	assert_string_eq(st.message(), "not a flatwal frame");

	fb::FlatBufferBuilder b;
	b.Finish(wire::CreateEvent(b, 1, wire::Body::Begin, wire::CreateBegin(b, 7, 8, 9).Union()), wire::EventIdentifier());
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
	b.Finish(wire::CreateEvent(b, 1, wire::Body::Commit,
	                           wire::CreateCommit(b, 42, 0x100000016ull, 0x100000040ull, 1000000).Union()),
	         wire::EventIdentifier());
	std::string json;
	assert_true(flatwal::RenderFrameJson(b.GetBufferPointer(), b.GetSize(), &json).ok());
	assert_string_eq(json,
	                 "{\"format_version\":1,\"event\":\"commit\",\"xid\":42,\"commit_lsn\":\"1/16\","
	                 "\"end_lsn\":\"1/40\",\"commit_time\":\"1970-01-01T00:00:01Z\"}");
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(integers_floats_and_bools),
	    cmocka_unit_test(null_unchanged_and_absent_are_distinct),
	    cmocka_unit_test(text_is_escaped),
	    cmocka_unit_test(dates_and_times),
	    cmocka_unit_test(uuid_bytes_and_json),
	    cmocka_unit_test(arrays_nest_by_dimension),
	    cmocka_unit_test(lying_array_dimensions_are_not_followed),
	    cmocka_unit_test(plain_style_drops_type_tags),
	    cmocka_unit_test(verification_refuses_bad_frames),
	    cmocka_unit_test(begin_and_commit_render_lsns_and_times),
	};
	return cmocka_run_group_tests_name("render_json", tests, nullptr, nullptr);
}
