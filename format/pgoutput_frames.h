// pgoutput_frames.h — turns pgoutput messages into the frames the plugin
// writes (Begin, Schema, Change, Truncate, Message, Commit), so that the
// stream downstream of the shipper cannot tell the two sources apart.
//
// A Relation message carries names, declared types, typmods and which
// columns are in the replica identity; what the plugin's Schema frame adds
// (type names, base types of domains, enums, arrays, NOT NULL, the primary
// key of a table whose replica identity is FULL or NOTHING) comes from the
// catalog through RelationFacts, asked once per Relation message.
//
// Versions: the shipper numbers each table's shapes (its name, columns,
// types, keys, NOT NULL, replica identity). A shape seen before keeps its number (also one
// read back from the schemas topic with Know()), a new one takes the next; so
// one (relid, version) always names one column set, and a replay after a
// restart finds the numbers it gave before.
// Pure C++: unit-tested and fuzzed without a server.
#ifndef FLATWAL_PGOUTPUT_FRAMES_H
#define FLATWAL_PGOUTPUT_FRAMES_H

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "pgoutput_messages.h"
#include "row_packer.h"
#include "status.h"
#include "text_values.h"
#include "wire.h"

namespace flatwal {

// What the catalog says of one column of a Relation message.
struct ColumnFacts {
	std::string type_name;       // format_type(type, typmod)
	uint32_t base_type_oid = 0;  // after resolving domains
	bool not_null = false;
	bool primary_key = false;
	int16_t attnum = 0;          // 0: the table has no column of this name any more
	bool has_missing = false;    // ADD COLUMN … DEFAULT: rows from before hold missing_text
	std::string missing_text;
	TextColumnType text;         // how its text is read
};

// Facts for every column of `relation`, in its order; an error stops the stream.
using RelationFacts = std::function<Status(const pgoutput::Relation& relation, std::vector<ColumnFacts>* facts)>;

// A table's shape, as the numbering compares it.
std::string SchemaShape(const wire::Schema& schema);

class PgoutputFrames {
 public:
	using Emit = std::function<Status(const uint8_t* frame, size_t size)>;
	// A table's new version in the stream broke its previous one: `what`
	// names the columns dropped (or renamed) and retyped, and a changed key.
	// Without the extension nothing refuses such DDL (compatibility modes are
	// the extension's); it can only be said when it is seen.
	using BreakingChange = std::function<void(const std::string& table, uint32_t version, const std::string& what)>;
	// A row inserted into the signal table: its columns' names and text values.
	using Signal = std::function<Status(const std::vector<std::string>& columns, const std::vector<pgoutput::Value>& values)>;

	PgoutputFrames(RelationFacts facts, Emit emit) : facts_(std::move(facts)), emit_(std::move(emit)) {}

	// A version this source gave before (a Schema frame of the schemas topic).
	void Know(const wire::Schema& schema);
	// The timeline stamped on every frame (the server's).
	void set_timeline(uint32_t timeline) { timeline_ = timeline; }
	// The table through which users ask the shipper for things (on-demand
	// snapshots): its inserts go to `on_insert`, and none of its changes
	// becomes a frame.
	void set_signal_table(std::string schema, std::string name, Signal on_insert) {
		signal_schema_ = std::move(schema);
		signal_name_ = std::move(name);
		on_signal_ = std::move(on_insert);
	}
	void set_breaking_change(BreakingChange report) { on_breaking_ = std::move(report); }
	bool IsSignalTable(const std::string& schema, const std::string& name) const {
		return !signal_name_.empty() && schema == signal_schema_ && name == signal_name_;
	}
	// A new replication connection: the server sends its Relation messages
	// again, and a transaction cut by the old one starts over with its Begin.
	// Versions stay.
	void Restart() {
		tables_.clear();
		on_demand_tables_.clear();
		in_transaction_ = false;
	}

	// One pgoutput message, which the server sent at `wal_start` (the LSN of
	// the change, the commit's for Commit). Emits zero or more frames.
	Status OnMessage(uint64_t wal_start, const uint8_t* data, size_t size);

	bool in_transaction() const { return in_transaction_; }

	// A snapshot read outside the stream, as the plugin's flatwal.read_frame()
	// writes it: `relation` describes a table as its Relation message would
	// (its Schema frame goes before its first row), then each row as text,
	// a Change of op Read at (consistent_lsn, seq) with no xid and no LSN.
	Status OnSnapshotTable(const pgoutput::Relation& relation) { return OnRelation(relation); }
	Status OnSnapshotRow(uint32_t relid, uint64_t consistent_lsn, uint32_t seq, const std::vector<pgoutput::Value>& values);

	// An on-demand snapshot's table, read while the stream runs. Its shape is
	// numbered as the stream's are, but kept apart from the stream's own
	// description, which belongs to the WAL the stream is at (maybe older
	// than the read). Its Schema frame is emitted unless it was the last one
	// emitted this way.
	Status OnDemandTable(const pgoutput::Relation& relation);
	// One of its rows, a Change of op Read at (commit_lsn, seq), built into
	// *frame and not emitted: the caller decides whether the stream's newer
	// value replaces it.
	Status OnDemandRow(uint32_t relid, uint64_t commit_lsn, uint32_t seq, const std::vector<pgoutput::Value>& values,
	                   std::string* frame);

 private:
	struct Column {
		std::string name;
		uint32_t type_oid = 0;
		int32_t typmod = -1;
		bool identity = false;  // in the replica identity (the Relation's flag)
		TextColumnType text;
	};
	struct Table {
		uint32_t relid = 0;
		std::string schema, name;
		char replica_identity = 'd';
		uint32_t version = 0;
		std::vector<Column> columns;
		bool any_identity = false;
		std::vector<uint8_t> schema_frame;  // the Schema frame of the last Relation message ...
		bool schema_shipped = false;        // ... emitted before the first change after it
		bool signal = false;                // the signal table: no frames
	};

	// What `after` breaks of `before` (BreakingChange); "" when nothing.
	static std::string BreakingChanges(const Table& before, const Table& after);
	// Fills `table` from `relation`: its version, columns and Schema frame.
	Status DescribeTable(const pgoutput::Relation& relation, Table* table);
	Status OnRelation(const pgoutput::Relation& relation);
	Status OnChange(uint64_t lsn, const pgoutput::Change& change);
	// The table a change names, its Schema frame emitted first if it is not yet.
	Status TableForChange(uint32_t relid, Table** table);
	Status OnTruncate(uint64_t lsn, const pgoutput::Truncate& truncate);
	// Packs `values` into a Row; `identity_only`: columns outside the replica identity are Absent.
	Status PackRow(const Table& table, const std::vector<pgoutput::Value>& values, bool identity_only,
	               flatbuffers::Offset<wire::Row>* out);
	Status Finish(wire::Body type, flatbuffers::Offset<void> body);

	RelationFacts facts_;
	Emit emit_;
	uint32_t timeline_ = 0;
	std::map<uint32_t, Table> tables_;
	std::map<uint32_t, Table> on_demand_tables_;  // as on-demand snapshots read them (OnDemandTable)
	std::string signal_schema_, signal_name_;
	Signal on_signal_;
	BreakingChange on_breaking_;
	std::map<uint32_t, std::map<std::string, uint32_t>> versions_;  // relid -> shape -> version
	std::vector<ColumnFacts> column_facts_;
	pgoutput::Decoded decoded_;
	flatbuffers::FlatBufferBuilder builder_;
	RowPacker row_{&builder_};
	RowPacker elements_{&builder_};
	bool in_transaction_ = false;
	uint32_t xid_ = 0;
	uint64_t commit_lsn_ = 0;
	uint32_t seq_ = 0;
};

}  // namespace flatwal

#endif  // FLATWAL_PGOUTPUT_FRAMES_H
