// encoder.h — builds flatwal frames. The single encoder for rows from the WAL
// and rows read by a snapshot: a consumer cannot tell them apart but by op.
//
// Each call finishes exactly one frame, readable through data()/size() until
// the next call. The builder and scratch space are reused, so encoding a row
// allocates nothing once the buffers have grown to the largest row seen.
#ifndef FLATWAL_ENCODER_H
#define FLATWAL_ENCODER_H

#include <memory>
#include <string>
#include <vector>

#include "wire.h"
#include "pg.h"
#include "relation_info.h"
#include "row_packer.h"

namespace flatwal {

struct ChangeMeta {
	wire::Op op;
	TransactionId xid;
	TransactionId subxid;    // 0 when the change belongs to the top level
	XLogRecPtr lsn;
	XLogRecPtr commit_lsn;   // InvalidXLogRecPtr inside an uncommitted stream
	uint32 seq;
};

// A table a TRUNCATE names: a captured table, or a partition of one that was
// truncated on its own (partition_of: the partitioned table it is published as).
struct TruncatedTable {
	Relation relation;
	Relation partition_of;  // NULL unless a partition truncated without the rest of its table
};

// Microseconds since the Unix epoch for a PostgreSQL timestamp (±infinity kept).
int64 UnixMicros(TimestampTz pg_micros);

// The 64-character lowercase hex of HMAC-SHA256 over `text` under `key`:
// what a masked column carries instead of its value.
std::string MaskedHex(const std::string& key, const char* text);

class FrameEncoder {
 public:
	FrameEncoder();

	// The source timeline stamped on every frame from now on: the timeline of
	// the WAL being decoded, or the server's own for snapshot rows.
	void set_timeline(TimeLineID timeline) { timeline_ = timeline; }

	void Begin(TransactionId xid, XLogRecPtr final_lsn, TimestampTz commit_time);
	void Commit(TransactionId xid, XLogRecPtr commit_lsn, XLogRecPtr end_lsn, TimestampTz commit_time);
	void Schema(Oid relid, const RelInfo& rel);
	// old_tuple and new_tuple may be NULL where the op or the WAL has none.
	void Change(Relation relation, const RelInfo& rel, const ChangeMeta& meta, HeapTuple old_tuple,
	            HeapTuple new_tuple);
	void Truncate(TransactionId xid, XLogRecPtr lsn, XLogRecPtr commit_lsn, const std::vector<TruncatedTable>& tables,
	              bool cascade, bool restart_identity);
	void Message(TransactionId xid, XLogRecPtr lsn, XLogRecPtr commit_lsn, bool transactional, const char* prefix,
	             const char* content, Size content_size);
	void StreamStart(TransactionId xid, bool first_segment);
	void StreamStop(TransactionId xid);
	void StreamCommit(TransactionId xid, XLogRecPtr commit_lsn, XLogRecPtr end_lsn, TimestampTz commit_time);
	void StreamAbort(TransactionId xid, TransactionId subxid, XLogRecPtr abort_lsn);

	const uint8_t* data() const { return builder_.GetBufferPointer(); }
	size_t size() const { return builder_.GetSize(); }

 private:
	enum class Image { kAll, kIdentity };
	void EncodeValue(const ScalarCodec& codec, const ScalarCodec* element, Datum value, RowPacker* row);
	void EncodeArray(const ScalarCodec& element, Datum value, RowPacker* row);
	void AddVarlenaText(wire::Kind kind, Datum value, RowPacker* row);
	void AddOutputText(wire::Kind kind, const ScalarCodec& codec, Datum value, RowPacker* row);
	// A masked column: the hex HMAC-SHA256 of the value's text under `key`.
	void AddMaskedText(const std::string& key, const ScalarCodec& codec, Datum value, RowPacker* row);
	// numeric and jsonb: their output functions' text, written from the stored bytes.
	using StoredTextWriter = bool (*)(const uint8_t* data, size_t size, std::string* out);
	void AddStoredText(wire::Kind kind, StoredTextWriter writer, const ScalarCodec& codec, Datum value,
	                   RowPacker* row);
	flatbuffers::Offset<wire::Row> EncodeRow(const RelInfo& rel, HeapTuple tuple, TupleDesc desc, Image image);
	void Deform(HeapTuple tuple, TupleDesc desc);
	void StartFrame();
	void Finish(wire::Body type, flatbuffers::Offset<void> body);

	flatbuffers::FlatBufferBuilder builder_;
	TimeLineID timeline_ = 0;
	RowPacker row_;          // scratch: the row being encoded
	RowPacker element_row_;  // scratch: the elements of one array value
	std::vector<flatbuffers::Offset<wire::Column>> columns_;        // scratch: one schema
	std::vector<flatbuffers::Offset<wire::TableRef>> table_refs_;   // scratch: one truncate
	std::string text_;                                              // scratch: one value's text
	std::vector<Datum> datums_;                                     // scratch: deformed tuple
	std::unique_ptr<bool[]> nulls_;
	size_t nulls_capacity_ = 0;
};

}  // namespace flatwal

#endif  // FLATWAL_ENCODER_H
