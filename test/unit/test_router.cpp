// Unit tests for routing frames to Kafka (shipper/router.cpp).
#include "unit.h"

#include <cstring>

#include "router.h"

namespace {

namespace wire = flatwal::wire;
namespace fb = flatbuffers;

struct Built {
	fb::FlatBufferBuilder b;
	const wire::Event& event() { return *wire::GetEvent(b.GetBufferPointer()); }
};

void BuildChange(Built* f, wire::Op op, const char* schema, const char* table, const char* key) {
	fb::FlatBufferBuilder& b = f->b;
	auto key_off = key ? b.CreateVector(reinterpret_cast<const uint8_t*>(key), strlen(key)) : 0;
	auto change = wire::CreateChange(b, op, 700, 0, 0x1000, 0x2000, 3, 16384, b.CreateString(schema),
	                                 b.CreateString(table), 2, key_off);
	b.Finish(wire::CreateEvent(b, 1, wire::Body::Change, change.Union()), wire::EventIdentifier());
}

std::string Header(const flatwal::OutMessage& m, const std::string& name) {
	for (const auto& h : m.headers)
		if (h.first == name) return h.second;
	return "<none>";
}

void change_goes_to_its_table_topic_keyed_by_row(void**) {
	Built f;
	BuildChange(&f, wire::Op::Update, "public", "orders", "[42]");
	std::vector<flatwal::OutMessage> out;
	flatwal::Router({"shop", true, false}).Route(f.event(), &out);
	assert_int_equal(out.size(), 1);
	assert_string_eq(out[0].topic, "shop.public.orders");
	assert_true(out[0].has_key);
	assert_string_eq(out[0].key, "[42]");
	assert_false(out[0].tombstone);
	assert_string_eq(Header(out[0], "flatwal.op"), "update");
	assert_string_eq(Header(out[0], "flatwal.commit_lsn"), "0/2000");
	assert_string_eq(Header(out[0], "flatwal.lsn"), "0/1000");
	assert_string_eq(Header(out[0], "flatwal.seq"), "3");
	assert_string_eq(Header(out[0], "flatwal.xid"), "700");
	assert_string_eq(Header(out[0], "flatwal.version"), "2");
}

void delete_is_followed_by_a_tombstone_unless_turned_off(void**) {
	Built f;
	BuildChange(&f, wire::Op::Delete, "public", "orders", "[7]");
	std::vector<flatwal::OutMessage> out;
	flatwal::Router({"shop", true, false}).Route(f.event(), &out);
	assert_int_equal(out.size(), 2);
	assert_false(out[0].tombstone);
	assert_true(out[1].tombstone);
	assert_string_eq(out[1].key, "[7]");
	assert_string_eq(out[1].topic, "shop.public.orders");
	out.clear();
	flatwal::Router({"shop", false, false}).Route(f.event(), &out);
	assert_int_equal(out.size(), 1);
}

void keyless_rows_have_no_key_and_no_tombstone(void**) {
	Built f;
	BuildChange(&f, wire::Op::Delete, "public", "log", nullptr);
	std::vector<flatwal::OutMessage> out;
	flatwal::Router({"shop", true, false}).Route(f.event(), &out);
	assert_int_equal(out.size(), 1);
	assert_false(out[0].has_key);
}

void unsafe_names_are_made_valid_topics(void**) {
	Built f;
	BuildChange(&f, wire::Op::Insert, "Sales Dept", "orders/2024", "[1]");
	std::vector<flatwal::OutMessage> out;
	flatwal::Router({"db", true, false}).Route(f.event(), &out);
	assert_string_eq(out[0].topic, "db.Sales_Dept.orders_2024");
}

void schema_truncate_message_and_transactions(void**) {
	std::vector<flatwal::OutMessage> out;
	flatwal::Router router({"p", true, true});
	{
		Built f;
		auto s = wire::CreateSchema(f.b, 1, f.b.CreateString("public"), f.b.CreateString("t"), 4);
		f.b.Finish(wire::CreateEvent(f.b, 1, wire::Body::Schema, s.Union()), wire::EventIdentifier());
		router.Route(f.event(), &out);
	}
	{
		Built f;
		std::vector<fb::Offset<wire::TableRef>> refs{
		    wire::CreateTableRef(f.b, 1, f.b.CreateString("public"), f.b.CreateString("a")),
		    wire::CreateTableRef(f.b, 2, f.b.CreateString("public"), f.b.CreateString("b"))};
		auto t = wire::CreateTruncate(f.b, 9, 1, 2, f.b.CreateVector(refs));
		f.b.Finish(wire::CreateEvent(f.b, 1, wire::Body::Truncate, t.Union()), wire::EventIdentifier());
		router.Route(f.event(), &out);
	}
	{
		Built f;
		auto m = wire::CreateMessage(f.b, 9, 1, 2, true, f.b.CreateString("outbox.orders"));
		f.b.Finish(wire::CreateEvent(f.b, 1, wire::Body::Message, m.Union()), wire::EventIdentifier());
		router.Route(f.event(), &out);
	}
	{
		Built f;
		f.b.Finish(wire::CreateEvent(f.b, 1, wire::Body::Commit, wire::CreateCommit(f.b, 9, 1, 2, 3).Union()),
		           wire::EventIdentifier());
		router.Route(f.event(), &out);
	}
	assert_int_equal(out.size(), 5);
	assert_string_eq(out[0].topic, "p.flatwal.schemas");
	assert_string_eq(out[0].key, "public.t:4");
	assert_string_eq(out[1].topic, "p.public.a");
	assert_string_eq(out[2].topic, "p.public.b");
	assert_false(out[1].has_key);
	assert_string_eq(Header(out[1], "flatwal.op"), "truncate");
	assert_string_eq(out[3].topic, "p.message.outbox.orders");
	assert_string_eq(out[4].topic, "p.flatwal.tx");
	assert_string_eq(out[4].key, "9");
	assert_string_eq(Header(out[4], "flatwal.op"), "commit");

	out.clear();
	Built f;
	f.b.Finish(wire::CreateEvent(f.b, 1, wire::Body::Begin, wire::CreateBegin(f.b, 9, 1, 2).Union()),
	           wire::EventIdentifier());
	flatwal::Router({"p", true, false}).Route(f.event(), &out);
	assert_int_equal(out.size(), 0);  // transactions topic off by default
}

void snapshot_markers_go_to_the_table_topic(void**) {
	Built f;
	auto mk = wire::CreateSnapshotMarker(f.b, 1, f.b.CreateString("public"), f.b.CreateString("big"),
	                                     wire::SnapshotPhase::End, 0x3000, 42);
	f.b.Finish(wire::CreateEvent(f.b, 1, wire::Body::SnapshotMarker, mk.Union()), wire::EventIdentifier());
	std::vector<flatwal::OutMessage> out;
	flatwal::Router({"p", true, false}).Route(f.event(), &out);
	assert_int_equal(out.size(), 1);
	assert_string_eq(out[0].topic, "p.public.big");
	assert_false(out[0].has_key);
	assert_string_eq(Header(out[0], "flatwal.op"), "snapshot_end");
	assert_string_eq(Header(out[0], "flatwal.commit_lsn"), "0/3000");
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(change_goes_to_its_table_topic_keyed_by_row),
	    cmocka_unit_test(delete_is_followed_by_a_tombstone_unless_turned_off),
	    cmocka_unit_test(keyless_rows_have_no_key_and_no_tombstone),
	    cmocka_unit_test(unsafe_names_are_made_valid_topics),
	    cmocka_unit_test(schema_truncate_message_and_transactions),
	    cmocka_unit_test(snapshot_markers_go_to_the_table_topic),
	};
	return cmocka_run_group_tests_name("router", tests, nullptr, nullptr);
}
