// Unit tests of the Debezium format: values as Debezium's PostgreSQL
// connector writes them (format/debezium_types.cpp, expected values worked
// out by hand from Debezium's documented mapping), the envelope and the
// router's events for key changes, deletes, TOAST and transactions.
#include "unit.h"

#include <cstring>
#include <vector>

#include "debezium_types.h"
#include "frame_builder.h"
#include "router.h"
#include "row_packer.h"

namespace {

namespace wire = flatwal::wire;
namespace fb = flatbuffers;
using flatwal::DebeziumOptions;
using flatwal::FieldMapping;
using flatwal::FieldType;
using flatwal::ValueRef;

flatwal::SchemaColumn Column(uint32_t oid, int32_t typmod = -1, const char* type_name = "") {
	flatwal::SchemaColumn c;
	c.type_oid = c.base_type_oid = oid;
	c.typmod = typmod;
	c.type_name = type_name;
	return c;
}

std::string Render(const ValueRef& v, const flatwal::SchemaColumn& column, const DebeziumOptions& options = {}) {
	std::string out;
	assert_true(flatwal::AppendDebeziumValue(v, flatwal::MapColumn(column, options), options, &out));
	return out;
}

ValueRef Text(wire::Kind kind, const char* text) {
	ValueRef v;
	v.kind = kind;
	v.data = text;
	v.size = strlen(text);
	return v;
}

ValueRef Integer(wire::Kind kind, int64_t value) {
	ValueRef v;
	v.kind = kind;
	v.integer = value;
	return v;
}

// numeric(p,s)'s typmod: ((p << 16) | s) + 4.
int32_t NumericTypmod(int precision, int scale) { return ((precision << 16) | scale) + 4; }

void decimals_are_connect_decimals_in_twos_complement(void**) {
	const auto numeric = Column(1700, NumericTypmod(5, 2));
	assert_string_eq(Render(Text(wire::Kind::Numeric, "1.23"), numeric), "\"ew==\"");     // 123 = 0x7b
	assert_string_eq(Render(Text(wire::Kind::Numeric, "-1.23"), numeric), "\"hQ==\"");    // -123 = 0x85
	assert_string_eq(Render(Text(wire::Kind::Numeric, "1.28"), numeric), "\"AIA=\"");     // 128 = 0x00 0x80
	assert_string_eq(Render(Text(wire::Kind::Numeric, "-1.28"), numeric), "\"gA==\"");    // -128 = 0x80
	assert_string_eq(Render(Text(wire::Kind::Numeric, "-1.29"), numeric), "\"/38=\"");    // -129 = 0xff 0x7f
	assert_string_eq(Render(Text(wire::Kind::Numeric, "0.00"), numeric), "\"AA==\"");     // 0 = 0x00
	assert_string_eq(Render(Text(wire::Kind::Numeric, "1.5"), numeric), "\"AJY=\"");      // rescaled: 150
	assert_string_eq(Render(Text(wire::Kind::Numeric, "NaN"), numeric), "null");          // no Decimal for NaN
	const auto unconstrained = Column(1700);
	assert_string_eq(Render(Text(wire::Kind::Numeric, "-0.5"), unconstrained), "{\"scale\":1,\"value\":\"+w==\"}");
	assert_string_eq(Render(Text(wire::Kind::Numeric, "65536"), unconstrained), "{\"scale\":0,\"value\":\"AQAA\"}");
	DebeziumOptions text;
	assert_true(flatwal::SetDebeziumOption("decimal.handling.mode", "string", &text).ok());
	assert_string_eq(Render(Text(wire::Kind::Numeric, "-1.23"), numeric, text), "\"-1.23\"");
	DebeziumOptions real;
	assert_true(flatwal::SetDebeziumOption("decimal.handling.mode", "double", &real).ok());
	assert_string_eq(Render(Text(wire::Kind::Numeric, "-1.25"), numeric, real), "-1.25");
	assert_string_eq(Render(Text(wire::Kind::Numeric, "Infinity"), unconstrained, real), "\"Infinity\"");
}

void money_is_a_decimal_of_two_digits(void**) {
	const auto money = Column(790);
	assert_string_eq(Render(Text(wire::Kind::TextOutput, "$1,234.56"), money), "\"AeJA\"");  // 123456
	assert_string_eq(Render(Text(wire::Kind::TextOutput, "-$0.50"), money), "\"zg==\"");    // -50
	DebeziumOptions text;
	assert_true(flatwal::SetDebeziumOption("decimal.handling.mode", "string", &text).ok());
	assert_string_eq(Render(Text(wire::Kind::TextOutput, "-$1,234.50"), money, text), "\"-1234.50\"");
}

void bits_are_little_endian_bytes(void**) {
	assert_string_eq(Render(Text(wire::Kind::TextOutput, "1"), Column(1560, 1)), "true");
	assert_string_eq(Render(Text(wire::Kind::TextOutput, "101"), Column(1560, 3)), "\"BQ==\"");
	assert_string_eq(Render(Text(wire::Kind::TextOutput, "0000000100000010"), Column(1562)), "\"AgE=\"");
}

void binary_modes(void**) {
	ValueRef v;
	v.kind = wire::Kind::Bytes;
	v.data = "\xfb\xff";
	v.size = 2;
	const auto bytea = Column(17);
	assert_string_eq(Render(v, bytea), "\"+/8=\"");
	for (auto mode : {std::make_pair("base64", "\"+/8=\""), std::make_pair("base64-url-safe", "\"-_8=\""),
	                  std::make_pair("hex", "\"fbff\"")}) {
		DebeziumOptions o;
		assert_true(flatwal::SetDebeziumOption("binary.handling.mode", mode.first, &o).ok());
		assert_string_eq(Render(v, bytea, o), mode.second);
	}
}

void times_follow_the_precision_mode(void**) {
	const ValueRef late = Integer(wire::Kind::Time, 86399999999);  // 23:59:59.999999
	assert_string_eq(Render(late, Column(1083)), "86399999999");     // MicroTime
	assert_string_eq(Render(late, Column(1083, 3)), "86399999");     // time(3): Time, in ms
	DebeziumOptions micros, connect, iso;
	assert_true(flatwal::SetDebeziumOption("time.precision.mode", "adaptive_time_microseconds", &micros).ok());
	assert_true(flatwal::SetDebeziumOption("time.precision.mode", "connect", &connect).ok());
	assert_true(flatwal::SetDebeziumOption("time.precision.mode", "isostring", &iso).ok());
	assert_string_eq(Render(late, Column(1083, 3), micros), "86399999999");
	assert_string_eq(Render(late, Column(1083), connect), "86399999");
	assert_string_eq(Render(late, Column(1083), iso), "\"23:59:59.999999Z\"");
	// A microsecond before the epoch: its millisecond is -1 (floor), as Java's toEpochMilli.
	const ValueRef before_epoch = Integer(wire::Kind::Timestamp, -1);
	assert_string_eq(Render(before_epoch, Column(1114)), "-1");
	assert_string_eq(Render(before_epoch, Column(1114, 3)), "-1");
	assert_string_eq(Render(before_epoch, Column(1114), connect), "-1");
	assert_string_eq(Render(Integer(wire::Kind::Timestamp, INT64_MAX), Column(1114)), "9223372036825200000");
	assert_string_eq(Render(Integer(wire::Kind::TimestampTz, INT64_MIN), Column(1184)), "\"-infinity\"");
	assert_string_eq(Render(Integer(wire::Kind::TimestampTz, 1500), Column(1184)), "\"1970-01-01T00:00:00.0015Z\"");
	assert_string_eq(Render(Integer(wire::Kind::Date, 19782), Column(1082), iso), "\"2024-02-29Z\"");
	ValueRef timetz;
	timetz.kind = wire::Kind::TimeTz;
	timetz.timetz = wire::TimeTzValue(30 * 60 * 1000000LL, 3600);  // 00:30+01
	assert_string_eq(Render(timetz, Column(1266)), "\"23:30:00Z\"");
}

void intervals_as_micro_durations_or_iso_text(void**) {
	ValueRef v;
	v.kind = wire::Kind::Interval;
	v.interval = wire::IntervalValue(14, -3, (4 * 3600 + 5 * 60 + 6) * 1000000LL + 500000);
	// 14 months of 365.25/12 days, less 3 days, plus 04:05:06.5.
	assert_string_eq(Render(v, Column(1186)), "36572706500000");
	DebeziumOptions text;
	assert_true(flatwal::SetDebeziumOption("interval.handling.mode", "string", &text).ok());
	assert_string_eq(Render(v, Column(1186), text), "\"P1Y2M-3DT4H5M6.5S\"");
	v.interval = wire::IntervalValue(-1, 0, -(2 * 3600 * 1000000LL + 250000));
	assert_string_eq(Render(v, Column(1186), text), "\"P0Y-1M0DT-2H0M-0.25S\"");
}

void hstore_as_json_text_or_a_map(void**) {
	const auto hstore = Column(16500, -1, "hstore");
	const ValueRef v = Text(wire::Kind::TextOutput, "\"a\"=>\"1\", \"b c\"=>NULL, \"q\\\"t\"=>\"x\"");
	assert_string_eq(Render(v, hstore), "\"{\\\"a\\\":\\\"1\\\",\\\"b c\\\":null,\\\"q\\\\\\\"t\\\":\\\"x\\\"}\"");
	DebeziumOptions map;
	assert_true(flatwal::SetDebeziumOption("hstore.handling.mode", "map", &map).ok());
	assert_string_eq(Render(v, hstore, map), "{\"a\":\"1\",\"b c\":null,\"q\\\"t\":\"x\"}");
}

void unchanged_toast_values_are_the_placeholder_in_the_fields_form(void**) {
	ValueRef v;
	v.kind = wire::Kind::Unchanged;
	assert_string_eq(Render(v, Column(25)), "\"__debezium_unavailable_value\"");
	assert_string_eq(Render(v, Column(17)), "\"X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==\"");  // its bytes
	assert_string_eq(Render(v, Column(1009)), "[\"__debezium_unavailable_value\"]");
	DebeziumOptions custom;
	assert_true(flatwal::SetDebeziumOption("unavailable.value.placeholder", "?", &custom).ok());
	assert_string_eq(Render(v, Column(3802), custom), "\"?\"");
}

void malformed_values_are_refused(void**) {
	ValueRef v = Integer(wire::Kind::Time, -5);  // before midnight
	std::string out = "x";
	DebeziumOptions o;
	assert_false(flatwal::AppendDebeziumValue(v, flatwal::MapColumn(Column(1083), o), o, &out));
	assert_string_eq(out, "x");
	v = Text(wire::Kind::Json, "{not json");
	assert_false(flatwal::AppendDebeziumValue(v, flatwal::MapColumn(Column(114), o), o, &out));
}

void options_are_refused_with_what_is_accepted(void**) {
	DebeziumOptions o;
	flatwal::Status st = flatwal::SetDebeziumOption("decimal.handling.mode", "exact", &o);
	assert_false(st.ok());
	assert_non_null(strstr(st.hint().c_str(), "precise, double, string"));
	st = flatwal::SetDebeziumOption("snapshot.mode", "initial", &o);
	assert_false(st.ok());
	assert_non_null(strstr(st.message().c_str(), "unknown Debezium option"));
	assert_false(flatwal::SetDebeziumOption("schemas.enable", "yes please", &o).ok());
}

// skipped.operations as Debezium spells it: truncates skipped by default.
void skipped_operations_parse_as_debezium_spells_them(void**) {
	DebeziumOptions o;
	assert_true(o.Skips('t'));
	assert_false(o.Skips('c') || o.Skips('u') || o.Skips('d') || o.Skips('r'));
	assert_true(flatwal::SetDebeziumOption("skipped.operations", "none", &o).ok());
	assert_false(o.Skips('t'));
	assert_true(flatwal::SetDebeziumOption("skipped.operations", "u, d", &o).ok());
	assert_true(o.Skips('u') && o.Skips('d'));
	assert_false(o.Skips('t') || o.Skips('c'));
	const char* refused[] = {"", "r", "x", "c,,u", "none,t", "create"};
	for (const char* value : refused) {
		flatwal::Status st = flatwal::SetDebeziumOption("skipped.operations", value, &o);
		assert_false(st.ok());
		assert_non_null(strstr(st.hint().c_str(), "c (inserts)"));
	}
	assert_true(o.Skips('u') && o.Skips('d'));  // a refused value changes nothing
}

// ------------------------------------------------------------ the router's events

struct Built {
	fb::FlatBufferBuilder b;
	const wire::Event& event() { return *wire::GetEvent(b.GetBufferPointer()); }
};

// public.t (id int4 key, note text), relid 16384, version 1.
void BuildSchema(Built* f, wire::ReplicaIdentity identity = wire::ReplicaIdentity::Default) {
	fb::FlatBufferBuilder& b = f->b;
	std::vector<fb::Offset<wire::Column>> columns = {
	    wire::CreateColumn(b, b.CreateString("id"), 23, b.CreateString("integer"), 23, -1, true, true),
	    wire::CreateColumn(b, b.CreateString("note"), 25, b.CreateString("text"), 25, -1, false, false)};
	auto s = wire::CreateSchema(b, 16384, b.CreateString("public"), b.CreateString("t"), 1, identity,
	                            b.CreateVector(columns), b.CreateVector(std::vector<uint16_t>{0}));
	flatwal::FinishEvent(&b, wire::Body::Schema, s.Union());
}

struct Image {
	int id;
	const char* note;  // nullptr: unchanged TOAST value
};

void BuildChange(Built* f, wire::Op op, const Image* after, const Image* before, wire::OldImage old_image) {
	fb::FlatBufferBuilder& b = f->b;
	auto pack = [&b](const Image* image) {
		if (image == nullptr) return fb::Offset<wire::Row>();
		flatwal::RowPacker row(&b);
		row.AddInt(wire::Kind::Int, image->id);
		if (image->note != nullptr) row.AddText(wire::Kind::Text, image->note, strlen(image->note));
		else row.AddUnchanged();
		return row.Finish();
	};
	auto after_row = pack(after), before_row = pack(before);
	wire::ChangeHeader header(/*lsn=*/0x1000, /*commit_lsn=*/0x2000, /*xid=*/700, 0, /*seq=*/3, 16384, 1, op, old_image);
	flatwal::FinishEvent(&b, wire::Body::Change, wire::CreateChange(b, &header, after_row, before_row).Union(),
	                     /*timeline=*/2);
}

flatwal::RouterOptions DebeziumRouting(bool metadata = false, const char* skipped = "t") {
	flatwal::RouterOptions options;
	options.debezium.skipped_operations = skipped;
	options.topic_prefix = "db1";
	options.format = flatwal::OutputFormat::kDebeziumJson;
	options.database = "shop";
	options.debezium.transaction_metadata = metadata;
	options.now_micros = [] { return int64_t{1700000000123456}; };
	return options;
}

// A Debezium-format router that has routed public.t's Schema frame.
struct Fixture {
	explicit Fixture(bool metadata = false, const char* skipped = "t") : router(DebeziumRouting(metadata, skipped), &catalog) {
		Built schema;
		BuildSchema(&schema);
		assert_true(router.Route(schema.event(), &out).ok());
		out.clear();
	}
	flatwal::TableCatalog catalog;
	flatwal::Router router;
	flatwal::RoutedMessages out;
};

std::string Header(const flatwal::OutMessage& m, const char* name) {
	const std::string* value = m.FindHeader(name);
	return value != nullptr ? *value : "<none>";
}

void an_insert_is_a_create_event_with_source_and_times(void**) {
	Fixture f;
	flatwal::Router& router = f.router;
	flatwal::RoutedMessages& out = f.out;
	Built change;
	const Image row{42, "hi"};
	BuildChange(&change, wire::Op::Insert, &row, nullptr, wire::OldImage::None);
	assert_true(router.Route(change.event(), &out).ok());
	assert_int_equal(out.size(), 1);
	assert_string_eq(out[0].topic, "db1.public.t");
	assert_string_eq(out[0].key, "{\"id\":42}");
	assert_true(out[0].rendered);
	assert_string_eq(out[0].value,
	                 "{\"before\":null,\"after\":{\"id\":42,\"note\":\"hi\"},\"source\":{\"version\":\"3.0.0.Final\","
	                 "\"connector\":\"postgresql\",\"name\":\"db1\",\"ts_ms\":1700000000123,\"snapshot\":\"false\","
	                 "\"db\":\"shop\",\"sequence\":\"[\\\"8192\\\",\\\"4096\\\"]\",\"ts_us\":1700000000123456,"
	                 "\"ts_ns\":1700000000123456000,\"schema\":\"public\",\"table\":\"t\",\"txId\":700,\"lsn\":4096,"
	                 "\"xmin\":null,\"timeline\":2},\"transaction\":null,\"op\":\"c\",\"ts_ms\":1700000000123,"
	                 "\"ts_us\":1700000000123456,\"ts_ns\":1700000000123456000}");
	assert_int_equal(out[0].header_count, 0);  // Debezium sends no headers but a key change's
}

void a_key_change_is_a_delete_a_tombstone_and_a_create(void**) {
	Fixture f;
	flatwal::Router& router = f.router;
	flatwal::RoutedMessages& out = f.out;
	Built change;
	const Image after{2, nullptr}, before{1, nullptr};
	BuildChange(&change, wire::Op::Update, &after, &before, wire::OldImage::Key);
	assert_true(router.Route(change.event(), &out).ok());
	assert_int_equal(out.size(), 3);
	assert_string_eq(out[0].key, "{\"id\":1}");
	assert_non_null(strstr(out[0].value.c_str(), "\"op\":\"d\""));
	assert_non_null(strstr(out[0].value.c_str(), "\"after\":null"));
	assert_string_eq(Header(out[0], "__debezium.newkey"), "{\"id\":2}");
	assert_true(out[1].tombstone);
	assert_string_eq(out[1].key, "{\"id\":1}");
	assert_string_eq(out[2].key, "{\"id\":2}");
	assert_string_eq(Header(out[2], "__debezium.oldkey"), "{\"id\":1}");
	assert_int_equal(out[0].header_count + out[2].header_count, 2);  // only Debezium's, by default
	assert_non_null(strstr(out[2].value.c_str(), "\"before\":null,\"after\":{\"id\":2,\"note\":\"__debezium_unavailable_value\"}"));
	assert_non_null(strstr(out[2].value.c_str(), "\"op\":\"c\""));
}

// Skipped operations write nothing (a delete's tombstone goes with it);
// truncates are written only when asked for.
void skipped_operations_write_no_event(void**) {
	Built truncate;
	std::vector<fb::Offset<wire::TableRef>> refs = {
	    wire::CreateTableRef(truncate.b, 16384, truncate.b.CreateString("public"), truncate.b.CreateString("t"))};
	flatwal::FinishEvent(&truncate.b, wire::Body::Truncate,
	                     wire::CreateTruncate(truncate.b, 700, 0x1000, 0x2000, truncate.b.CreateVector(refs)).Union());
	Built del, insert;
	const Image row{1, "x"};
	BuildChange(&del, wire::Op::Delete, nullptr, &row, wire::OldImage::Key);
	BuildChange(&insert, wire::Op::Insert, &row, nullptr, wire::OldImage::None);

	Fixture by_default;
	assert_true(by_default.router.Route(truncate.event(), &by_default.out).ok());
	assert_int_equal(by_default.out.size(), 0);
	Fixture every(false, "none");
	assert_true(every.router.Route(truncate.event(), &every.out).ok());
	assert_int_equal(every.out.size(), 1);
	assert_false(every.out[0].has_key);  // as Debezium writes a truncate
	assert_non_null(strstr(every.out[0].value.c_str(), "\"op\":\"t\""));
	// A partition truncated on its own has no Debezium event: a Debezium truncate empties the whole table.
	Built partition;
	auto parent = wire::CreateTableRef(partition.b, 16384, partition.b.CreateString("public"), partition.b.CreateString("t"));
	std::vector<fb::Offset<wire::TableRef>> partition_refs = {wire::CreateTableRef(
	    partition.b, 16390, partition.b.CreateString("public"), partition.b.CreateString("t_eu"), parent)};
	flatwal::FinishEvent(&partition.b, wire::Body::Truncate,
	                     wire::CreateTruncate(partition.b, 700, 0x1000, 0x2000, partition.b.CreateVector(partition_refs)).Union());
	every.out.clear();
	assert_true(every.router.Route(partition.event(), &every.out).ok());
	assert_int_equal(every.out.size(), 0);

	Fixture no_deletes(false, "d");
	assert_true(no_deletes.router.Route(del.event(), &no_deletes.out).ok());
	assert_int_equal(no_deletes.out.size(), 0);
	assert_true(no_deletes.router.Route(insert.event(), &no_deletes.out).ok());
	assert_int_equal(no_deletes.out.size(), 1);
}

void transactions_are_counted_on_the_transaction_topic(void**) {
	Fixture f(true);
	flatwal::Router& router = f.router;
	flatwal::RoutedMessages& out = f.out;
	Built begin, change, commit;
	flatwal::FinishEvent(&begin.b, wire::Body::Begin, wire::CreateBegin(begin.b, 700, 0x2000, 1000000).Union());
	const Image row{42, "hi"};
	BuildChange(&change, wire::Op::Insert, &row, nullptr, wire::OldImage::None);
	flatwal::FinishEvent(&commit.b, wire::Body::Commit, wire::CreateCommit(commit.b, 700, 0x2000, 0x2010, 1000000).Union());
	assert_true(router.Route(begin.event(), &out).ok());
	assert_true(router.Route(change.event(), &out).ok());
	assert_true(router.Route(change.event(), &out).ok());
	assert_true(router.Route(commit.event(), &out).ok());
	assert_int_equal(out.size(), 4);
	assert_string_eq(out[0].topic, "db1.transaction");
	assert_string_eq(out[0].key, "{\"id\":\"700:8192\"}");
	assert_string_eq(out[0].value, "{\"status\":\"BEGIN\",\"id\":\"700:8192\",\"event_count\":null,"
	                               "\"data_collections\":null,\"ts_ms\":1000}");
	assert_non_null(strstr(out[2].value.c_str(),
	                       "\"transaction\":{\"id\":\"700:8192\",\"total_order\":2,\"data_collection_order\":2}"));
	assert_string_eq(out[3].value, "{\"status\":\"END\",\"id\":\"700:8192\",\"event_count\":2,\"data_collections\":"
	                               "[{\"data_collection\":\"public.t\",\"event_count\":2}],\"ts_ms\":1000}");
}

void snapshot_rows_say_first_and_last_of_their_table(void**) {
	Fixture f;
	Built start, end, rows[3];
	flatwal::BuildSnapshotMarker({16384, "public", "t", wire::SnapshotPhase::Start, 0x3000, 0}, &start.b);
	flatwal::BuildSnapshotMarker({16384, "public", "t", wire::SnapshotPhase::End, 0x3000, 3}, &end.b);
	assert_true(f.router.Route(start.event(), &f.out).ok());
	std::vector<std::string> values;
	for (int i = 0; i < 3; ++i) {
		const Image row{i + 1, "x"};
		BuildChange(&rows[i], wire::Op::Read, &row, nullptr, wire::OldImage::None);
		f.out.clear();
		assert_true(f.router.Route(rows[i].event(), &f.out).ok());
		// Each row is held until the next shows it was not the table's last.
		assert_int_equal(f.out.size(), i == 0 ? 0 : 1);
		if (i > 0) values.push_back(f.out[0].value);
	}
	f.out.clear();
	assert_true(f.router.Route(end.event(), &f.out).ok());
	assert_int_equal(f.out.size(), 1);
	values.push_back(f.out[0].value);
	assert_non_null(strstr(values[0].c_str(), "\"after\":{\"id\":1,"));
	assert_non_null(strstr(values[0].c_str(), "\"snapshot\":\"first\""));
	assert_non_null(strstr(values[1].c_str(), "\"snapshot\":\"true\""));
	assert_non_null(strstr(values[2].c_str(), "\"after\":{\"id\":3,"));
	assert_non_null(strstr(values[2].c_str(), "\"snapshot\":\"last_in_data_collection\""));
	assert_non_null(strstr(values[2].c_str(), "\"op\":\"r\""));
}

void a_row_that_does_not_match_its_schema_is_refused(void**) {
	Fixture f;
	flatwal::Router& router = f.router;
	flatwal::RoutedMessages& out = f.out;
	Built change;
	fb::FlatBufferBuilder& b = change.b;
	flatwal::RowPacker row(&b);
	row.AddInt(wire::Kind::Int, 1);  // one column of two
	auto after = row.Finish();
	wire::ChangeHeader header(0x1000, 0x2000, 700, 0, 1, 16384, 1, wire::Op::Insert, wire::OldImage::None);
	flatwal::FinishEvent(&b, wire::Body::Change, wire::CreateChange(b, &header, after).Union());
	flatwal::Status st = router.Route(change.event(), &out);
	assert_false(st.ok());
	assert_int_equal(static_cast<int>(st.kind()), static_cast<int>(flatwal::ErrorKind::kInvalidData));
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(decimals_are_connect_decimals_in_twos_complement),
	    cmocka_unit_test(money_is_a_decimal_of_two_digits),
	    cmocka_unit_test(bits_are_little_endian_bytes),
	    cmocka_unit_test(binary_modes),
	    cmocka_unit_test(times_follow_the_precision_mode),
	    cmocka_unit_test(intervals_as_micro_durations_or_iso_text),
	    cmocka_unit_test(hstore_as_json_text_or_a_map),
	    cmocka_unit_test(unchanged_toast_values_are_the_placeholder_in_the_fields_form),
	    cmocka_unit_test(malformed_values_are_refused),
	    cmocka_unit_test(options_are_refused_with_what_is_accepted),
	    cmocka_unit_test(skipped_operations_parse_as_debezium_spells_them),
	    cmocka_unit_test(skipped_operations_write_no_event),
	    cmocka_unit_test(an_insert_is_a_create_event_with_source_and_times),
	    cmocka_unit_test(a_key_change_is_a_delete_a_tombstone_and_a_create),
	    cmocka_unit_test(transactions_are_counted_on_the_transaction_topic),
	    cmocka_unit_test(snapshot_rows_say_first_and_last_of_their_table),
	    cmocka_unit_test(a_row_that_does_not_match_its_schema_is_refused),
	};
	return cmocka_run_group_tests_name("debezium", tests, nullptr, nullptr);
}
