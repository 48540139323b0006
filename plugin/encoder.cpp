// encoder.cpp — PostgreSQL datums to typed FlatBuffers values, and frames.
// Seam file: no destructible locals across PostgreSQL calls (see pg.h).
#include "encoder.h"

#include "datetime_text.h"
#include "frame_builder.h"
#include "frames.h"
#include "row_packer.h"
#include "stored_text.h"

namespace flatwal {
namespace {

namespace fb = flatbuffers;

// stored_text.h mirrors jsonb's layout; PostgreSQL's header is the authority.
static_assert(stored::kJsonbCountMask == JB_CMASK && stored::kJsonbScalarFlag == JB_FSCALAR &&
              stored::kJsonbObjectFlag == JB_FOBJECT && stored::kJsonbArrayFlag == JB_FARRAY);
static_assert(stored::kJEntryOffLenMask == JENTRY_OFFLENMASK && stored::kJEntryTypeMask == JENTRY_TYPEMASK &&
              stored::kJEntryHasOff == JENTRY_HAS_OFF && stored::kJEntryString == JENTRY_ISSTRING &&
              stored::kJEntryNumeric == JENTRY_ISNUMERIC && stored::kJEntryFalse == JENTRY_ISBOOL_FALSE &&
              stored::kJEntryTrue == JENTRY_ISBOOL_TRUE && stored::kJEntryNull == JENTRY_ISNULL &&
              stored::kJEntryContainer == JENTRY_ISCONTAINER);

// The stored-bytes writers read varlena headers nested in jsonb the little-endian way.
#ifdef WORDS_BIGENDIAN
constexpr bool kStoredTextWriters = false;
#else
constexpr bool kStoredTextWriters = true;
#endif

constexpr int32 kUnixEpochDays = POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE;
constexpr int64 kUnixEpochMicros = int64(kUnixEpochDays) * USECS_PER_DAY;

int32 UnixDays(DateADT date) { return DATE_NOT_FINITE(date) ? date : date + kUnixEpochDays; }

wire::ReplicaIdentity IdentityOf(char relreplident) {
	switch (relreplident) {
		case REPLICA_IDENTITY_NOTHING: return wire::ReplicaIdentity::Nothing;
		case REPLICA_IDENTITY_FULL: return wire::ReplicaIdentity::Full;
		case REPLICA_IDENTITY_INDEX: return wire::ReplicaIdentity::Index;
		default: return wire::ReplicaIdentity::Default;
	}
}

// The wire counts timestamps in microseconds since 1970 in an int64, with
// INT64_MAX meaning infinity; PostgreSQL counts from 2000, so its last ~30
// years (from 294247-01-10 04:00:54.775807) do not fit that count. Those few
// values go as TextOutput in the ISO text to_json shows for timestamps
// (whatever the session's DateStyle): exact, never wrapped.
bool FitsWireTimestamp(Timestamp pg_micros) {
	return TIMESTAMP_NOT_FINITE(pg_micros) || pg_micros < PG_INT64_MAX - kUnixEpochMicros;
}

void AddIsoTimestampText(Timestamp pg_micros, bool utc, std::string* scratch, RowPacker* row) {
	const int64 pg_days = FloorDiv(pg_micros, kMicrosPerDay);
	scratch->clear();
	AppendIsoTimestamp(pg_days + kUnixEpochDays, pg_micros - pg_days * kMicrosPerDay, utc, scratch);
	row->AddText(wire::Kind::TextOutput, scratch->data(), scratch->size());
}

}  // namespace

int64 UnixMicros(TimestampTz pg_micros) {
	return TIMESTAMP_NOT_FINITE(pg_micros) ? pg_micros : pg_micros + kUnixEpochMicros;
}

FrameEncoder::FrameEncoder() : builder_(64 * 1024), row_(&builder_), element_row_(&builder_) {}

// A detoasted copy is freed as soon as its bytes are packed: for a huge value
// it would otherwise live, beside the packed copy and the frame, until the
// change's memory context is reset.
void FreeIfCopy(void* detoasted, Datum value) {
	if (detoasted != DatumGetPointer(value)) pfree(detoasted);
}

void FrameEncoder::AddVarlenaText(wire::Kind kind, Datum value, RowPacker* row) {
	text* t = DatumGetTextPP(value);
	row->AddText(kind, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	FreeIfCopy(t, value);
}

void FrameEncoder::AddOutputText(wire::Kind kind, const ScalarCodec& codec, Datum value, RowPacker* row) {
	char* text = OutputFunctionCall(const_cast<FmgrInfo*>(&codec.output), value);
	row->AddText(kind, text, strlen(text));
}

void FrameEncoder::AddMaskedText(const std::string& key, const ScalarCodec& codec, Datum value, RowPacker* row) {
	char* text = OutputFunctionCall(const_cast<FmgrInfo*>(&codec.output), value);
	const std::string hex = MaskedHex(key, text);
	pfree(text);
	row->AddText(wire::Kind::Text, hex.data(), hex.size());
}

std::string MaskedHex(const std::string& key, const char* text) {
	uint8 digest[PG_SHA256_DIGEST_LENGTH];
	// A context per value: the backend ties it to the current resource owner.
	pg_hmac_ctx* hmac = pg_hmac_create(PG_SHA256);
	bool ok = hmac != nullptr && pg_hmac_init(hmac, reinterpret_cast<const uint8*>(key.data()), key.size()) == 0 &&
	          pg_hmac_update(hmac, reinterpret_cast<const uint8*>(text), strlen(text)) == 0 &&
	          pg_hmac_final(hmac, digest, sizeof digest) == 0;
	const char* error = ok ? nullptr : hmac != nullptr ? pg_hmac_error(hmac) : "out of memory";
	pg_hmac_free(hmac);
	if (!ok) ereport(ERROR, (errmsg("flatwal: cannot mask a value: %s", error)));
	static const char kHex[] = "0123456789abcdef";
	std::string hex(2 * sizeof digest, '0');
	for (size_t i = 0; i < sizeof digest; ++i) {
		hex[2 * i] = kHex[digest[i] >> 4];
		hex[2 * i + 1] = kHex[digest[i] & 15];
	}
	return hex;
}

void FrameEncoder::AddStoredText(wire::Kind kind, StoredTextWriter writer, const ScalarCodec& codec, Datum value,
                                 RowPacker* row) {
	if (kStoredTextWriters) {
		struct varlena* stored = pg_detoast_datum_packed(reinterpret_cast<struct varlena*>(DatumGetPointer(value)));
		text_.clear();
		if (writer(reinterpret_cast<const uint8_t*>(VARDATA_ANY(stored)), VARSIZE_ANY_EXHDR(stored), &text_))
			return row->AddText(kind, text_.data(), text_.size());
	}
	AddOutputText(kind, codec, value, row);
}

void FrameEncoder::StartFrame() {
	// The last frame's size stands for the buffer's: after a huge one it is freed, not kept.
	if (builder_.GetSize() > kRetainedScratchBytes)
		builder_.Reset();
	else
		builder_.Clear();
	if (text_.capacity() > kRetainedScratchBytes) std::string().swap(text_);
}

void FrameEncoder::Finish(wire::Body type, fb::Offset<void> body) {
	FinishEvent(&builder_, type, body, timeline_);
}

void FrameEncoder::Begin(TransactionId xid, XLogRecPtr final_lsn, TimestampTz commit_time) {
	StartFrame();
	Finish(wire::Body::Begin, wire::CreateBegin(builder_, xid, final_lsn, UnixMicros(commit_time)).Union());
}

void FrameEncoder::Commit(TransactionId xid, XLogRecPtr commit_lsn, XLogRecPtr end_lsn, TimestampTz commit_time) {
	StartFrame();
	Finish(wire::Body::Commit,
	       wire::CreateCommit(builder_, xid, commit_lsn, end_lsn, UnixMicros(commit_time)).Union());
}

void FrameEncoder::StreamStart(TransactionId xid, bool first_segment) {
	StartFrame();
	Finish(wire::Body::StreamStart, wire::CreateStreamStart(builder_, xid, first_segment).Union());
}

void FrameEncoder::StreamStop(TransactionId xid) {
	StartFrame();
	Finish(wire::Body::StreamStop, wire::CreateStreamStop(builder_, xid).Union());
}

void FrameEncoder::StreamCommit(TransactionId xid, XLogRecPtr commit_lsn, XLogRecPtr end_lsn,
                                TimestampTz commit_time) {
	StartFrame();
	Finish(wire::Body::StreamCommit,
	       wire::CreateStreamCommit(builder_, xid, commit_lsn, end_lsn, UnixMicros(commit_time)).Union());
}

void FrameEncoder::StreamAbort(TransactionId xid, TransactionId subxid, XLogRecPtr abort_lsn) {
	StartFrame();
	Finish(wire::Body::StreamAbort, wire::CreateStreamAbort(builder_, xid, subxid, abort_lsn).Union());
}

void FrameEncoder::Message(TransactionId xid, XLogRecPtr lsn, XLogRecPtr commit_lsn, bool transactional,
                           const char* prefix, const char* content, Size content_size) {
	StartFrame();
	auto prefix_off = builder_.CreateString(prefix);
	auto content_off = builder_.CreateVector(reinterpret_cast<const uint8_t*>(content), content_size);
	Finish(wire::Body::Message, wire::CreateMessage(builder_, xid, lsn, commit_lsn, transactional, prefix_off,
	                                                content_off)
	                                .Union());
}

void FrameEncoder::Truncate(TransactionId xid, XLogRecPtr lsn, XLogRecPtr commit_lsn,
                            const std::vector<TruncatedTable>& tables, bool cascade, bool restart_identity) {
	StartFrame();
	std::vector<fb::Offset<wire::TableRef>>& refs = table_refs_;
	refs.clear();
	auto ref = [this](Relation rel, fb::Offset<wire::TableRef> partition_of) {
		auto schema = builder_.CreateString(get_namespace_name(RelationGetNamespace(rel)));
		auto table = builder_.CreateString(RelationGetRelationName(rel));
		return wire::CreateTableRef(builder_, RelationGetRelid(rel), schema, table, partition_of);
	};
	for (const TruncatedTable& t : tables)
		refs.push_back(ref(t.relation, t.partition_of != nullptr ? ref(t.partition_of, 0) : 0));
	auto refs_offset = builder_.CreateVector(refs);
	Finish(wire::Body::Truncate,
	       wire::CreateTruncate(builder_, xid, lsn, commit_lsn, refs_offset, cascade, restart_identity).Union());
}

void FrameEncoder::Schema(Oid relid, const RelInfo& rel) {
	StartFrame();
	std::vector<fb::Offset<wire::Column>>& columns = columns_;
	columns.clear();
	for (const ColumnCodec& c : rel.columns) {
		auto name = builder_.CreateString(c.name);
		auto type_name = builder_.CreateString(c.type_name);
		fb::Offset<fb::String> missing = 0;
		if (c.has_missing) missing = builder_.CreateString(c.masked ? MaskedHex(rel.mask_key, c.missing_text.c_str()) : c.missing_text);
		columns.push_back(wire::CreateColumn(builder_, name, c.declared_type, type_name, c.value.type_oid, c.typmod,
		                                     c.not_null, c.key, c.masked, c.attnum, missing));
	}
	auto columns_off = builder_.CreateVector(columns);
	fb::Offset<fb::Vector<fb::Offset<fb::String>>> excluded_off = 0;
	if (!rel.excluded_columns.empty()) excluded_off = builder_.CreateVectorOfStrings(rel.excluded_columns);
	auto key_off = builder_.CreateVector(rel.key_columns);
	auto schema = builder_.CreateString(rel.schema_name);
	auto table = builder_.CreateString(rel.table_name);
	Finish(wire::Body::Schema, wire::CreateSchema(builder_, relid, schema, table, rel.version,
	                                              IdentityOf(rel.replica_identity), columns_off, key_off, excluded_off)
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

void FrameEncoder::EncodeArray(const ScalarCodec& element, Datum value, RowPacker* row) {
	ArrayType* array = DatumGetArrayTypeP(value);
	Datum* items;
	bool* item_nulls;
	int count;
	deconstruct_array(array, element.type_oid, element.typlen, element.typbyval, element.typalign, &items,
	                  &item_nulls, &count);
	// PostgreSQL arrays do not nest (a 2-D array is one array), so one scratch row for elements suffices.
	element_row_.Clear();
	for (int i = 0; i < count; ++i) {
		if (item_nulls[i])
			element_row_.AddNull();
		else
			EncodeValue(element, nullptr, items[i], &element_row_);
	}
	auto elements = element_row_.Finish();
	row->AddArray(element.type_oid, ARR_DIMS(array), ARR_LBOUND(array), ARR_NDIM(array), elements);
}

void FrameEncoder::EncodeValue(const ScalarCodec& codec, const ScalarCodec* element, Datum value, RowPacker* row) {
	switch (codec.kind) {
		case ValueKind::kBool: return row->AddBool(DatumGetBool(value));
		case ValueKind::kInt2: return row->AddInt(wire::Kind::Int, DatumGetInt16(value));
		case ValueKind::kInt4: return row->AddInt(wire::Kind::Int, DatumGetInt32(value));
		case ValueKind::kInt8: return row->AddInt(wire::Kind::Int, DatumGetInt64(value));
		case ValueKind::kOid: return row->AddInt(wire::Kind::Int, DatumGetObjectId(value));
		case ValueKind::kFloat4: return row->AddFloat(DatumGetFloat4(value));
		case ValueKind::kFloat8: return row->AddFloat(DatumGetFloat8(value));
		case ValueKind::kText: return AddVarlenaText(wire::Kind::Text, value, row);
		case ValueKind::kName: {
			const char* name = NameStr(*DatumGetName(value));
			return row->AddText(wire::Kind::Text, name, strlen(name));
		}
		case ValueKind::kEnum: return AddOutputText(wire::Kind::Text, codec, value, row);
		case ValueKind::kBytea: {
			bytea* bytes = DatumGetByteaPP(value);
			row->AddBytes(reinterpret_cast<const uint8_t*>(VARDATA_ANY(bytes)), VARSIZE_ANY_EXHDR(bytes));
			return FreeIfCopy(bytes, value);
		}
		case ValueKind::kNumeric: return AddStoredText(wire::Kind::Numeric, AppendNumericText, codec, value, row);
		case ValueKind::kDate: return row->AddInt(wire::Kind::Date, UnixDays(DatumGetDateADT(value)));
		case ValueKind::kTime: return row->AddInt(wire::Kind::Time, DatumGetTimeADT(value));
		case ValueKind::kTimeTz: {
			TimeTzADT* t = DatumGetTimeTzADTP(value);
			// PostgreSQL stores the zone as seconds west of UTC; the wire says east.
			return row->AddTimeTz(t->time, -t->zone);
		}
		case ValueKind::kTimestamp:
		case ValueKind::kTimestampTz: {
			const Timestamp micros = DatumGetTimestamp(value);  // timestamptz has the same representation
			const bool utc = codec.kind == ValueKind::kTimestampTz;
			if (!FitsWireTimestamp(micros)) return AddIsoTimestampText(micros, utc, &text_, row);
			return row->AddInt(utc ? wire::Kind::TimestampTz : wire::Kind::Timestamp, UnixMicros(micros));
		}
		case ValueKind::kInterval: {
			Interval* iv = DatumGetIntervalP(value);
			return row->AddInterval(iv->month, iv->day, iv->time);
		}
		case ValueKind::kUuid: return row->AddUuid(DatumGetUUIDP(value)->data);
		case ValueKind::kJson: return AddVarlenaText(wire::Kind::Json, value, row);
		case ValueKind::kJsonb: return AddStoredText(wire::Kind::Json, AppendJsonbText, codec, value, row);
		case ValueKind::kArray: return EncodeArray(*element, value, row);
		case ValueKind::kTextOutput: return AddOutputText(wire::Kind::TextOutput, codec, value, row);
	}
	elog(ERROR, "flatwal: unhandled value kind %d", static_cast<int>(codec.kind));
}

fb::Offset<wire::Row> FrameEncoder::EncodeRow(const RelInfo& rel, HeapTuple tuple, TupleDesc desc, Image image) {
	Deform(tuple, desc);
	row_.Clear();
	for (const ColumnCodec& column : rel.columns) {
		int index = column.attnum - 1;
		if (image == Image::kIdentity && !column.identity)
			row_.AddAbsent();
		else if (nulls_[index])
			row_.AddNull();
		else if (column.value.typlen == -1 && VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(datums_[index])))
			row_.AddUnchanged();  // the WAL did not carry this TOAST value: an UPDATE left it unchanged
		else if (column.masked)
			AddMaskedText(rel.mask_key, column.value, datums_[index], &row_);
		else
			EncodeValue(column.value, &column.element, datums_[index], &row_);
	}
	return row_.Finish();
}

void FrameEncoder::Change(Relation relation, const RelInfo& rel, const ChangeMeta& meta, HeapTuple old_tuple,
                          HeapTuple new_tuple) {
	StartFrame();
	TupleDesc desc = RelationGetDescr(relation);
	fb::Offset<wire::Row> before = 0, after = 0;
	wire::OldImage old_image = wire::OldImage::None;

	if (new_tuple != nullptr) after = EncodeRow(rel, new_tuple, desc, Image::kAll);
	if (meta.op == wire::Op::Update || meta.op == wire::Op::Delete) {
		bool full = rel.replica_identity == REPLICA_IDENTITY_FULL;
		if (old_tuple != nullptr) {
			before = EncodeRow(rel, old_tuple, desc, full ? Image::kAll : Image::kIdentity);
			old_image = full ? wire::OldImage::Full : wire::OldImage::Key;
		} else if (meta.op == wire::Op::Update && !rel.identity_columns.empty()) {
			// PostgreSQL logs the old key only when the update changed it.
			old_image = wire::OldImage::KeyUnchanged;
		} else {
			old_image = wire::OldImage::Unavailable;
		}
	}

	wire::ChangeHeader header(meta.lsn, meta.commit_lsn, meta.xid, meta.subxid, meta.seq, RelationGetRelid(relation),
	                          rel.version, meta.op, old_image);
	Finish(wire::Body::Change, wire::CreateChange(builder_, &header, after, before).Union());
}

}  // namespace flatwal
