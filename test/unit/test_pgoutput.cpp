// Unit tests for reading PostgreSQL's pgoutput protocol
// (format/pgoutput_messages.cpp) and values in PostgreSQL's text form
// (format/text_values.cpp): messages as the server writes them are read
// field by field, a message cut anywhere or of an unknown type is refused,
// and each text value becomes the wire value the plugin writes from the Datum.
#include "unit.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "frame_reader.h"
#include "frames.h"
#include "pgoutput_frames.h"
#include "pgoutput_messages.h"
#include "text_values.h"

namespace {

using flatwal::pgoutput::Decode;
using flatwal::pgoutput::Decoded;
using flatwal::pgoutput::Type;

// Builds a message as the server writes it: big-endian integers, NUL-ended strings.
struct Bytes {
	std::string b;
	Bytes& U8(uint8_t v) { b.push_back(static_cast<char>(v)); return *this; }
	Bytes& Int(uint64_t v, int n) {
		for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<char>(v >> (8 * i)));
		return *this;
	}
	Bytes& Str(const std::string& s) { b += s; b.push_back('\0'); return *this; }
	Bytes& Raw(const std::string& s) { b += s; return *this; }
	const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(b.data()); }
};

Bytes RelationMessage() {
	Bytes m;
	m.U8('R').Int(16384, 4).Str("public").Str("orders").U8('d').Int(2, 2);
	m.U8(1).Str("id").Int(23, 4).Int(0xFFFFFFFF, 4);
	m.U8(0).Str("note").Int(25, 4).Int(0xFFFFFFFF, 4);
	return m;
}

Bytes UpdateMessage() {
	Bytes m;
	m.U8('U').Int(16384, 4);
	m.U8('K').Int(2, 2).U8('t').Int(1, 4).Raw("7").U8('n');
	m.U8('N').Int(2, 2).U8('t').Int(1, 4).Raw("8").U8('u');
	return m;
}

void messages_read_field_by_field(void**) {
	Decoded d;
	Bytes begin;
	begin.U8('B').Int(0x16B374D848ULL, 8).Int(123456, 8).Int(742, 4);
	assert_true(Decode(begin.data(), begin.b.size(), false, &d).ok());
	assert_true(d.type == Type::kBegin && d.begin.final_lsn == 0x16B374D848ULL && d.begin.xid == 742 &&
	            d.begin.commit_time_pg == 123456);

	Bytes rel = RelationMessage();
	assert_true(Decode(rel.data(), rel.b.size(), false, &d).ok());
	assert_true(d.relation.relid == 16384 && d.relation.schema == "public" && d.relation.table == "orders");
	assert_int_equal(d.relation.columns.size(), 2);
	assert_true(d.relation.columns[0].key && d.relation.columns[0].name == "id" && d.relation.columns[0].type_oid == 23 &&
	            d.relation.columns[0].typmod == -1);
	assert_false(d.relation.columns[1].key);

	Bytes upd = UpdateMessage();
	assert_true(Decode(upd.data(), upd.b.size(), false, &d).ok());
	assert_true(d.change.type == Type::kUpdate && d.change.old_kind == 'K');
	assert_true(d.change.old_values[0].format == 't' && d.change.old_values[0].data == "7");
	assert_true(d.change.old_values[1].format == 'n');
	assert_true(d.change.new_values[1].format == 'u');

	Bytes msg;
	msg.U8('M').U8(1).Int(99, 8).Str("flatwal.heartbeat").Int(3, 4).Raw("abc");
	assert_true(Decode(msg.data(), msg.b.size(), false, &d).ok());
	assert_true(d.message.transactional && d.message.lsn == 99 && d.message.prefix == "flatwal.heartbeat" &&
	            d.message.content == "abc");

	Bytes trunc;
	trunc.U8('T').Int(2, 4).U8(3).Int(16384, 4).Int(16390, 4);
	assert_true(Decode(trunc.data(), trunc.b.size(), false, &d).ok());
	assert_true(d.truncate.cascade && d.truncate.restart_identity && d.truncate.relids.size() == 2);

	// Inside a streamed transaction data messages carry an xid first.
	Bytes streamed;
	streamed.U8('I').Int(555, 4).Int(16384, 4).U8('N').Int(1, 2).U8('n');
	assert_true(Decode(streamed.data(), streamed.b.size(), true, &d).ok());
	assert_true(d.change.relid == 16384 && d.change.new_values.size() == 1);
}

// Every proper prefix of a valid message is refused, and so is a byte too many.
void cut_or_padded_messages_are_refused(void**) {
	Decoded d;
	for (const Bytes& whole : {RelationMessage(), UpdateMessage()}) {
		for (size_t n = 0; n < whole.b.size(); ++n) {
			flatwal::Status st = Decode(whole.data(), n, false, &d);
			assert_false(st.ok());
			assert_true(st.kind() == flatwal::ErrorKind::kInvalidData);
		}
		Bytes padded = whole;
		padded.U8(0);
		assert_false(Decode(padded.data(), padded.b.size(), false, &d).ok());
	}
	// A length that claims more than the message holds.
	Bytes liar;
	liar.U8('I').Int(16384, 4).U8('N').Int(1, 2).U8('t').Int(0xFFFFFFF0u, 4).Raw("x");
	assert_false(Decode(liar.data(), liar.b.size(), false, &d).ok());
}

void unknown_and_unrequested_messages_are_refused(void**) {
	Decoded d;
	Bytes unknown;
	unknown.U8('Z').Int(1, 4);
	flatwal::Status st = Decode(unknown.data(), unknown.b.size(), false, &d);
	assert_true(!st.ok() && st.kind() == flatwal::ErrorKind::kInvalidData);
	Bytes stream_start;
	stream_start.U8('S').Int(1, 4).U8(1);
	st = Decode(stream_start.data(), stream_start.b.size(), false, &d);
	assert_true(!st.ok() && st.kind() == flatwal::ErrorKind::kNotSupported);
	Bytes bad_value_kind;
	bad_value_kind.U8('I').Int(1, 4).U8('N').Int(1, 2).U8('x');
	assert_false(Decode(bad_value_kind.data(), bad_value_kind.b.size(), false, &d).ok());
	Bytes insert_with_old;
	insert_with_old.U8('I').Int(1, 4).U8('K').Int(0, 2).U8('N').Int(0, 2);
	assert_false(Decode(insert_with_old.data(), insert_with_old.b.size(), false, &d).ok());
	Bytes odd_identity = RelationMessage();
	odd_identity.b[1 + 4 + 7 + 7] = 'q';
	assert_false(Decode(odd_identity.data(), odd_identity.b.size(), false, &d).ok());
	assert_false(Decode(nullptr, 0, false, &d).ok());
}

// Reads one value into a one-column row and hands back the frame's row.
struct OneValue {
	flatbuffers::FlatBufferBuilder builder;
	flatwal::RowPacker row{&builder};
	flatwal::RowPacker elements{&builder};
	const flatwal::wire::Row* read = nullptr;

	flatwal::Status Add(flatwal::TextColumnType type, const std::string& text) {
		builder.Clear();
		row.Clear();
		flatwal::Status st = flatwal::AddTextValue(type, text, &row, &elements);
		if (!st.ok()) return st;
		builder.Finish(row.Finish());
		read = flatbuffers::GetRoot<flatwal::wire::Row>(builder.GetBufferPointer());
		return st;
	}
	flatwal::wire::Kind kind() const { return static_cast<flatwal::wire::Kind>(read->kinds()->Get(0)); }
	int64_t int_value() const { return read->ints()->Get(0); }
	std::string data() const {
		return std::string(reinterpret_cast<const char*>(read->data()->data()), read->data_ends()->Get(0));
	}
};

flatwal::TextColumnType Of(flatwal::TextType t) {
	flatwal::TextColumnType type;
	type.type = t;
	return type;
}

void text_values_become_the_plugins_wire_values(void**) {
	using flatwal::TextType;
	using flatwal::wire::Kind;
	OneValue v;
	assert_true(v.Add(Of(TextType::kInt), "-9223372036854775808").ok() && v.int_value() == INT64_MIN);
	assert_false(v.Add(Of(TextType::kInt), "12x").ok());
	assert_false(v.Add(Of(TextType::kInt), "99999999999999999999").ok());
	assert_true(v.Add(Of(TextType::kBool), "t").ok() && v.read->bools()->Get(0));
	assert_false(v.Add(Of(TextType::kBool), "true").ok());
	// float4 is read as a float, then widened, as the plugin widens the Datum.
	assert_true(v.Add(Of(TextType::kFloat4), "1.1").ok() && v.read->floats()->Get(0) == static_cast<double>(1.1f));
	assert_true(v.Add(Of(TextType::kFloat8), "-Infinity").ok() && std::isinf(v.read->floats()->Get(0)));
	assert_true(v.Add(Of(TextType::kFloat8), "NaN").ok() && std::isnan(v.read->floats()->Get(0)));
	// Dates: days since 1970, BC as astronomical years, infinities as the int32 ends.
	assert_true(v.Add(Of(TextType::kDate), "1970-01-02").ok() && v.kind() == Kind::Date && v.int_value() == 1);
	assert_true(v.Add(Of(TextType::kDate), "2000-01-01").ok() && v.int_value() == 10957);
	assert_true(v.Add(Of(TextType::kDate), "0001-01-01 BC").ok() && v.int_value() == -719528);
	assert_true(v.Add(Of(TextType::kDate), "infinity").ok() && v.int_value() == INT32_MAX);
	assert_false(v.Add(Of(TextType::kDate), "2024-13-01").ok());
	// Timestamps: micros since 1970; a zone offset is applied; infinity as INT64_MAX.
	assert_true(v.Add(Of(TextType::kTimestamp), "1970-01-01 00:00:01.5").ok() && v.int_value() == 1500000);
	assert_true(v.Add(Of(TextType::kTimestampTz), "1970-01-01 01:00:00+01").ok() && v.kind() == Kind::TimestampTz &&
	            v.int_value() == 0);
	assert_true(v.Add(Of(TextType::kTimestampTz), "1969-12-31 23:59:59.999999+00").ok() && v.int_value() == -1);
	assert_true(v.Add(Of(TextType::kTimestamp), "-infinity").ok() && v.int_value() == INT64_MIN);
	assert_true(v.Add(Of(TextType::kTimestamp), "4714-11-24 00:00:00 BC").ok() && v.int_value() == -210866803200000000LL);
	// Past what int64 micros since 1970 hold: ISO text, as the plugin writes it.
	assert_true(v.Add(Of(TextType::kTimestamp), "294276-12-31 23:59:59.999999").ok());
	assert_true(v.kind() == Kind::TextOutput && v.data() == "294276-12-31T23:59:59.999999");
	assert_false(v.Add(Of(TextType::kTimestamp), "2024-01-01T00:00:00").ok());
	assert_true(v.Add(Of(TextType::kTime), "24:00:00").ok() && v.int_value() == 86400000000LL);
	assert_true(v.Add(Of(TextType::kTimeTz), "04:05:06.789-08:30").ok());
	assert_true(v.read->timetzs()->Get(0)->micros() == 14706789000LL && v.read->timetzs()->Get(0)->offset_seconds() == -30600);
	// Intervals as IntervalStyle iso_8601 writes them.
	assert_true(v.Add(Of(TextType::kInterval), "P1Y-2M3DT-4H5M-6.000007S").ok());
	const auto* iv = v.read->intervals()->Get(0);
	assert_true(iv->months() == 10 && iv->days() == 3 && iv->micros() == -4 * 3600000000LL + 5 * 60000000LL - 6000007);
	assert_true(v.Add(Of(TextType::kInterval), "PT0S").ok() && v.read->intervals()->Get(0)->micros() == 0);
	assert_false(v.Add(Of(TextType::kInterval), "1 year").ok());
	assert_false(v.Add(Of(TextType::kInterval), "P99999999999Y").ok());
	assert_true(v.Add(Of(TextType::kBytea), "\\x00ff").ok() && v.read->data_ends()->Get(0) == 2);
	assert_false(v.Add(Of(TextType::kBytea), "\\000").ok());
	assert_true(v.Add(Of(TextType::kUuid), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").ok());
	assert_true(v.read->uuids()->Get(0)->bytes()->Get(0) == 0xa0 && v.read->uuids()->Get(0)->bytes()->Get(15) == 0x11);
	assert_false(v.Add(Of(TextType::kUuid), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1").ok());
	assert_true(v.Add(Of(TextType::kNumeric), "-12.3400").ok() && v.kind() == Kind::Numeric && v.data() == "-12.3400");
}

void arrays_keep_shape_bounds_and_nulls(void**) {
	using flatwal::TextType;
	flatwal::TextColumnType ints = Of(TextType::kArray);
	ints.element = TextType::kInt;
	ints.element_oid = 23;
	OneValue v;
	assert_true(v.Add(ints, "[0:1][1:3]={{1,2,NULL},{4,5,6}}").ok());
	const auto* a = v.read->arrays()->Get(0);
	assert_true(a->element_type_oid() == 23 && a->dimensions()->size() == 2 && a->dimensions()->Get(0) == 2 &&
	            a->dimensions()->Get(1) == 3 && a->lower_bounds()->Get(0) == 0 && a->lower_bounds()->Get(1) == 1);
	assert_int_equal(a->elements()->kinds()->size(), 6);
	assert_true(static_cast<flatwal::wire::Kind>(a->elements()->kinds()->Get(2)) == flatwal::wire::Kind::Null);
	assert_true(v.Add(ints, "{}").ok() && v.read->arrays()->Get(0)->dimensions()->size() == 0);
	assert_false(v.Add(ints, "{{1,2},{3}}").ok());  // not rectangular
	assert_false(v.Add(ints, "{1,{2}}").ok());
	assert_false(v.Add(ints, "{1,2").ok());

	flatwal::TextColumnType texts = Of(TextType::kArray);
	texts.element = TextType::kText;
	texts.element_oid = 25;
	assert_true(v.Add(texts, "{\"a \\\"b\\\\\",NULL,\"NULL\",plain}").ok());
	const auto* e = v.read->arrays()->Get(0)->elements();
	assert_true(static_cast<flatwal::wire::Kind>(e->kinds()->Get(1)) == flatwal::wire::Kind::Null);
	const std::string data(reinterpret_cast<const char*>(e->data()->data()), e->data()->size());
	assert_string_equal(data.c_str(), "a \"b\\NULLplain");

	flatwal::TextColumnType boxes = Of(TextType::kArray);
	boxes.element = TextType::kTextOutput;
	boxes.delimiter = ';';
	assert_true(v.Add(boxes, "{(1,1),(0,0);(2,2),(1,1)}").ok());
	assert_int_equal(v.read->arrays()->Get(0)->elements()->kinds()->size(), 2);
}

// The catalog as the test states it: int4 and text columns; `pk` names the primary key's column.
flatwal::RelationFacts FactsWithPrimaryKey(const std::string& pk) {
	return [pk](const flatwal::pgoutput::Relation& relation, std::vector<flatwal::ColumnFacts>* facts) {
		facts->clear();
		for (const auto& c : relation.columns) {
			flatwal::ColumnFacts f;
			f.base_type_oid = c.type_oid;
			f.type_name = c.type_oid == 23 ? "integer" : "text";
			f.text.type = flatwal::TextTypeOfBuiltin(c.type_oid);
			f.primary_key = c.name == pk;
			f.not_null = f.primary_key;
			facts->push_back(f);
		}
		return flatwal::Status::Ok();
	};
}

struct Captured {
	std::vector<std::string> frames;
	const flatwal::wire::Event* Event(size_t i) {
		static flatwal::FrameScratch scratch;
		const flatwal::wire::Event* event = nullptr;
		assert_true(flatwal::ReadFrame(reinterpret_cast<const uint8_t*>(frames[i].data()), frames[i].size(), &scratch, &event).ok());
		return event;
	}
};

flatwal::PgoutputFrames::Emit Into(Captured* captured) {
	return [captured](const uint8_t* frame, size_t size) {
		captured->frames.emplace_back(reinterpret_cast<const char*>(frame), size);
		return flatwal::Status::Ok();
	};
}

flatwal::Status Feed(flatwal::PgoutputFrames* frames, uint64_t lsn, const Bytes& m) {
	return frames->OnMessage(lsn, m.data(), m.b.size());
}

void messages_become_the_plugins_frames(void**) {
	Captured out;
	flatwal::PgoutputFrames frames(FactsWithPrimaryKey("id"), Into(&out));
	frames.set_timeline(2);
	Bytes begin;
	begin.U8('B').Int(0x5000, 8).Int(0, 8).Int(742, 4);
	assert_true(Feed(&frames, 0x4000, begin).ok());
	assert_true(Feed(&frames, 0x4000, RelationMessage()).ok());
	Bytes insert;
	insert.U8('I').Int(16384, 4).U8('N').Int(2, 2).U8('t').Int(1, 4).Raw("7").U8('t').Int(2, 4).Raw("hi");
	assert_true(Feed(&frames, 0x4100, insert).ok());
	assert_true(Feed(&frames, 0x4200, UpdateMessage()).ok());
	Bytes commit;
	commit.U8('C').U8(0).Int(0x5000, 8).Int(0x5030, 8).Int(1000000, 8);
	assert_true(Feed(&frames, 0x5000, commit).ok());
	assert_int_equal(out.frames.size(), 5);

	const auto* b = out.Event(0);
	assert_true(b->body_type() == flatwal::wire::Body::Begin && b->body_as_Begin()->xid() == 742 &&
	            b->body_as_Begin()->final_lsn() == 0x5000 && b->timeline() == 2);
	assert_true(b->body_as_Begin()->commit_time_micros() == 946684800000000LL);
	const auto* schema = out.Event(1)->body_as_Schema();
	assert_true(schema != nullptr && schema->version() == 1 && schema->table_name()->str() == "orders");
	assert_true(schema->columns()->Get(0)->key() && !schema->columns()->Get(1)->key() &&
	            schema->columns()->Get(0)->not_null() && schema->key_columns()->size() == 1);
	const auto* ins = out.Event(2)->body_as_Change();
	assert_true(ins->header()->op() == flatwal::wire::Op::Insert && ins->header()->seq() == 1 &&
	            ins->header()->lsn() == 0x4100 && ins->header()->commit_lsn() == 0x5000 && ins->header()->xid() == 742 &&
	            ins->header()->version() == 1 && ins->before() == nullptr);
	const auto* upd = out.Event(3)->body_as_Change();
	assert_true(upd->header()->op() == flatwal::wire::Op::Update && upd->header()->seq() == 2 &&
	            upd->header()->old_image() == flatwal::wire::OldImage::Key);
	// The key image: the identity's column, the others Absent; the new row's unchanged TOAST value stays Unchanged.
	assert_true(static_cast<flatwal::wire::Kind>(upd->before()->kinds()->Get(1)) == flatwal::wire::Kind::Absent);
	assert_true(static_cast<flatwal::wire::Kind>(upd->after()->kinds()->Get(1)) == flatwal::wire::Kind::Unchanged);
	assert_true(upd->after()->ints()->Get(0) == 8);
	const auto* c = out.Event(4)->body_as_Commit();
	assert_true(c->commit_lsn() == 0x5000 && c->end_lsn() == 0x5030 && c->xid() == 742);
}

// A transaction of its own with `relation` and an insert of `columns` ints, at `lsn`.
flatwal::Status RelationAndInsert(flatwal::PgoutputFrames* frames, uint64_t lsn, const Bytes& relation, int columns) {
	Bytes begin, insert, commit;
	begin.U8('B').Int(lsn + 10, 8).Int(0, 8).Int(7, 4);
	insert.U8('I').Int(16384, 4).U8('N').Int(columns, 2);
	for (int i = 0; i < columns; ++i) insert.U8('t').Int(1, 4).Raw("1");
	commit.U8('C').U8(0).Int(lsn + 10, 8).Int(lsn + 20, 8).Int(0, 8);
	flatwal::Status st = Feed(frames, lsn, begin);
	if (st.ok()) st = Feed(frames, lsn, relation);
	if (st.ok()) st = Feed(frames, lsn, insert);
	if (st.ok()) st = Feed(frames, lsn + 10, commit);
	return st;
}

std::vector<const flatwal::wire::Schema*> Schemas(Captured* out) {
	std::vector<const flatwal::wire::Schema*> schemas;
	for (size_t i = 0; i < out->frames.size(); ++i)
		if (out->Event(i)->body_type() == flatwal::wire::Body::Schema) schemas.push_back(out->Event(i)->body_as_Schema());
	return schemas;
}

void versions_follow_shapes_across_restarts(void**) {
	Captured out;
	flatwal::PgoutputFrames first(FactsWithPrimaryKey("id"), Into(&out));
	assert_true(RelationAndInsert(&first, 100, RelationMessage(), 2).ok());
	assert_true(RelationAndInsert(&first, 200, RelationMessage(), 2).ok());  // sent again (an invalidation): not shipped again
	Bytes wider = RelationMessage();
	wider.b[1 + 4 + 7 + 7 + 1 + 1] = 3;  // three columns now
	wider.U8(0).Str("added").Int(23, 4).Int(0xFFFFFFFF, 4);
	assert_true(RelationAndInsert(&first, 300, wider, 3).ok());
	std::vector<const flatwal::wire::Schema*> shipped = Schemas(&out);
	assert_int_equal(shipped.size(), 2);
	assert_true(shipped[0]->version() == 1 && shipped[1]->version() == 2);

	// A new process that read both from the schemas topic gives a replayed shape its old number.
	Captured again;
	flatwal::PgoutputFrames second(FactsWithPrimaryKey("id"), Into(&again));
	second.Know(*shipped[0]);
	second.Know(*shipped[1]);
	assert_true(RelationAndInsert(&second, 100, RelationMessage(), 2).ok());
	assert_true(Schemas(&again).at(0)->version() == 1);
	// The key under REPLICA IDENTITY FULL is the primary key, not every column.
	Bytes full = RelationMessage();
	full.b[1 + 4 + 7 + 7] = 'f';
	assert_true(RelationAndInsert(&second, 200, full, 2).ok());
	const auto* s = Schemas(&again).at(1);
	assert_true(s->version() == 3 && s->replica_identity() == flatwal::wire::ReplicaIdentity::Full &&
	            s->key_columns()->size() == 1 && s->key_columns()->Get(0) == 0);
}

// pgoutput describes a partition whose changes it publishes as its root's
// (publish_via_partition_root): a Relation with no change of its own ships no Schema.
void a_relation_without_changes_ships_no_schema(void**) {
	Captured out;
	flatwal::PgoutputFrames frames(FactsWithPrimaryKey("id"), Into(&out));
	Bytes begin, commit;
	begin.U8('B').Int(90, 8).Int(0, 8).Int(7, 4);
	commit.U8('C').U8(0).Int(90, 8).Int(99, 8).Int(0, 8);
	assert_true(Feed(&frames, 10, begin).ok());
	assert_true(Feed(&frames, 10, RelationMessage()).ok());
	assert_true(Feed(&frames, 90, commit).ok());
	assert_int_equal(out.frames.size(), 2);  // Begin and Commit
	assert_true(Schemas(&out).empty());
}

void a_stream_out_of_order_is_refused(void**) {
	Captured out;
	flatwal::PgoutputFrames frames(FactsWithPrimaryKey("id"), Into(&out));
	Bytes insert;
	insert.U8('I').Int(16384, 4).U8('N').Int(2, 2).U8('t').Int(1, 4).Raw("7").U8('n');
	assert_false(Feed(&frames, 1, insert).ok());  // no Relation yet
	assert_true(Feed(&frames, 1, RelationMessage()).ok());
	assert_false(Feed(&frames, 1, insert).ok());  // outside a transaction
	Bytes begin;
	begin.U8('B').Int(9, 8).Int(0, 8).Int(1, 4);
	assert_true(Feed(&frames, 1, begin).ok());
	assert_false(Feed(&frames, 1, begin).ok());  // Begin inside a transaction
	Bytes bad_value;
	bad_value.U8('I').Int(16384, 4).U8('N').Int(2, 2).U8('t').Int(2, 4).Raw("x7").U8('n');
	flatwal::Status st = Feed(&frames, 1, bad_value);
	assert_true(!st.ok() && st.message().find("column \"id\"") != std::string::npos);
	Bytes short_row;
	short_row.U8('I').Int(16384, 4).U8('N').Int(1, 2).U8('n');
	assert_false(Feed(&frames, 1, short_row).ok());
}


// Rows inserted into the signal table are requests, handed over with their
// columns' names; none of the signal table's changes becomes a frame.
void the_signal_tables_rows_are_requests_not_frames(void**) {
	Captured out;
	flatwal::PgoutputFrames frames(FactsWithPrimaryKey("id"), Into(&out));
	std::vector<std::string> seen;
	frames.set_signal_table("public", "orders", [&seen](const std::vector<std::string>& columns,
	                                                    const std::vector<flatwal::pgoutput::Value>& values) {
		for (size_t i = 0; i < columns.size(); ++i) seen.push_back(columns[i] + "=" + std::string(values[i].data));
		return flatwal::Status::Ok();
	});
	assert_true(frames.IsSignalTable("public", "orders") && !frames.IsSignalTable("other", "orders"));
	assert_true(RelationAndInsert(&frames, 100, RelationMessage(), 2).ok());
	assert_int_equal(seen.size(), 2);
	assert_string_equal(seen[0].c_str(), "id=1");
	assert_string_equal(seen[1].c_str(), "note=1");
	Bytes begin, truncate, commit;
	begin.U8('B').Int(290, 8).Int(0, 8).Int(8, 4);
	truncate.U8('T').Int(1, 4).U8(0).Int(16384, 4);
	commit.U8('C').U8(0).Int(290, 8).Int(299, 8).Int(0, 8);
	assert_true(Feed(&frames, 200, begin).ok() && Feed(&frames, 200, UpdateMessage()).ok() &&
	            Feed(&frames, 210, truncate).ok() && Feed(&frames, 290, commit).ok());
	assert_int_equal(seen.size(), 2);  // the update (the shipper's own state) is no request
	assert_true(Schemas(&out).empty());
	for (size_t i = 0; i < out.frames.size(); ++i)
		assert_true(out.Event(i)->body_type() == flatwal::wire::Body::Begin ||
		            out.Event(i)->body_type() == flatwal::wire::Body::Commit);
}

// An on-demand snapshot's table shares the stream's version numbers but not
// its description: rows are built, not emitted, and the stream goes on with
// the shape its own Relation message gave.
void on_demand_rows_share_versions_not_the_streams_shape(void**) {
	Captured out;
	flatwal::PgoutputFrames frames(FactsWithPrimaryKey("id"), Into(&out));
	assert_true(RelationAndInsert(&frames, 100, RelationMessage(), 2).ok());
	// Read with a column more than the stream describes (DDL the stream has not reached).
	flatwal::pgoutput::Relation wider;
	wider.relid = 16384;
	wider.schema = "public";
	wider.table = "orders";
	wider.columns = {{true, "id", 23, -1}, {false, "note", 25, -1}, {false, "added", 23, -1}};
	const size_t before = out.frames.size();
	assert_true(frames.OnDemandTable(wider).ok());
	assert_true(frames.OnDemandTable(wider).ok());  // the same table again: its Schema is not sent twice
	assert_int_equal(out.frames.size(), before + 1);
	assert_true(out.Event(before)->body_as_Schema()->version() == 2);
	std::vector<flatwal::pgoutput::Value> row(3);
	row[0] = {'t', "5"};
	row[1] = {'n', {}};
	row[2] = {'t', "9"};
	std::string frame;
	assert_true(frames.OnDemandRow(16384, 0x7000, 3, row, &frame).ok());
	assert_int_equal(out.frames.size(), before + 1);  // built, not emitted
	out.frames.push_back(frame);
	const auto* read = out.Event(out.frames.size() - 1)->body_as_Change();
	assert_true(read->header()->op() == flatwal::wire::Op::Read && read->header()->version() == 2 &&
	            read->header()->commit_lsn() == 0x7000 && read->header()->seq() == 3 && read->header()->xid() == 0);
	assert_true(read->after()->ints()->Get(1) == 9);
	// The stream still packs two columns under version 1.
	out.frames.clear();
	assert_true(RelationAndInsert(&frames, 300, RelationMessage(), 2).ok());
	for (size_t i = 0; i < out.frames.size(); ++i)
		if (out.Event(i)->body_type() == flatwal::wire::Body::Change)
			assert_true(out.Event(i)->body_as_Change()->header()->version() == 1);
	// A row of a table no chunk described is an internal error, not a guess.
	assert_false(frames.OnDemandRow(99, 0x7000, 1, row, &frame).ok());
}

// Without the extension nothing refuses a breaking DDL: the stream says so
// when a table's new version drops, renames or retypes a column or moves
// its key, and says nothing when a column is only added.
void breaking_changes_are_reported_when_seen(void**) {
	Captured out;
	flatwal::PgoutputFrames frames(FactsWithPrimaryKey("id"), Into(&out));
	std::vector<std::string> reports;
	frames.set_breaking_change([&reports](const std::string& table, uint32_t version, const std::string& what) {
		reports.push_back(table + " v" + std::to_string(version) + ": " + what);
	});
	assert_true(RelationAndInsert(&frames, 100, RelationMessage(), 2).ok());
	Bytes wider = RelationMessage();
	wider.b[1 + 4 + 7 + 7 + 1 + 1] = 3;
	wider.U8(0).Str("added").Int(23, 4).Int(0xFFFFFFFF, 4);
	assert_true(RelationAndInsert(&frames, 200, wider, 3).ok());
	assert_true(reports.empty());  // a column added breaks nothing
	// (id, note), both integers now; `note_is_key` moves the key.
	auto integers = [](bool note_is_key) {
		Bytes m;
		m.U8('R').Int(16384, 4).Str("public").Str("orders").U8('d').Int(2, 2);
		m.U8(note_is_key ? 0 : 1).Str("id").Int(23, 4).Int(0xFFFFFFFF, 4);
		m.U8(note_is_key ? 1 : 0).Str("note").Int(23, 4).Int(0xFFFFFFFF, 4);
		return m;
	};
	assert_true(RelationAndInsert(&frames, 300, integers(false), 2).ok());  // note retyped, added gone
	assert_int_equal(reports.size(), 1);
	assert_string_equal(reports[0].c_str(), "public.orders v3: dropped or renamed: added; retyped: note");
	assert_true(RelationAndInsert(&frames, 400, integers(true), 2).ok());
	assert_int_equal(reports.size(), 2);
	assert_string_equal(reports[1].c_str(), "public.orders v4: key (id) became (note)");
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(messages_read_field_by_field),
	    cmocka_unit_test(cut_or_padded_messages_are_refused),
	    cmocka_unit_test(unknown_and_unrequested_messages_are_refused),
	    cmocka_unit_test(text_values_become_the_plugins_wire_values),
	    cmocka_unit_test(arrays_keep_shape_bounds_and_nulls),
	    cmocka_unit_test(messages_become_the_plugins_frames),
	    cmocka_unit_test(versions_follow_shapes_across_restarts),
	    cmocka_unit_test(a_relation_without_changes_ships_no_schema),
	    cmocka_unit_test(a_stream_out_of_order_is_refused),
	    cmocka_unit_test(the_signal_tables_rows_are_requests_not_frames),
	    cmocka_unit_test(on_demand_rows_share_versions_not_the_streams_shape),
	    cmocka_unit_test(breaking_changes_are_reported_when_seen),
	};
	return cmocka_run_group_tests_name("pgoutput", tests, nullptr, nullptr);
}
