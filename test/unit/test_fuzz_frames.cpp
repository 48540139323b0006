// Mutation fuzzing of frame reading: corrupted frames and messages must be
// refused or rendered, never crash or read out of bounds. Built with
// AddressSanitizer and UndefinedBehaviorSanitizer (see the Makefile), so an
// out-of-bounds read fails the test even when it would not crash.
#include "unit.h"

#include <random>
#include <vector>

#include "frame_builder.h"
#include "frames.h"
#include "render_json.h"
#include "row_packer.h"

namespace {

namespace wire = flatwal::wire;
namespace fb = flatbuffers;

// A change whose row holds one value of every kind.
std::string ChangeSeed() {
	fb::FlatBufferBuilder b;
	flatwal::RowPacker row(&b), elements(&b);
	row.AddNull();
	row.AddUnchanged();
	row.AddAbsent();
	row.AddBool(true);
	row.AddInt(wire::Kind::Int, -5);
	row.AddFloat(2.5);
	row.AddText(wire::Kind::Text, "text", 4);
	const uint8_t raw[] = {1, 2, 3};
	row.AddBytes(raw, 3);
	row.AddText(wire::Kind::Numeric, "1.50", 4);
	row.AddInt(wire::Kind::Date, 19000);
	row.AddInt(wire::Kind::Time, 1000);
	row.AddTimeTz(1000, 3600);
	row.AddInt(wire::Kind::Timestamp, 5);
	row.AddInt(wire::Kind::TimestampTz, 5);
	row.AddInterval(1, 2, 3);
	const uint8_t uuid[16] = {0};
	row.AddUuid(uuid);
	row.AddText(wire::Kind::Json, "{\"a\":1}", 7);
	elements.AddInt(wire::Kind::Int, 1);
	elements.AddInt(wire::Kind::Int, 2);
	const int32_t dims[] = {1, 2}, lbs[] = {1, 1};
	row.AddArray(23, dims, lbs, 2, elements.Finish());
	row.AddText(wire::Kind::TextOutput, "(1,2)", 5);
	auto packed = row.Finish();
	wire::ChangeHeader header(/*lsn=*/3, /*commit_lsn=*/4, /*xid=*/1, /*subxid=*/2, /*seq=*/5, /*relid=*/6,
	                          /*version=*/7, wire::Op::Update, wire::OldImage::Full);
	auto change = wire::CreateChange(b, &header, packed, packed);
	flatwal::FinishEvent(&b, wire::Body::Change, change.Union());
	return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

std::string SchemaSeed() {
	fb::FlatBufferBuilder b;
	std::vector<fb::Offset<wire::Column>> cols{
	    wire::CreateColumn(b, b.CreateString("id"), 23, b.CreateString("integer"), 23, -1, true, true)};
	std::vector<uint16_t> keys{0};
	auto schema = wire::CreateSchema(b, 1, b.CreateString("public"), b.CreateString("t"), 1,
	                                 wire::ReplicaIdentity::Default, b.CreateVector(cols), b.CreateVector(keys));
	flatwal::FinishEvent(&b, wire::Body::Schema, schema.Union());
	return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

std::string TruncateAndMessageSeed() {
	std::string message;
	fb::FlatBufferBuilder b;
	std::vector<fb::Offset<wire::TableRef>> refs{wire::CreateTableRef(b, 1, b.CreateString("s"), b.CreateString("t"))};
	flatwal::FinishEvent(&b, wire::Body::Truncate, wire::CreateTruncate(b, 1, 2, 3, b.CreateVector(refs), true, false).Union());
	flatwal::AppendFrame(&message, b.GetBufferPointer(), b.GetSize());
	b.Clear();
	const uint8_t content[] = {'h', 'i'};
	flatwal::FinishEvent(&b, wire::Body::Message, wire::CreateMessage(b, 1, 2, 3, true, b.CreateString("p"), b.CreateVector(content, 2))
	                               .Union());
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
