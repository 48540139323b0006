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
//   _owed Array(Int16), _owed_from String  the attnums of values a moved row left unchanged
//                                     (TOAST) and still owes, and the move that will pay them
//                                     (clickhouse_ledger.cpp)
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

#include "clickhouse_text.h"
#include "target.h"
#include "timeline_starts.h"

namespace flatwal {

// flatwal_sink.moved_values, the ledger of key moves (clickhouse_ledger.cpp).
extern const char kClickHouseLedgerDdl[];

class ClickHouseTarget : public Target {
 public:
	ClickHouseTarget(std::string url, std::string consumer_group, std::string target_database);
	~ClickHouseTarget() override;

	Status Connect() override;
	bool connected() const override { return connected_; }
	// Rows go as JSONEachRow.
	ValueForm value_form() const override { return ValueForm::kJson; }
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

	// A key's row as the table has it (the latest by position): its values
	// as JSON, its position, and what it owes (the ledger's terms).
	struct StoredRow {
		bool found = false;  // a live row (not a delete)
		std::vector<std::string> values;
		Position pos;
		uint64_t lsn = 0;
		int64_t commit_time_ms = 0;
		std::vector<int> owed;  // attnums
		std::string owed_from;
	};
	// The values a key move left unchanged, as the move's old-key copy read
	// them (a credit, clickhouse_ledger.cpp): by attnum, JSON values; those
	// the old row itself still owed are owed from `owed_from`.
	struct MovedValues {
		std::map<int, std::string> values;
		std::set<int> owed;
		std::string owed_from;
	};

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
	// Appends one JSONEachRow line of a set's row. Columns the row does not
	// carry (unchanged TOAST values) come from `current` (the key's row in
	// the table; a plain update's) or `credit` (a moved row's, from its
	// move), else the row owes them; nothing to take them from refuses the row.
	Status AppendRowJson(const ChangeSet& set, const JsonColumns& columns, const RowAction& row, const StoredRow* current,
	                     const MovedValues* credit, std::string* line) const;
	// Appends a stored row, written again (its debt paid).
	void AppendStoredRowJson(const JsonColumns& columns, const StoredRow& row, std::string* line) const;
	// The stored rows of the set's rows' keys, in their order.
	Status ReadCurrentRows(const ChangeSet& set, const JsonColumns& columns, const std::vector<const RowAction*>& rows,
	                       std::vector<StoredRow>* current);
	// The live rows of the table that owe from one of `moves`.
	Status ReadDebtors(const TableVersion& table, const JsonColumns& columns, const std::set<std::string>& moves,
	                   std::vector<StoredRow>* debtors);
	// Parses a stored row's fields from `first` on (position, values, owed) of a TabSeparated line.
	bool ParseStoredRow(const TableVersion& table, const JsonColumns& columns, const std::vector<std::string>& f,
	                    size_t first, StoredRow* row) const;
	// The key moves' ledger: first the credits (they read the old rows as
	// they were before the set, pay what awaited them, or are kept); then
	// the set's rows are written, taking from `credits`; then the receipts.
	Status SettleCredits(const ChangeSet& set, const JsonColumns& columns, const std::vector<const RowAction*>& credits,
	                     const std::vector<const RowAction*>& receipts, const std::vector<const RowAction*>& owing,
	                     std::vector<RejectedRow>* rejected, std::map<std::string, MovedValues>* available);
	Status RecordReceipts(const ChangeSet& set, const std::vector<const RowAction*>& receipts,
	                      const std::map<std::string, MovedValues>& available, const std::set<std::string>& paired);
	// The ledger's entries of this table that meet `condition` (SQL over its
	// columns): credits (taken ones too) and moves still awaited.
	Status ReadLedger(const TableVersion& table, const std::string& condition,
	                  std::map<std::string, MovedValues>* credits, std::set<std::string>* awaited);
	// Ledger rows (one per column of a credit; one for an awaited move), and
	// the members every one starts with (the table and the move).
	std::string LedgerRowHead(const TableVersion& table, const std::string& move) const;
	std::string LedgerRows(const TableVersion& table, const std::string& move, const MovedValues& credit, bool gone);
	std::string AwaitedRow(const TableVersion& table, const std::string& move, bool gone);
	uint64_t NextLedgerVersion();
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
	uint64_t ledger_version_ = 0;  // the last version written to flatwal_sink.moved_values
};

}  // namespace flatwal

#endif  // FLATWAL_SINK_CLICKHOUSE_TARGET_H
