// clickhouse_target.h — flatwal-sink's warehouse target: ClickHouse over its
// HTTP interface (libcurl), written in micro-batches.
//
// Each source table becomes <schema>.<table> with engine
// ReplacingMergeTree(_commit_lsn) ordered by the source key, plus columns
//   _timeline UInt32, _commit_lsn UInt64, _seq UInt32   the change's source position
//                                     (_commit_lsn the version: before the first rows
//                                     of a newer timeline go in, the older timelines'
//                                     rows at or above them, ghosts, are deleted; the
//                                     rest of the older timelines' rows not read again
//                                     when a resync's snapshot ends)
//   _lsn UInt64                       its record's LSN (ordered against truncates)
//   _commit_time_ms Int64             the source commit time, ms since 1970 (snapshot rows: when read)
//   _deleted UInt8                    1 for a delete (query with FINAL ... WHERE _deleted = 0)
// A batch is one INSERT per table (the changes folded per key), then the
// partitions' checkpoints in flatwal_sink.checkpoints. There are no
// transactions: a batch replayed after a crash writes the same rows again,
// which FINAL (or a merge) collapses, so the effect is exactly once.
//
// Types: bool UInt8, int2/int4/int8 Int16/Int32/Int64, oid UInt32,
// float4/float8 Float32/Float64; every other type is String holding the exact
// text flatwal carries (numeric digits, ISO 8601 dates and times, JSON of
// json/jsonb and arrays, "M mons D days HH:MM:SS.ffffff" intervals), the same
// on every ClickHouse release (Debian's 18.16 has no DateTime64 or Date32).
// Non-key columns are Nullable.
#ifndef FLATWAL_SINK_CLICKHOUSE_TARGET_H
#define FLATWAL_SINK_CLICKHOUSE_TARGET_H

#include <curl/curl.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "target.h"
#include "timeline_starts.h"

namespace flatwal {

class ClickHouseTarget : public Target {
 public:
	ClickHouseTarget(std::string url, std::string consumer_group, std::string target_database);
	~ClickHouseTarget() override;

	Status Connect() override;
	bool connected() const override { return connected_; }
	// Rows go as JSONEachRow.
	ValueForm value_form() const override { return ValueForm::kJson; }
	// A key move that left TOAST values unchanged is completed from the old key's current row.
	KeyMoves key_moves() const override { return KeyMoves::kMoveRow; }
	Status LoadCheckpoints(const std::vector<TopicPartition>& partitions,
	                       std::map<TopicPartition, Checkpoint>* out) override;
	Status Begin() override {
		in_batch_ = true;
		return Status::Ok();
	}
	// Writes the batch's checkpoints, all partitions in one INSERT (each
	// INSERT is a new part in ClickHouse: one per partition would cost more
	// than the rows).
	Status Commit() override;
	void Rollback() override {  // what was written is replayed identically
		in_batch_ = false;
		checkpoint_rows_.clear();
	}
	bool in_transaction() const override { return in_batch_; }
	Status PrepareTable(const TableVersion& table, const TableCatalog& catalog) override;
	Status Apply(const ChangeSet& set, std::vector<RejectedRow>* rejected, uint64_t* applied, uint64_t* skipped) override;
	Status AppendHistory(const ChangeSet&, const std::vector<RejectedRow>&) override {
		return Status::Ok();  // refused at start (--history)
	}
	Status DropBefore(const std::string& source_schema, const std::string& source_table, const Floor& floor) override;
	// No fencing: two sinks applying the same partition write the same rows.
	Status StoreCheckpoint(const TopicPartition& tp, const Checkpoint& expected, const Checkpoint& next,
	                       bool* conflict) override;
	std::string TargetName(const std::string& source_schema, const std::string& source_table) const override;

	const std::string& server_version() const { return version_; }

 private:
	// Runs one statement; `data` is the body after it (INSERT ... FORMAT).
	Status Query(const std::string& sql, const std::string& data = "", std::string* result = nullptr);
	Status ColumnExists(const std::string& database, const std::string& table, const std::string& column, bool* exists);
	// Brings flatwal_sink's tables of an older sink to this one's shape.
	Status MigrateStateTables();
	// The database a source schema's tables go to (--target-schema, or the same name).
	std::string Database(const std::string& source_schema) const;
	// How a table version's columns are written: each one's "name": prefix,
	// and whether it is a String in ClickHouse.
	struct JsonColumns {
		std::vector<std::string> names;
		std::vector<bool> is_string;
	};
	// Appends one JSONEachRow line. A column the row does not carry (an
	// unchanged TOAST value) is taken from `current` (the table's current
	// row, as JSON values; none when empty), or refused.
	Status AppendRowJson(const ChangeSet& set, const JsonColumns& columns, const RowAction& row,
	                     const std::vector<std::string>& current, std::string* line) const;
	// Appends the line that deletes a moved row's old key.
	void AppendOldKeyDeleteJson(const ChangeSet& set, const JsonColumns& columns, const RowAction& row,
	                            std::string* line) const;
	// A key whose current row is wanted: a row's own, or the old key of a row whose key moved.
	struct KeyLookup {
		const RowAction* row;
		bool old_key;
	};
	// The current rows of the lookups' keys, read from the table (latest by position), as
	// JSON values per column (empty for a key the table has no live row for),
	// and the position each was written at.
	Status ReadCurrentRows(const ChangeSet& set, const JsonColumns& columns, const std::vector<KeyLookup>& lookups,
	                       std::vector<std::vector<std::string>>* current, std::vector<Position>* written_at);
	// Inserts JSONEachRow lines into the table.
	Status Insert(const TableVersion& table, const std::string& data);
	// The table's timelines as its rows tell them, read once per process.
	Status TimelineStartsOf(const TableVersion& table, TimelineStarts** starts);
	// Deletes the rows of timelines older than `timeline` at or above
	// `from_lsn` (ghosts) and waits until ClickHouse has: rows of `timeline`
	// from `from_lsn` on may then go in without a merge keeping a ghost's
	// higher _commit_lsn over them.
	Status DeleteGhosts(const TableVersion& table, uint32_t timeline, uint64_t from_lsn);

	std::string url_, group_, target_database_;
	CURL* curl_ = nullptr;
	bool connected_ = false;
	bool in_batch_ = false;
	std::string version_;
	std::set<std::pair<uint32_t, uint32_t>> prepared_;
	std::map<std::string, TimelineStarts> timeline_starts_;  // by target table name
	std::string body_;  // the INSERT's rows, reused from batch to batch (a batch can be tens of MB)
	std::string checkpoint_rows_;  // VALUES of the batch's checkpoints, written at Commit
};

// Quotes a ClickHouse identifier (`name`) or string literal ('text').
std::string ClickHouseIdentifier(const std::string& name);
std::string ClickHouseString(const std::string& text);

}  // namespace flatwal

#endif  // FLATWAL_SINK_CLICKHOUSE_TARGET_H
