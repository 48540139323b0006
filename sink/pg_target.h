// pg_target.h — flatwal-sink's PostgreSQL target: the tables it creates and
// follows from Schema frames, the set-based statements that apply a batch,
// and the checkpoints stored in the same transaction as the rows.
//
// Target tables have the source's columns and key, plus
//   _flatwal_timeline, _flatwal_commit_lsn, _flatwal_seq  the source position of the row's last change
//   _flatwal_lsn                       its change record's LSN (ordered against truncates)
//   _flatwal_owed, _flatwal_owed_from  attnums of values a row whose key moved left unchanged
//                                      (TOAST) and still owes, and the move that will pay them
//                                      (pg_ledger.h; flatwal_sink.moved_values holds the rest)
// A row is written only by a change at a later position than the one it
// holds, so replaying a change (or an older snapshot row) never undoes a
// newer one. State lives in schema flatwal_sink:
//   checkpoints(consumer_group, topic, kafka_partition, next_offset,
//               commit_lsn, seq, step, applied_at, timeline)
//   tables(target_schema, target_table, floor_commit_lsn, floor_lsn, floor_timeline)
// With --history, <table>_history beside each table holds every change once:
//   (timeline, commit_lsn, seq) primary key, lsn, xid, op, before, after (jsonb),
//   schema_version, commit_time (the source commit; for snapshot rows, when read), applied_at
// where a table's floor is the position of its latest truncate (or the
// consistent point of a completed initial snapshot): changes before it are
// superseded and not applied. A batch's rows of a table version are COPYed
// into a session temp table pg_temp.flatwal_stage_<relid>_<version> with the
// target's column types, then applied by a DELETE, an INSERT … ON CONFLICT,
// and (only for updates that left TOAST values unchanged) an UPDATE.
#ifndef FLATWAL_SINK_PG_TARGET_H
#define FLATWAL_SINK_PG_TARGET_H

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "change_set.h"
#include "pg_session.h"
#include "position.h"
#include "schema_registry.h"
#include "status.h"
#include "target.h"

namespace flatwal {

class PgTarget : public Target {
 public:
	// `target_schema`: the schema for every target table; empty: the source's.
	// `history`: keep a <table>_history table of every change (see AppendHistory).
	PgTarget(std::string conninfo, std::string consumer_group, std::string target_schema, bool history)
	    : conninfo_(std::move(conninfo)),
	      group_(std::move(consumer_group)),
	      target_schema_(std::move(target_schema)),
	      history_(history) {}

	// Connects and creates the state tables when missing.
	Status Connect() override;
	bool connected() const override { return session_.connected(); }
	// Staged by COPY into a table of the target's column types.
	ValueForm value_form() const override { return ValueForm::kPgText; }

	Status LoadCheckpoints(const std::vector<TopicPartition>& partitions, std::map<TopicPartition, Checkpoint>* out) override;

	// One transaction per batch.
	Status Begin() override;
	Status Commit() override;
	void Rollback() override;
	bool in_transaction() const override { return in_transaction_; }

	// Creates the target table of this version, or adds the columns it
	// lacks and renames those the source renamed: each target column is
	// known by the source attnum its comment marks (column_plan.h). A column
	// whose type changed is refused (kNotSupported).
	Status PrepareTable(const TableVersion& table, const TableCatalog& catalog) override;
	// Applies the rows; rows refused one by one land in *rejected. Rows
	// behind the table's floor are skipped and counted in *skipped.
	Status Apply(const ChangeSet& set, std::vector<RejectedRow>* rejected, uint64_t* applied, uint64_t* skipped) override;
	// Appends the set's changes to the table's history table, each once: a
	// change already there (same commit_lsn and seq) is not added again.
	Status AppendHistory(const ChangeSet& set, const std::vector<RejectedRow>& rejected) override;
	// Deletes the rows last changed before (commit_lsn, lsn) and raises the
	// table's floor there: a truncate, or (lsn 0) a completed initial snapshot.
	Status DropBefore(const std::string& source_schema, const std::string& source_table, const Floor& floor) override;
	// Queues a partition's checkpoint; Commit stores every queued one in one
	// statement, each only if the stored one is still `expected`, and fails
	// (kUnavailable, the batch rolled back) when another sink moved one.
	Status StoreCheckpoint(const TopicPartition& tp, const Checkpoint& expected, const Checkpoint& next, bool* conflict) override;

	// The target table's quoted name for a source table.
	std::string TargetName(const std::string& source_schema, const std::string& source_table) const override;

 private:
	Status Exec(const std::string& sql, PgResult* result = nullptr) { return session_.Exec(sql, result); }
	// Writes the queued checkpoints (see StoreCheckpoint).
	Status StoreCheckpoints();
	Status ColumnType(const SchemaColumn& column, std::string* type);
	std::string ColumnDefinition(const SchemaColumn& column, const std::string& type) const;
	// `id`: the version's PreparedKey, remembered once the DDL is done with
	// the types the version's values are read as (PlanColumns: `types`, or a
	// later version's the target holds already).
	// After a retype: the table's versions but `keep` are prepared again when next used.
	void ForgetOtherVersions(uint32_t relid, const std::string& keep);
	Status PrepareTableDdl(const TableVersion& table, const std::string& id, std::vector<std::string> types,
	                       const TableCatalog& catalog);
	// ALTER COLUMN … TYPE, as the source did for schema version `version`;
	// a failure says what to do.
	Status Retype(const std::string& target, const std::string& column, const std::string& type, uint32_t version);
	// The schema a source schema's tables go to (--target-schema, or the same name).
	std::string TargetSchema(const std::string& source_schema) const;
	std::string HistoryName(const TableVersion& table) const;
	// Runs the set-based statements over the staged rows.
	Status ApplyStaged(const ChangeSet& set, const std::vector<const RowAction*>& rows, const std::string& target,
	                   std::vector<size_t>* missing);
	Status Stage(const ChangeSet& set, const std::vector<const RowAction*>& rows);

	std::string conninfo_, group_, target_schema_;
	bool history_;
	PgSession session_;
	bool in_transaction_ = false;
	// Table versions whose target table is ready, committed or in the open transaction.
	// By PreparedKey: a version's id and the names its columns are written under.
	std::set<std::string> prepared_, prepared_in_transaction_;
	std::map<std::string, std::vector<std::string>> column_types_;  // by PreparedKey: the target's column types
	std::map<std::pair<uint32_t, int32_t>, std::string> type_names_;  // format_type() by (type OID, typmod)
	std::string copy_data_;  // a COPY's rows, reused from batch to batch
	std::string checkpoint_rows_;  // VALUES of the queued checkpoints
	size_t checkpoint_count_ = 0;
};

}  // namespace flatwal

#endif  // FLATWAL_SINK_PG_TARGET_H
