// target.h — what flatwal-sink needs of a target database: the PostgreSQL
// target (pg_target.h: transactions, exactly-once by checkpoints stored with
// the rows) and the ClickHouse target (clickhouse_target.h: no transactions,
// exactly-once effect by idempotent, versioned rows).
#ifndef FLATWAL_SINK_TARGET_H
#define FLATWAL_SINK_TARGET_H

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "change_set.h"
#include "position.h"
#include "schema_registry.h"
#include "status.h"

namespace flatwal {

struct TopicPartition {
	std::string topic;
	int32_t partition = 0;
	bool operator<(const TopicPartition& o) const { return std::tie(topic, partition) < std::tie(o.topic, o.partition); }
};

struct Checkpoint {
	int64_t next_offset = -1;  // -1: nothing stored (start at the beginning)
	Position applied;          // the last streamed change applied (reads are ordered by rows instead)
};

// A change set's rows the target refused one by one (a poison change), with why.
struct RejectedRow {
	size_t message;
	std::string reason;
};

class Target {
 public:
	virtual ~Target() = default;

	// Connects and creates the target's state tables when missing.
	virtual Status Connect() = 0;
	virtual bool connected() const = 0;
	// The form its change sets render values in.
	virtual ValueForm value_form() const = 0;
	virtual Status LoadCheckpoints(const std::vector<TopicPartition>& partitions,
	                               std::map<TopicPartition, Checkpoint>* out) = 0;

	// One batch: Begin, then the calls below, then Commit (or Rollback).
	virtual Status Begin() = 0;
	virtual Status Commit() = 0;
	virtual void Rollback() = 0;
	virtual bool in_transaction() const = 0;

	// Creates the table of this version, or adds the columns it lacks (or
	// renames a column it holds under a name the catalog says the column had,
	// where the target can); a column whose type changed is refused (kNotSupported).
	virtual Status PrepareTable(const TableVersion& table, const TableCatalog& catalog) = 0;
	// Applies the rows; rows refused one by one land in *rejected. Rows
	// behind the table's floor (its last truncate) are skipped and counted.
	virtual Status Apply(const ChangeSet& set, std::vector<RejectedRow>* rejected, uint64_t* applied,
	                     uint64_t* skipped) = 0;
	// Appends the set's changes that were applied, all but `rejected`, to the
	// table's history: the history is the log of what the target applied.
	virtual Status AppendHistory(const ChangeSet& set, const std::vector<RejectedRow>& rejected) = 0;
	// Removes the rows last changed before `floor` and raises the table's
	// floor there: a truncate, or (lsn 0) a completed initial snapshot.
	virtual Status DropBefore(const std::string& source_schema, const std::string& source_table, const Floor& floor) = 0;
	// Stores a partition's checkpoint, or queues it for Commit; *conflict (or
	// Commit failing) when another sink moved it since `expected` (the batch
	// must then be read again).
	virtual Status StoreCheckpoint(const TopicPartition& tp, const Checkpoint& expected, const Checkpoint& next,
	                               bool* conflict) = 0;
	// The target table's quoted name for a source table.
	virtual std::string TargetName(const std::string& source_schema, const std::string& source_table) const = 0;
};

}  // namespace flatwal

#endif  // FLATWAL_SINK_TARGET_H
