// Unit tests for routing frames to Kafka (shipper/router.cpp) and the table
// catalog that names their topics and keys (shipper/table_catalog.cpp).
#include "unit.h"

#include <cstring>

#include "frame_builder.h"
#include "router.h"
#include "row_packer.h"

namespace {

namespace wire = flatwal::wire;
namespace fb = flatbuffers;

struct Built {
	fb::FlatBufferBuilder b;
	const wire::Event& event() { return *wire::GetEvent(b.GetBufferPointer()); }
};

// A Schema frame: relid 16384, two columns (id bigint, region text).
void BuildSchema(Built* f, const char* schema, const char* table, uint32_t version, std::vector<uint16_t> key) {
	fb::FlatBufferBuilder& b = f->b;
	std::vector<fb::Offset<wire::Column>> columns = {
	    wire::CreateColumn(b, b.CreateString("id"), 20, b.CreateString("bigint"), 20, -1, true, true),
	    wire::CreateColumn(b, b.CreateString("region"), 25, b.CreateString("text"), 25, -1, false, false)};
	auto s = wire::CreateSchema(b, 16384, b.CreateString(schema), b.CreateString(table), version,
	                            wire::ReplicaIdentity::Default, b.CreateVector(columns), b.CreateVector(key));
	flatwal::FinishEvent(&b, wire::Body::Schema, s.Union());
}

// A change of relid 16384 whose rows hold (id, region).
struct RowValues {
	int64_t id;
	const char* region;
};
void BuildChange(Built* f, wire::Op op, uint32_t version, const RowValues* after, const RowValues* before,
                 wire::OldImage old_image = wire::OldImage::None) {
	fb::FlatBufferBuilder& b = f->b;
	auto pack = [&b](const RowValues* values) {
		if (values == nullptr) return fb::Offset<wire::Row>();
		flatwal::RowPacker row(&b);
		row.AddInt(wire::Kind::Int, values->id);
		row.AddText(wire::Kind::Text, values->region, strlen(values->region));
		return row.Finish();
	};
	auto after_row = pack(after), before_row = pack(before);
	wire::ChangeHeader header(/*lsn=*/0x1000, /*commit_lsn=*/0x2000, /*xid=*/700, /*subxid=*/0, /*seq=*/3,
	                          /*relid=*/16384, version, op, old_image);
	flatwal::FinishEvent(&b, wire::Body::Change, wire::CreateChange(b, &header, after_row, before_row).Union());
}

std::string Header(const flatwal::OutMessage& m, const std::string& name) {
	const std::string* value = m.FindHeader(name.c_str());
	return value != nullptr ? *value : "<none>";
}

flatwal::RouterOptions Options(const char* topic_prefix, bool tombstones, bool transactions_topic) {
	flatwal::RouterOptions options;
	options.topic_prefix = topic_prefix;
	options.tombstones = tombstones;
	options.transactions_topic = transactions_topic;
	return options;
}

// Routes a Schema frame (teaching the catalog), then the change.
flatwal::RoutedMessages RouteAfterSchema(flatwal::RouterOptions options, const char* schema,
                                                  const char* table, std::vector<uint16_t> key, Built* change) {
	flatwal::TableCatalog catalog;
	flatwal::Router router(std::move(options), &catalog);
	flatwal::RoutedMessages out;
	Built s;
	BuildSchema(&s, schema, table, 2, std::move(key));
	assert_true(router.Route(s.event(), &out).ok());
	out.clear();
	assert_true(router.Route(change->event(), &out).ok());
	return out;
}

const RowValues kRow{42, "eu"};
const RowValues kOldRow{41, "us"};

void change_goes_to_its_table_topic_keyed_by_row(void**) {
	Built f;
	BuildChange(&f, wire::Op::Update, 2, &kRow, nullptr, wire::OldImage::KeyUnchanged);
	flatwal::RouterOptions options = Options("shop", true, false);
	options.headers = flatwal::HeaderSet::kFull;
	auto out = RouteAfterSchema(std::move(options), "public", "orders", {0}, &f);
	assert_int_equal(out.size(), 1);
	assert_string_eq(out[0].topic, "shop.public.orders");
	assert_true(out[0].has_key);
	assert_string_eq(out[0].key, "[42]");
	assert_false(out[0].tombstone);
	assert_string_eq(Header(out[0], "flatwal.op"), "update");
	assert_string_eq(Header(out[0], "flatwal.schema"), "public");
	assert_string_eq(Header(out[0], "flatwal.table"), "orders");
	assert_string_eq(Header(out[0], "flatwal.commit_lsn"), "0/2000");
	assert_string_eq(Header(out[0], "flatwal.timeline"), "0");  // frames made by hand carry none
	assert_string_eq(Header(out[0], "flatwal.lsn"), "0/1000");
	assert_string_eq(Header(out[0], "flatwal.seq"), "3");
	assert_string_eq(Header(out[0], "flatwal.xid"), "700");
	assert_string_eq(Header(out[0], "flatwal.version"), "2");
}

void composite_keys_follow_key_order(void**) {
	Built f;
	BuildChange(&f, wire::Op::Insert, 2, &kRow, nullptr);
	auto out = RouteAfterSchema(Options("shop", true, false), "public", "orders", {1, 0}, &f);
	assert_string_eq(out[0].key, "[\"eu\",42]");
}

void delete_is_keyed_by_its_before_image_then_a_tombstone(void**) {
	Built f;
	BuildChange(&f, wire::Op::Delete, 2, nullptr, &kOldRow, wire::OldImage::Key);
	auto out = RouteAfterSchema(Options("shop", true, false), "public", "orders", {0}, &f);
	assert_int_equal(out.size(), 2);
	assert_string_eq(out[0].key, "[41]");
	assert_false(out[0].tombstone);
	assert_true(out[1].tombstone);
	assert_string_eq(out[1].key, "[41]");
	assert_string_eq(out[1].topic, "shop.public.orders");
	out = RouteAfterSchema(Options("shop", false, false), "public", "orders", {0}, &f);
	assert_int_equal(out.size(), 1);
}

// A compacted topic must forget the old key of a row whose key changed: the
// change goes under the old key, then a tombstone there, then the new key.
void an_update_that_moved_the_key_leaves_a_tombstone_under_the_old_key(void**) {
	Built f;
	BuildChange(&f, wire::Op::Update, 2, &kRow, &kOldRow, wire::OldImage::Key);
	auto out = RouteAfterSchema(Options("shop", true, false), "public", "orders", {0}, &f);
	assert_int_equal(out.size(), 3);
	assert_string_eq(out[0].key, "[41]");
	assert_false(out[0].tombstone);
	assert_string_eq(Header(out[0], "flatwal.op"), "update");
	assert_string_eq(Header(out[0], "flatwal.new_key"), "[42]");
	assert_string_eq(out[1].key, "[41]");
	assert_true(out[1].tombstone);
	assert_string_eq(out[2].key, "[42]");
	assert_false(out[2].tombstone);
	assert_string_eq(Header(out[2], "flatwal.old_key"), "[41]");
	assert_string_eq(Header(out[2], "flatwal.seq"), Header(out[0], "flatwal.seq"));
	out = RouteAfterSchema(Options("shop", false, false), "public", "orders", {0}, &f);  // --no-tombstones
	assert_int_equal(out.size(), 2);
	assert_string_eq(out[0].key, "[41]");
	assert_string_eq(out[1].key, "[42]");
}

void keyless_rows_have_no_key_and_no_tombstone(void**) {
	Built f;
	BuildChange(&f, wire::Op::Delete, 2, nullptr, nullptr, wire::OldImage::Unavailable);
	auto out = RouteAfterSchema(Options("shop", true, false), "public", "log", {}, &f);
	assert_int_equal(out.size(), 1);
	assert_false(out[0].has_key);
}

void unsafe_names_are_made_valid_topics(void**) {
	Built f;
	BuildChange(&f, wire::Op::Insert, 2, &kRow, nullptr);
	auto out = RouteAfterSchema(Options("db", true, false), "Sales Dept", "orders/2024", {0}, &f);
	assert_string_eq(out[0].topic, "db.Sales_Dept.orders_2024");
}

// A change names its table by (relid, version); without that Schema frame
// the shipper must stop rather than guess a topic or key.
void a_change_before_its_schema_is_refused(void**) {
	flatwal::TableCatalog catalog;
	flatwal::Router router(Options("p", true, false), &catalog);
	flatwal::RoutedMessages out;
	Built s, f;
	BuildSchema(&s, "public", "orders", 1, {0});
	assert_true(router.Route(s.event(), &out).ok());
	BuildChange(&f, wire::Op::Insert, 2, &kRow, nullptr);  // version 2 was never described
	flatwal::Status st = router.Route(f.event(), &out);
	assert_false(st.ok());
	assert_string_eq(st.message(), "a change arrived before the Schema frame of its table");
}

// Changes decoded after DDL still carry their old version, and its key.
void each_version_keeps_its_own_key_columns(void**) {
	flatwal::TableCatalog catalog;
	flatwal::Router router(Options("p", true, false), &catalog);
	flatwal::RoutedMessages out;
	Built v1, v2, old_change;
	BuildSchema(&v1, "public", "orders", 1, {0});
	BuildSchema(&v2, "public", "orders", 2, {1});
	assert_true(router.Route(v1.event(), &out).ok());
	assert_true(router.Route(v2.event(), &out).ok());
	BuildChange(&old_change, wire::Op::Insert, 1, &kRow, nullptr);
	out.clear();
	assert_true(router.Route(old_change.event(), &out).ok());
	assert_string_eq(out[0].key, "[42]");
}

void an_update_that_moved_the_key_names_the_old_key(void**) {
	flatwal::TableCatalog catalog;
	Built s, moved, kept;
	BuildSchema(&s, "public", "orders", 2, {0});
	catalog.Learn(*s.event().body_as_Schema());
	BuildChange(&moved, wire::Op::Update, 2, &kRow, &kOldRow, wire::OldImage::Key);
	const flatwal::TableVersion* table = catalog.Find(16384, 2);
	assert_non_null(table);
	flatwal::ChangeKeys keys;
	assert_true(flatwal::ChangeKeysOf(*moved.event().body_as_Change(), *table, &keys).ok());
	assert_string_eq(keys.key, "[42]");
	assert_string_eq(keys.old_key, "[41]");
	BuildChange(&kept, wire::Op::Update, 2, &kRow, nullptr, wire::OldImage::KeyUnchanged);
	assert_true(flatwal::ChangeKeysOf(*kept.event().body_as_Change(), *table, &keys).ok());
	assert_string_eq(keys.key, "[42]");
	assert_string_eq(keys.old_key, "");
}

// One catalog for every reader of the stream (shipper, sink): it keeps each
// version's relid and number, and a key position past the columns (a corrupt
// frame) leaves the table without a key rather than keyed by a stray column.
void the_catalog_refuses_a_key_past_the_columns(void**) {
	flatwal::TableCatalog catalog;
	Built good, corrupt;
	BuildSchema(&good, "public", "orders", 3, {0});
	BuildSchema(&corrupt, "public", "orders", 4, {0, 9});
	catalog.Learn(*good.event().body_as_Schema());
	catalog.Learn(*corrupt.event().body_as_Schema());
	const flatwal::TableVersion* v3 = catalog.Find(16384, 3);
	const flatwal::TableVersion* v4 = catalog.Find(16384, 4);
	assert_true(v3 != nullptr && v3->relid == 16384 && v3->version == 3 && v3->key_columns.size() == 1);
	assert_true(v4 != nullptr && v4->key_columns.empty());
}

// The shipper's heartbeats (a logical message with its own prefix) get their own topic.
void heartbeats_go_to_the_heartbeat_topic(void**) {
	flatwal::TableCatalog catalog;
	flatwal::Router router(Options("p", true, false), &catalog);
	flatwal::RoutedMessages out;
	Built f;
	auto m = wire::CreateMessage(f.b, 0, 1, 0, false, f.b.CreateString(flatwal::kHeartbeatMessagePrefix));
	flatwal::FinishEvent(&f.b, wire::Body::Message, m.Union());
	assert_true(router.Route(f.event(), &out).ok());
	assert_int_equal(out.size(), 1);
	assert_string_eq(out[0].topic, "p.flatwal.heartbeat");
	assert_string_eq(out[0].key, "{\"flatwal\":\"heartbeat\"}");
	assert_string_eq(Header(out[0], "flatwal.op"), "heartbeat");
}

void schema_truncate_message_and_transactions(void**) {
	flatwal::RoutedMessages out;
	flatwal::TableCatalog catalog;
	flatwal::Router router(Options("p", true, true), &catalog);
	{
		Built f;
		auto s = wire::CreateSchema(f.b, 1, f.b.CreateString("public"), f.b.CreateString("t"), 4);
		flatwal::FinishEvent(&f.b, wire::Body::Schema, s.Union());
		assert_true(router.Route(f.event(), &out).ok());
	}
	{
		Built f;
		std::vector<fb::Offset<wire::TableRef>> refs{
		    wire::CreateTableRef(f.b, 1, f.b.CreateString("public"), f.b.CreateString("a")),
		    wire::CreateTableRef(f.b, 2, f.b.CreateString("public"), f.b.CreateString("b"))};
		auto t = wire::CreateTruncate(f.b, 9, 1, 2, f.b.CreateVector(refs));
		flatwal::FinishEvent(&f.b, wire::Body::Truncate, t.Union());
		assert_true(router.Route(f.event(), &out).ok());
	}
	{
		Built f;
		auto m = wire::CreateMessage(f.b, 9, 1, 2, true, f.b.CreateString("outbox.orders"));
		flatwal::FinishEvent(&f.b, wire::Body::Message, m.Union());
		assert_true(router.Route(f.event(), &out).ok());
	}
	{
		Built f;
		flatwal::FinishEvent(&f.b, wire::Body::Commit, wire::CreateCommit(f.b, 9, 1, 2, 3).Union());
		assert_true(router.Route(f.event(), &out).ok());
	}
	assert_int_equal(out.size(), 5);
	assert_string_eq(out[0].topic, "p.flatwal.schemas");
	assert_string_eq(out[0].key, "public.t:4");
	assert_string_eq(out[1].topic, "p.public.a");
	assert_string_eq(out[2].topic, "p.public.b");
	// Every record has a key: Kafka refuses keyless records on a compacted topic.
	for (const flatwal::OutMessage& m : out) assert_true(m.has_key);
	assert_string_eq(out[1].key, "{\"flatwal\":\"truncate\"}");
	assert_string_eq(out[2].key, "{\"flatwal\":\"truncate\"}");
	assert_string_eq(Header(out[1], "flatwal.op"), "truncate");
	assert_string_eq(out[3].topic, "p.message.outbox.orders");
	assert_string_eq(out[3].key, "outbox.orders");
	assert_string_eq(out[4].topic, "p.flatwal.tx");
	assert_string_eq(out[4].key, "9");
	assert_string_eq(Header(out[4], "flatwal.op"), "commit");

	out.clear();
	Built f;
	flatwal::FinishEvent(&f.b, wire::Body::Begin, wire::CreateBegin(f.b, 9, 1, 2).Union());
	assert_true(flatwal::Router(Options("p", true, false), &catalog).Route(f.event(), &out).ok());
	assert_int_equal(out.size(), 0);  // transactions topic off by default
}

// A partition truncated on its own goes to its partitioned table's topic,
// under an op that cannot be taken for the whole table's truncate.
void a_partition_truncate_goes_to_its_table_topic_as_a_partition_truncate(void**) {
	Built f;
	auto parent = wire::CreateTableRef(f.b, 1, f.b.CreateString("public"), f.b.CreateString("parted"));
	std::vector<fb::Offset<wire::TableRef>> refs{
	    wire::CreateTableRef(f.b, 2, f.b.CreateString("public"), f.b.CreateString("parted_eu"), parent),
	    wire::CreateTableRef(f.b, 3, f.b.CreateString("public"), f.b.CreateString("plain"))};
	flatwal::FinishEvent(&f.b, wire::Body::Truncate, wire::CreateTruncate(f.b, 9, 1, 2, f.b.CreateVector(refs)).Union());
	flatwal::RoutedMessages out;
	flatwal::TableCatalog catalog;
	assert_true(flatwal::Router(Options("p", true, false), &catalog).Route(f.event(), &out).ok());
	assert_int_equal(out.size(), 2);
	assert_string_eq(out[0].topic, "p.public.parted");
	assert_string_eq(Header(out[0], "flatwal.op"), "partition_truncate");
	assert_string_eq(out[1].topic, "p.public.plain");
	assert_string_eq(Header(out[1], "flatwal.op"), "truncate");
}

void snapshot_markers_go_to_the_table_topic(void**) {
	Built f;
	auto mk = wire::CreateSnapshotMarker(f.b, 1, f.b.CreateString("public"), f.b.CreateString("big"),
	                                     wire::SnapshotPhase::End, 0x3000, 42);
	flatwal::FinishEvent(&f.b, wire::Body::SnapshotMarker, mk.Union());
	flatwal::RoutedMessages out;
	flatwal::TableCatalog catalog;
	assert_true(flatwal::Router(Options("p", true, false), &catalog).Route(f.event(), &out).ok());
	assert_int_equal(out.size(), 1);
	assert_string_eq(out[0].topic, "p.public.big");
	assert_true(out[0].has_key);
	assert_string_eq(out[0].key, "{\"flatwal\":\"snapshot\"}");
	assert_string_eq(Header(out[0], "flatwal.op"), "snapshot_end");
	assert_string_eq(Header(out[0], "flatwal.relation"), "public.big");
}

void changes_carry_their_commit_time_as_the_message_time(void**) {
	flatwal::TableCatalog catalog;
	flatwal::Router router(Options("shop", true, false), &catalog);
	flatwal::RoutedMessages out;
	Built schema, begin, change, commit, read;
	BuildSchema(&schema, "public", "orders", 2, {0});
	assert_true(router.Route(schema.event(), &out).ok());
	flatwal::FinishEvent(&begin.b, wire::Body::Begin, wire::CreateBegin(begin.b, 700, 0x2000, 1700000000123456).Union());
	flatwal::FinishEvent(&commit.b, wire::Body::Commit, wire::CreateCommit(commit.b, 700, 0x2000, 0x2100, 1700000000123456).Union());
	BuildChange(&change, wire::Op::Insert, 2, &kRow, nullptr);
	BuildChange(&read, wire::Op::Read, 2, &kRow, nullptr);
	out.clear();
	assert_true(router.Route(begin.event(), &out).ok() && router.Route(change.event(), &out).ok());
	assert_int_equal(out[out.size() - 1].timestamp_ms, 1700000000123);
	assert_true(router.Route(commit.event(), &out).ok() && router.Route(read.event(), &out).ok());
	assert_int_equal(out[out.size() - 1].timestamp_ms, 0);  // a snapshot row: the producer's clock
}

// Message slots are reused from frame to frame: nothing of a longer message
// (a key change's extra headers, a tombstone flag) may leak into the next.
void reused_slots_carry_nothing_over(void**) {
	flatwal::TableCatalog catalog;
	flatwal::Router router(Options("shop", true, false), &catalog);
	flatwal::RoutedMessages out;
	Built schema, moved, plain;
	BuildSchema(&schema, "public", "orders", 2, {0});
	assert_true(router.Route(schema.event(), &out).ok());
	BuildChange(&moved, wire::Op::Update, 2, &kRow, &kOldRow, wire::OldImage::Key);
	BuildChange(&plain, wire::Op::Insert, 2, &kRow, nullptr);
	out.clear();
	assert_true(router.Route(moved.event(), &out).ok());
	assert_int_equal(out.size(), 3);
	out.clear();
	assert_true(router.Route(plain.event(), &out).ok());
	assert_int_equal(out.size(), 1);
	assert_false(out[0].tombstone);
	assert_string_eq(out[0].key, "[42]");
	assert_int_equal(out[0].header_count, 2);
	assert_string_eq(Header(out[0], "flatwal.new_key"), "<none>");
	assert_string_eq(Header(out[0], "flatwal.old_key"), "<none>");
	assert_string_eq(Header(out[0], "flatwal.op"), "insert");
}

// Every kind of record, routed under one header set: each record's header
// names (and the values of the ones whose meaning is fixed), in order.
std::vector<std::string> HeadersOfEveryKind(flatwal::OutputFormat format, flatwal::HeaderSet set) {
	flatwal::RouterOptions options = Options("p", true, true);
	options.format = format;
	options.headers = set;
	options.now_micros = [] { return int64_t{1700000000000000}; };
	flatwal::TableCatalog catalog;
	flatwal::Router router(std::move(options), &catalog);
	std::vector<Built> frames(10);
	BuildSchema(&frames[0], "public", "orders", 2, {0});
	flatwal::FinishEvent(&frames[1].b, wire::Body::Begin, wire::CreateBegin(frames[1].b, 700, 0x2000, 1).Union());
	BuildChange(&frames[2], wire::Op::Insert, 2, &kRow, nullptr);
	BuildChange(&frames[3], wire::Op::Update, 2, &kRow, &kOldRow, wire::OldImage::Key);
	BuildChange(&frames[4], wire::Op::Delete, 2, nullptr, &kRow, wire::OldImage::Key);
	{
		fb::FlatBufferBuilder& b = frames[5].b;
		auto parent = wire::CreateTableRef(b, 16384, b.CreateString("public"), b.CreateString("orders"));
		std::vector<fb::Offset<wire::TableRef>> refs{
		    wire::CreateTableRef(b, 16384, b.CreateString("public"), b.CreateString("orders")),
		    wire::CreateTableRef(b, 16390, b.CreateString("public"), b.CreateString("orders_eu"), parent)};
		flatwal::FinishEvent(&b, wire::Body::Truncate, wire::CreateTruncate(b, 700, 0x2000, 0x1800, b.CreateVector(refs)).Union());
	}
	{
		fb::FlatBufferBuilder& b = frames[6].b;
		auto mk = wire::CreateSnapshotMarker(b, 16384, b.CreateString("public"), b.CreateString("orders"),
		                                     wire::SnapshotPhase::Start, 0x3000, 0);
		flatwal::FinishEvent(&b, wire::Body::SnapshotMarker, mk.Union());
	}
	{
		fb::FlatBufferBuilder& b = frames[7].b;
		flatwal::FinishEvent(&b, wire::Body::Message,
		                     wire::CreateMessage(b, 700, 0x2000, 0x1900, true, b.CreateString("outbox")).Union());
	}
	{
		fb::FlatBufferBuilder& b = frames[8].b;
		auto m = wire::CreateMessage(b, 0, 1, 0, false, b.CreateString(flatwal::kHeartbeatMessagePrefix));
		flatwal::FinishEvent(&b, wire::Body::Message, m.Union());
	}
	flatwal::FinishEvent(&frames[9].b, wire::Body::Commit, wire::CreateCommit(frames[9].b, 700, 0x2000, 0x2100, 2).Union());
	std::vector<std::string> records;
	for (Built& frame : frames) {
		flatwal::RoutedMessages out;
		assert_true(router.Route(frame.event(), &out).ok());
		for (const flatwal::OutMessage& m : out) {
			std::string names;
			for (size_t i = 0; i < m.header_count; ++i) {
				const flatwal::MessageHeader& h = m.headers[i];
				names += names.empty() ? "" : " ";
				names += h.name;
				// op and relation have fixed values; the positions are checked elsewhere.
				if (!strcmp(h.name, "flatwal.op") || !strcmp(h.name, "flatwal.relation") || strstr(h.name, "key"))
					names += "=" + h.value;
			}
			records.push_back(m.topic + (m.tombstone ? " (tombstone)" : "") + ": " + names);
		}
	}
	return records;
}

void AssertRecords(const std::vector<std::string>& got, const std::vector<std::string>& expected) {
	for (size_t i = 0; i < got.size() && i < expected.size(); ++i) assert_string_eq(got[i], expected[i]);
	assert_int_equal(got.size(), expected.size());
}

const char kFull[] =
    " flatwal.schema flatwal.table flatwal.commit_lsn flatwal.timeline flatwal.lsn flatwal.seq flatwal.xid flatwal.version";

void each_header_set_carries_exactly_its_headers(void**) {
	using flatwal::HeaderSet;
	using flatwal::OutputFormat;
	const std::vector<std::string> minimal = {
	    "p.flatwal.schemas: flatwal.op=schema flatwal.relation=public.orders",
	    "p.flatwal.tx: flatwal.op=begin",
	    "p.public.orders: flatwal.op=insert flatwal.relation=public.orders",
	    "p.public.orders: flatwal.op=update flatwal.relation=public.orders flatwal.new_key=[42]",
	    "p.public.orders (tombstone): flatwal.op=update flatwal.relation=public.orders flatwal.new_key=[42]",
	    "p.public.orders: flatwal.op=update flatwal.relation=public.orders flatwal.old_key=[41]",
	    "p.public.orders: flatwal.op=delete flatwal.relation=public.orders",
	    "p.public.orders (tombstone): flatwal.op=delete flatwal.relation=public.orders",
	    "p.public.orders: flatwal.op=truncate flatwal.relation=public.orders",
	    "p.public.orders: flatwal.op=partition_truncate flatwal.relation=public.orders",
	    "p.public.orders: flatwal.op=snapshot_start flatwal.relation=public.orders",
	    "p.message.outbox: flatwal.op=message",
	    "p.flatwal.heartbeat: flatwal.op=heartbeat",
	    "p.flatwal.tx: flatwal.op=commit",
	};
	AssertRecords(HeadersOfEveryKind(OutputFormat::kFlatbuffers, HeaderSet::kFormatDefault), minimal);
	AssertRecords(HeadersOfEveryKind(OutputFormat::kFlatbuffers, HeaderSet::kMinimal), minimal);
	const std::string change = kFull;
	AssertRecords(HeadersOfEveryKind(OutputFormat::kFlatbuffers, HeaderSet::kFull),
	              {
	                  "p.flatwal.schemas: flatwal.op=schema flatwal.version",
	                  "p.flatwal.tx: flatwal.op=begin flatwal.xid",
	                  "p.public.orders: flatwal.op=insert" + change,
	                  "p.public.orders: flatwal.op=update" + change + " flatwal.new_key=[42]",
	                  "p.public.orders (tombstone): flatwal.op=update" + change + " flatwal.new_key=[42]",
	                  "p.public.orders: flatwal.op=update" + change + " flatwal.old_key=[41]",
	                  "p.public.orders: flatwal.op=delete" + change,
	                  "p.public.orders (tombstone): flatwal.op=delete" + change,
	                  "p.public.orders: flatwal.op=truncate flatwal.commit_lsn flatwal.timeline flatwal.lsn flatwal.xid",
	                  "p.public.orders: flatwal.op=partition_truncate flatwal.commit_lsn flatwal.timeline flatwal.lsn flatwal.xid",
	                  "p.public.orders: flatwal.op=snapshot_start flatwal.commit_lsn flatwal.timeline",
	                  "p.message.outbox: flatwal.op=message flatwal.commit_lsn flatwal.timeline flatwal.lsn flatwal.xid",
	                  "p.flatwal.heartbeat: flatwal.op=heartbeat flatwal.commit_lsn flatwal.timeline flatwal.lsn flatwal.xid",
	                  "p.flatwal.tx: flatwal.op=commit flatwal.xid",
	              });
	// none: a key change still names the other key, which flatwal-sink needs.
	AssertRecords(HeadersOfEveryKind(OutputFormat::kFlatbuffers, HeaderSet::kNone),
	              {
	                  "p.flatwal.schemas: ",
	                  "p.flatwal.tx: ",
	                  "p.public.orders: ",
	                  "p.public.orders: flatwal.new_key=[42]",
	                  "p.public.orders (tombstone): flatwal.new_key=[42]",
	                  "p.public.orders: flatwal.old_key=[41]",
	                  "p.public.orders: ",
	                  "p.public.orders (tombstone): ",
	                  "p.public.orders: ",
	                  "p.public.orders: ",
	                  "p.public.orders: ",
	                  "p.message.outbox: ",
	                  "p.flatwal.heartbeat: ",
	                  "p.flatwal.tx: ",
	              });
}

// The Debezium format sends what Debezium sends (a key change's __debezium.*
// headers) unless flatwal's are asked for. Its records: no truncate event
// (skipped by default) and no marker record; messages on <prefix>.message;
// Begin/Commit on <prefix>.flatwal.tx with --transactions-topic, as in flatwal's format.
void debezium_records_carry_debezium_headers_and_flatwal_ones_on_request(void**) {
	using flatwal::HeaderSet;
	using flatwal::OutputFormat;
	const std::vector<std::string> none = {
	    "p.flatwal.schemas: ",
	    "p.flatwal.tx: ",
	    "p.public.orders: ",
	    "p.public.orders: __debezium.newkey={\"id\":42}",
	    "p.public.orders (tombstone): __debezium.newkey={\"id\":42}",
	    "p.public.orders: __debezium.oldkey={\"id\":41}",
	    "p.public.orders: ",
	    "p.public.orders (tombstone): ",
	    "p.message: ",
	    "p.flatwal.heartbeat: ",
	    "p.flatwal.tx: ",
	};
	AssertRecords(HeadersOfEveryKind(OutputFormat::kDebeziumJson, HeaderSet::kFormatDefault), none);
	AssertRecords(HeadersOfEveryKind(OutputFormat::kDebeziumJson, HeaderSet::kNone), none);
	AssertRecords(HeadersOfEveryKind(OutputFormat::kDebeziumJson, HeaderSet::kMinimal),
	              {
	                  "p.flatwal.schemas: flatwal.op=schema flatwal.relation=public.orders",
	                  "p.flatwal.tx: flatwal.op=begin",
	                  "p.public.orders: flatwal.op=insert flatwal.relation=public.orders",
	                  "p.public.orders: flatwal.op=update flatwal.relation=public.orders flatwal.new_key=[42] "
	                  "__debezium.newkey={\"id\":42}",
	                  "p.public.orders (tombstone): flatwal.op=update flatwal.relation=public.orders flatwal.new_key=[42] "
	                  "__debezium.newkey={\"id\":42}",
	                  "p.public.orders: flatwal.op=update flatwal.relation=public.orders flatwal.old_key=[41] "
	                  "__debezium.oldkey={\"id\":41}",
	                  "p.public.orders: flatwal.op=delete flatwal.relation=public.orders",
	                  "p.public.orders (tombstone): flatwal.op=delete flatwal.relation=public.orders",
	                  "p.message: flatwal.op=message",
	                  "p.flatwal.heartbeat: flatwal.op=heartbeat",
	                  "p.flatwal.tx: flatwal.op=commit",
	              });
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(reused_slots_carry_nothing_over),
	    cmocka_unit_test(each_header_set_carries_exactly_its_headers),
	    cmocka_unit_test(debezium_records_carry_debezium_headers_and_flatwal_ones_on_request),
	    cmocka_unit_test(changes_carry_their_commit_time_as_the_message_time),
	    cmocka_unit_test(change_goes_to_its_table_topic_keyed_by_row),
	    cmocka_unit_test(composite_keys_follow_key_order),
	    cmocka_unit_test(delete_is_keyed_by_its_before_image_then_a_tombstone),
	    cmocka_unit_test(keyless_rows_have_no_key_and_no_tombstone),
	    cmocka_unit_test(unsafe_names_are_made_valid_topics),
	    cmocka_unit_test(a_change_before_its_schema_is_refused),
	    cmocka_unit_test(each_version_keeps_its_own_key_columns),
	    cmocka_unit_test(an_update_that_moved_the_key_names_the_old_key),
	    cmocka_unit_test(the_catalog_refuses_a_key_past_the_columns),
	    cmocka_unit_test(an_update_that_moved_the_key_leaves_a_tombstone_under_the_old_key),
	    cmocka_unit_test(heartbeats_go_to_the_heartbeat_topic),
	    cmocka_unit_test(schema_truncate_message_and_transactions),
	    cmocka_unit_test(a_partition_truncate_goes_to_its_table_topic_as_a_partition_truncate),
	    cmocka_unit_test(snapshot_markers_go_to_the_table_topic),
	};
	return cmocka_run_group_tests_name("router", tests, nullptr, nullptr);
}
