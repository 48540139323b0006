// Mutation fuzzing of frame reading: corrupted frames and messages must be
// refused or rendered, never crash or read out of bounds. Built with
// AddressSanitizer and UndefinedBehaviorSanitizer (see the Makefile), so an
// out-of-bounds read fails the test even when it would not crash.
#include "unit.h"

#include <random>
#include <vector>

#include "frames.h"
#include "render_json.h"

namespace {

namespace wire = flatwal::wire;
namespace fb = flatbuffers;

fb::Offset<wire::Value> V(fb::FlatBufferBuilder& b, wire::Datum type, fb::Offset<void> body) {
	return wire::CreateValue(b, type, body);
}

// A change whose row holds one value of every datum kind.
std::string ChangeSeed() {
	fb::FlatBufferBuilder b;
	std::vector<fb::Offset<wire::Value>> vals;
	vals.push_back(V(b, wire::Datum::Null, wire::CreateNull(b).Union()));
	vals.push_back(V(b, wire::Datum::Unchanged, wire::CreateUnchanged(b).Union()));
	vals.push_back(wire::ValueBuilder(b).Finish());
	vals.push_back(V(b, wire::Datum::Bool, wire::CreateBool(b, true).Union()));
	vals.push_back(V(b, wire::Datum::Int, wire::CreateInt(b, -5).Union()));
	vals.push_back(V(b, wire::Datum::Float, wire::CreateFloat(b, 2.5).Union()));
	vals.push_back(V(b, wire::Datum::Text, wire::CreateText(b, b.CreateString("text")).Union()));
	const uint8_t raw[] = {1, 2, 3};
	vals.push_back(V(b, wire::Datum::Bytes, wire::CreateBytes(b, b.CreateVector(raw, 3)).Union()));
	vals.push_back(V(b, wire::Datum::Numeric, wire::CreateNumeric(b, b.CreateString("1.50")).Union()));
	vals.push_back(V(b, wire::Datum::Date, wire::CreateDate(b, 19000).Union()));
	vals.push_back(V(b, wire::Datum::Time, wire::CreateTime(b, 1000).Union()));
	vals.push_back(V(b, wire::Datum::TimeTz, wire::CreateTimeTz(b, 1000, 3600).Union()));
	vals.push_back(V(b, wire::Datum::Timestamp, wire::CreateTimestamp(b, 5).Union()));
	vals.push_back(V(b, wire::Datum::TimestampTz, wire::CreateTimestampTz(b, 5).Union()));
	vals.push_back(V(b, wire::Datum::Interval, wire::CreateInterval(b, 1, 2, 3).Union()));
	uint8_t u[16] = {0};
	wire::Uuid16 uuid(fb::span<const uint8_t, 16>(u, 16));
	vals.push_back(V(b, wire::Datum::Uuid, wire::CreateUuid(b, &uuid).Union()));
	vals.push_back(V(b, wire::Datum::Json, wire::CreateJson(b, b.CreateString("{\"a\":1}")).Union()));
	std::vector<fb::Offset<wire::Value>> items{V(b, wire::Datum::Int, wire::CreateInt(b, 1).Union()),
	                                           V(b, wire::Datum::Int, wire::CreateInt(b, 2).Union())};
	std::vector<int> dims{1, 2}, lbs{1, 1};
	vals.push_back(V(b, wire::Datum::Array,
	                 wire::CreateArray(b, 23, b.CreateVector(dims), b.CreateVector(lbs), b.CreateVector(items)).Union()));
	vals.push_back(V(b, wire::Datum::TextOutput, wire::CreateTextOutput(b, b.CreateString("(1,2)")).Union()));
	auto row = wire::CreateRow(b, b.CreateVector(vals));
	const uint8_t key[] = {'[', '1', ']'};
	auto change = wire::CreateChange(b, wire::Op::Update, 1, 2, 3, 4, 5, 6, b.CreateString("public"),
	                                 b.CreateString("t"), 7, b.CreateVector(key, 3), b.CreateVector(key, 3),
	                                 wire::OldImage::Full, row, row);
	b.Finish(wire::CreateEvent(b, 1, wire::Body::Change, change.Union()), wire::EventIdentifier());
	return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

std::string SchemaSeed() {
	fb::FlatBufferBuilder b;
	std::vector<fb::Offset<wire::Column>> cols{
	    wire::CreateColumn(b, b.CreateString("id"), 23, b.CreateString("integer"), 23, -1, true, true)};
	std::vector<uint16_t> keys{0};
	auto schema = wire::CreateSchema(b, 1, b.CreateString("public"), b.CreateString("t"), 1,
	                                 wire::ReplicaIdentity::Default, b.CreateVector(cols), b.CreateVector(keys));
	b.Finish(wire::CreateEvent(b, 1, wire::Body::Schema, schema.Union()), wire::EventIdentifier());
	return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

std::string TruncateAndMessageSeed() {
	std::string message;
	fb::FlatBufferBuilder b;
	std::vector<fb::Offset<wire::TableRef>> refs{wire::CreateTableRef(b, 1, b.CreateString("s"), b.CreateString("t"))};
	b.Finish(wire::CreateEvent(b, 1, wire::Body::Truncate,
	                           wire::CreateTruncate(b, 1, 2, 3, b.CreateVector(refs), true, false).Union()),
	         wire::EventIdentifier());
	flatwal::AppendFrame(&message, b.GetBufferPointer(), b.GetSize());
	b.Clear();
	const uint8_t content[] = {'h', 'i'};
	b.Finish(wire::CreateEvent(b, 1, wire::Body::Message,
	                           wire::CreateMessage(b, 1, 2, 3, true, b.CreateString("p"), b.CreateVector(content, 2))
	                               .Union()),
	         wire::EventIdentifier());
	flatwal::AppendFrame(&message, b.GetBufferPointer(), b.GetSize());
	return message;
}

// Renders whatever the bytes hold, as flatwal.to_json()/frames() would.
void Consume(const std::string& bytes, int* rendered, int* refused) {
	const uint8_t* data = reinterpret_cast<const uint8_t*>(bytes.data());
	std::string json;
	if (flatwal::LooksLikeBareFrame(data, bytes.size())) {
		(flatwal::RenderFrameJson(data, bytes.size(), &json).ok() ? *rendered : *refused) += 1;
		return;
	}
	flatwal::FrameReader reader(data, bytes.size());
	const uint8_t* frame;
	size_t length;
	while (reader.Next(&frame, &length)) {
		json.clear();
		(flatwal::RenderFrameJson(frame, length, &json).ok() ? *rendered : *refused) += 1;
	}
	if (reader.malformed()) *refused += 1;
}

void seeds_render(void**) {
	int rendered = 0, refused = 0;
	for (const std::string& seed : {ChangeSeed(), SchemaSeed(), TruncateAndMessageSeed()})
		Consume(seed, &rendered, &refused);
	assert_int_equal(rendered, 4);
	assert_int_equal(refused, 0);
}

void mutated_frames_never_crash(void**) {
	std::mt19937 rng(20261122);
	int rendered = 0, refused = 0;
	const std::string seeds[] = {ChangeSeed(), SchemaSeed(), TruncateAndMessageSeed()};
	for (int round = 0; round < 30000; ++round) {
		for (const std::string& seed : seeds) {
			std::string m = seed;
			int flips = 1 + static_cast<int>(rng() % 4);
			for (int f = 0; f < flips; ++f) m[rng() % m.size()] = static_cast<char>(rng() % 256);
			if (rng() % 5 == 0) m.resize(rng() % m.size());
			Consume(m, &rendered, &refused);
		}
	}
	// Both outcomes occur: corrupt bytes are refused, harmless flips still render.
	assert_true(rendered > 1000);
	assert_true(refused > 1000);
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(seeds_render),
	    cmocka_unit_test(mutated_frames_never_crash),
	};
	return cmocka_run_group_tests_name("fuzz_frames", tests, nullptr, nullptr);
}
