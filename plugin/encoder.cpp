// encoder.cpp — PostgreSQL datums to typed FlatBuffers values, and frames.
// Seam file: no destructible locals across PostgreSQL calls (see pg.h).
#include "encoder.h"

#include "frames.h"
#include "render_json.h"

namespace flatwal {
namespace {

namespace fb = flatbuffers;

constexpr int32 kUnixEpochDays = POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE;
constexpr int64 kUnixEpochMicros = int64(kUnixEpochDays) * USECS_PER_DAY;

int32 UnixDays(DateADT date) { return DATE_NOT_FINITE(date) ? date : date + kUnixEpochDays; }

fb::Offset<fb::String> CreateText(fb::FlatBufferBuilder& b, Datum value) {
	text* t = DatumGetTextPP(value);
	return b.CreateString(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

fb::Offset<fb::String> CreateOutputText(fb::FlatBufferBuilder& b, const ScalarCodec& codec, Datum value) {
	char* text = OutputFunctionCall(const_cast<FmgrInfo*>(&codec.output), value);
	return b.CreateString(text);
}

wire::ReplicaIdentity IdentityOf(char relreplident) {
	switch (relreplident) {
		case REPLICA_IDENTITY_NOTHING: return wire::ReplicaIdentity::Nothing;
		case REPLICA_IDENTITY_FULL: return wire::ReplicaIdentity::Full;
		case REPLICA_IDENTITY_INDEX: return wire::ReplicaIdentity::Index;
		default: return wire::ReplicaIdentity::Default;
	}
}

}  // namespace

int64 UnixMicros(TimestampTz pg_micros) {
	return TIMESTAMP_NOT_FINITE(pg_micros) ? pg_micros : pg_micros + kUnixEpochMicros;
}

FrameEncoder::FrameEncoder() : builder_(64 * 1024) {}

void FrameEncoder::Finish(wire::Body type, fb::Offset<void> body) {
	auto event = wire::CreateEvent(builder_, kFormatVersion, type, body);
	builder_.Finish(event, wire::EventIdentifier());
}

void FrameEncoder::Begin(TransactionId xid, XLogRecPtr final_lsn, TimestampTz commit_time) {
	builder_.Clear();
	Finish(wire::Body::Begin, wire::CreateBegin(builder_, xid, final_lsn, UnixMicros(commit_time)).Union());
}

void FrameEncoder::Commit(TransactionId xid, XLogRecPtr commit_lsn, XLogRecPtr end_lsn, TimestampTz commit_time) {
	builder_.Clear();
	Finish(wire::Body::Commit,
	       wire::CreateCommit(builder_, xid, commit_lsn, end_lsn, UnixMicros(commit_time)).Union());
}

void FrameEncoder::StreamStart(TransactionId xid, bool first_segment) {
	builder_.Clear();
	Finish(wire::Body::StreamStart, wire::CreateStreamStart(builder_, xid, first_segment).Union());
}

void FrameEncoder::StreamStop(TransactionId xid) {
	builder_.Clear();
	Finish(wire::Body::StreamStop, wire::CreateStreamStop(builder_, xid).Union());
}

void FrameEncoder::StreamCommit(TransactionId xid, XLogRecPtr commit_lsn, XLogRecPtr end_lsn,
                                TimestampTz commit_time) {
	builder_.Clear();
	Finish(wire::Body::StreamCommit,
	       wire::CreateStreamCommit(builder_, xid, commit_lsn, end_lsn, UnixMicros(commit_time)).Union());
}

void FrameEncoder::StreamAbort(TransactionId xid, TransactionId subxid, XLogRecPtr abort_lsn) {
	builder_.Clear();
	Finish(wire::Body::StreamAbort, wire::CreateStreamAbort(builder_, xid, subxid, abort_lsn).Union());
}

void FrameEncoder::Message(TransactionId xid, XLogRecPtr lsn, XLogRecPtr commit_lsn, bool transactional,
                           const char* prefix, const char* content, Size content_size) {
	builder_.Clear();
	auto prefix_off = builder_.CreateString(prefix);
	auto content_off = builder_.CreateVector(reinterpret_cast<const uint8_t*>(content), content_size);
	Finish(wire::Body::Message, wire::CreateMessage(builder_, xid, lsn, commit_lsn, transactional, prefix_off,
	                                                content_off)
	                                .Union());
}

void FrameEncoder::Truncate(TransactionId xid, XLogRecPtr lsn, XLogRecPtr commit_lsn, int nrelations,
                            Relation relations[], bool cascade, bool restart_identity) {
	builder_.Clear();
	std::vector<fb::Offset<wire::TableRef>>& refs = table_refs_;
	refs.clear();
	for (int i = 0; i < nrelations; ++i) {
		Relation rel = relations[i];
		auto schema = builder_.CreateString(get_namespace_name(RelationGetNamespace(rel)));
		auto table = builder_.CreateString(RelationGetRelationName(rel));
		refs.push_back(wire::CreateTableRef(builder_, RelationGetRelid(rel), schema, table));
	}
	auto tables = builder_.CreateVector(refs);
	Finish(wire::Body::Truncate,
	       wire::CreateTruncate(builder_, xid, lsn, commit_lsn, tables, cascade, restart_identity).Union());
}

void FrameEncoder::Schema(Oid relid, const RelInfo& rel) {
	builder_.Clear();
	std::vector<fb::Offset<wire::Column>>& columns = columns_;
	columns.clear();
	for (const ColumnCodec& c : rel.columns) {
		auto name = builder_.CreateString(c.name);
		auto type_name = builder_.CreateString(c.type_name);
		columns.push_back(wire::CreateColumn(builder_, name, c.declared_type, type_name, c.value.type_oid, c.typmod,
		                                     c.not_null, c.key));
	}
	auto columns_off = builder_.CreateVector(columns);
	auto key_off = builder_.CreateVector(rel.key_columns);
	auto schema = builder_.CreateString(rel.schema_name);
	auto table = builder_.CreateString(rel.table_name);
	Finish(wire::Body::Schema, wire::CreateSchema(builder_, relid, schema, table, rel.version,
	                                              IdentityOf(rel.replica_identity), columns_off, key_off)
	                               .Union());
}

void FrameEncoder::Deform(HeapTuple tuple, TupleDesc desc) {
	size_t natts = static_cast<size_t>(desc->natts);
	if (datums_.size() < natts) datums_.resize(natts);
	if (nulls_capacity_ < natts) {
		nulls_.reset(new bool[natts]);
		nulls_capacity_ = natts;
	}
	heap_deform_tuple(tuple, desc, datums_.data(), nulls_.get());
}

fb::Offset<wire::Value> FrameEncoder::EncodeArray(const ScalarCodec& element, Datum value) {
	ArrayType* array = DatumGetArrayTypeP(value);
	int ndim = ARR_NDIM(array);
	Datum* items;
	bool* item_nulls;
	int count;
	deconstruct_array(array, element.type_oid, element.typlen, element.typbyval, element.typalign, &items,
	                  &item_nulls, &count);
	element_values_.clear();
	for (int i = 0; i < count; ++i) {
		if (item_nulls[i])
			element_values_.push_back(wire::CreateValue(builder_, wire::Datum::Null, wire::CreateNull(builder_).Union()));
		else
			element_values_.push_back(EncodeValue(element, nullptr, items[i]));
	}
	auto elements = builder_.CreateVector(element_values_);
	auto dims = builder_.CreateVector(ARR_DIMS(array), ndim);
	auto lbounds = builder_.CreateVector(ARR_LBOUND(array), ndim);
	auto body = wire::CreateArray(builder_, element.type_oid, dims, lbounds, elements);
	return wire::CreateValue(builder_, wire::Datum::Array, body.Union());
}

fb::Offset<wire::Value> FrameEncoder::EncodeValue(const ScalarCodec& codec, const ScalarCodec* element, Datum value) {
	fb::FlatBufferBuilder& b = builder_;
	switch (codec.kind) {
		case ValueKind::kBool:
			return wire::CreateValue(b, wire::Datum::Bool, wire::CreateBool(b, DatumGetBool(value)).Union());
		case ValueKind::kInt2:
			return wire::CreateValue(b, wire::Datum::Int, wire::CreateInt(b, DatumGetInt16(value)).Union());
		case ValueKind::kInt4:
			return wire::CreateValue(b, wire::Datum::Int, wire::CreateInt(b, DatumGetInt32(value)).Union());
		case ValueKind::kInt8:
			return wire::CreateValue(b, wire::Datum::Int, wire::CreateInt(b, DatumGetInt64(value)).Union());
		case ValueKind::kOid:
			return wire::CreateValue(b, wire::Datum::Int, wire::CreateInt(b, DatumGetObjectId(value)).Union());
		case ValueKind::kFloat4:
			return wire::CreateValue(b, wire::Datum::Float, wire::CreateFloat(b, DatumGetFloat4(value)).Union());
		case ValueKind::kFloat8:
			return wire::CreateValue(b, wire::Datum::Float, wire::CreateFloat(b, DatumGetFloat8(value)).Union());
		case ValueKind::kText:
			return wire::CreateValue(b, wire::Datum::Text, wire::CreateText(b, CreateText(b, value)).Union());
		case ValueKind::kName: {
			auto s = b.CreateString(NameStr(*DatumGetName(value)));
			return wire::CreateValue(b, wire::Datum::Text, wire::CreateText(b, s).Union());
		}
		case ValueKind::kEnum: {
			auto s = CreateOutputText(b, codec, value);
			return wire::CreateValue(b, wire::Datum::Text, wire::CreateText(b, s).Union());
		}
		case ValueKind::kBytea: {
			bytea* bytes = DatumGetByteaPP(value);
			auto v = b.CreateVector(reinterpret_cast<const uint8_t*>(VARDATA_ANY(bytes)), VARSIZE_ANY_EXHDR(bytes));
			return wire::CreateValue(b, wire::Datum::Bytes, wire::CreateBytes(b, v).Union());
		}
		case ValueKind::kNumeric: {
			auto s = CreateOutputText(b, codec, value);
			return wire::CreateValue(b, wire::Datum::Numeric, wire::CreateNumeric(b, s).Union());
		}
		case ValueKind::kDate:
			return wire::CreateValue(b, wire::Datum::Date,
			                         wire::CreateDate(b, UnixDays(DatumGetDateADT(value))).Union());
		case ValueKind::kTime:
			return wire::CreateValue(b, wire::Datum::Time, wire::CreateTime(b, DatumGetTimeADT(value)).Union());
		case ValueKind::kTimeTz: {
			TimeTzADT* t = DatumGetTimeTzADTP(value);
			// PostgreSQL stores the zone as seconds west of UTC; the wire says east.
			return wire::CreateValue(b, wire::Datum::TimeTz, wire::CreateTimeTz(b, t->time, -t->zone).Union());
		}
		case ValueKind::kTimestamp:
			return wire::CreateValue(b, wire::Datum::Timestamp,
			                         wire::CreateTimestamp(b, UnixMicros(DatumGetTimestamp(value))).Union());
		case ValueKind::kTimestampTz:
			return wire::CreateValue(b, wire::Datum::TimestampTz,
			                         wire::CreateTimestampTz(b, UnixMicros(DatumGetTimestampTz(value))).Union());
		case ValueKind::kInterval: {
			Interval* iv = DatumGetIntervalP(value);
			return wire::CreateValue(b, wire::Datum::Interval,
			                         wire::CreateInterval(b, iv->month, iv->day, iv->time).Union());
		}
		case ValueKind::kUuid: {
			wire::Uuid16 uuid(fb::span<const uint8_t, 16>(DatumGetUUIDP(value)->data, 16));
			return wire::CreateValue(b, wire::Datum::Uuid, wire::CreateUuid(b, &uuid).Union());
		}
		case ValueKind::kJson:
			return wire::CreateValue(b, wire::Datum::Json, wire::CreateJson(b, CreateText(b, value)).Union());
		case ValueKind::kJsonb: {
			auto s = CreateOutputText(b, codec, value);
			return wire::CreateValue(b, wire::Datum::Json, wire::CreateJson(b, s).Union());
		}
		case ValueKind::kArray:
			return EncodeArray(*element, value);
		case ValueKind::kTextOutput: {
			auto s = CreateOutputText(b, codec, value);
			return wire::CreateValue(b, wire::Datum::TextOutput, wire::CreateTextOutput(b, s).Union());
		}
	}
	elog(ERROR, "flatwal: unhandled value kind %d", static_cast<int>(codec.kind));
	pg_unreachable();
}

fb::Offset<wire::Row> FrameEncoder::EncodeRow(const RelInfo& rel, HeapTuple tuple, TupleDesc desc, Image image,
                                              std::string* key_out) {
	Deform(tuple, desc);
	row_values_.clear();
	for (size_t pos = 0; pos < rel.columns.size(); ++pos) {
		const ColumnCodec& column = rel.columns[pos];
		int index = column.attnum - 1;
		if (image == Image::kIdentity && !column.identity) {
			row_values_.push_back(wire::ValueBuilder(builder_).Finish());
		} else if (nulls_[index]) {
			row_values_.push_back(wire::CreateValue(builder_, wire::Datum::Null, wire::CreateNull(builder_).Union()));
		} else if (column.value.typlen == -1 && VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(datums_[index]))) {
			// The WAL did not carry this TOAST value: an UPDATE left it unchanged.
			row_values_.push_back(
			    wire::CreateValue(builder_, wire::Datum::Unchanged, wire::CreateUnchanged(builder_).Union()));
		} else {
			row_values_.push_back(EncodeValue(column.value, &column.element, datums_[index]));
		}
	}
	if (key_out != nullptr) {
		key_out->clear();
		if (!rel.key_columns.empty()) {
			key_out->push_back('[');
			for (size_t i = 0; i < rel.key_columns.size(); ++i) {
				if (i) key_out->push_back(',');
				const wire::Value* v = fb::GetTemporaryPointer(builder_, row_values_[rel.key_columns[i]]);
				RenderValue(v, ValueStyle::kPlain, key_out);
			}
			key_out->push_back(']');
		}
	}
	return wire::CreateRow(builder_, builder_.CreateVector(row_values_));
}

void FrameEncoder::Change(Relation relation, const RelInfo& rel, const ChangeMeta& meta, HeapTuple old_tuple,
                          HeapTuple new_tuple) {
	builder_.Clear();
	TupleDesc desc = RelationGetDescr(relation);
	fb::Offset<wire::Row> before = 0, after = 0;
	wire::OldImage old_image = wire::OldImage::None;
	key_.clear();
	old_key_.clear();

	if (new_tuple != nullptr) after = EncodeRow(rel, new_tuple, desc, Image::kAll, &key_);

	if (meta.op == wire::Op::Update || meta.op == wire::Op::Delete) {
		bool full = rel.replica_identity == REPLICA_IDENTITY_FULL;
		std::string* key_target = meta.op == wire::Op::Delete ? &key_ : &old_key_;
		if (old_tuple != nullptr) {
			before = EncodeRow(rel, old_tuple, desc, full ? Image::kAll : Image::kIdentity, key_target);
			old_image = full ? wire::OldImage::Full : wire::OldImage::Key;
		} else if (meta.op == wire::Op::Update && !rel.identity_columns.empty() && new_tuple != nullptr) {
			// The key did not change, so the WAL logged no old key: it equals the new row's.
			before = EncodeRow(rel, new_tuple, desc, Image::kIdentity, nullptr);
			old_image = wire::OldImage::Key;
		} else {
			old_image = wire::OldImage::Unavailable;
		}
	}

	fb::Offset<fb::Vector<uint8_t>> key = 0, old_key = 0;
	if (!key_.empty()) key = builder_.CreateVector(reinterpret_cast<const uint8_t*>(key_.data()), key_.size());
	if (meta.op == wire::Op::Update && !old_key_.empty() && old_key_ != key_)
		old_key = builder_.CreateVector(reinterpret_cast<const uint8_t*>(old_key_.data()), old_key_.size());
	auto schema = builder_.CreateString(rel.schema_name);
	auto table = builder_.CreateString(rel.table_name);

	wire::ChangeBuilder change(builder_);
	change.add_op(meta.op);
	change.add_xid(meta.xid);
	change.add_subxid(meta.subxid);
	change.add_lsn(meta.lsn);
	change.add_commit_lsn(meta.commit_lsn);
	change.add_seq(meta.seq);
	change.add_relid(RelationGetRelid(relation));
	change.add_schema_name(schema);
	change.add_table_name(table);
	change.add_version(rel.version);
	change.add_key(key);
	change.add_old_key(old_key);
	change.add_old_image(old_image);
	change.add_before(before);
	change.add_after(after);
	Finish(wire::Body::Change, change.Finish().Union());
}

}  // namespace flatwal
