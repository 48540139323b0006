// snapshot.h — the initial snapshot: every captured table read inside the
// snapshot a new slot exported, encoded in the database by flatwal.read_frame()
// (the encoder streamed rows use), and handed to the shipper frame by frame;
// then streaming continues from the slot's consistent point: no gap, no overlap.
//
// Progress lives in flatwal.snapshot_progress. An exported snapshot does not
// outlive its connection, so a snapshot cut short (a kill, a lost connection)
// is restarted from scratch on a new slot; consumers see its rows again.
#ifndef FLATWAL_SNAPSHOT_H
#define FLATWAL_SNAPSHOT_H

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "pg_session.h"
#include "status.h"

namespace flatwal {

class InitialSnapshot {
 public:
	using Emit = std::function<Status(const uint8_t* frame, size_t size)>;

	// Reads the captured tables of `table_set`.
	InitialSnapshot(std::string conninfo, std::string slot, std::string table_set, const std::atomic<int>* stop, Emit emit)
	    : conninfo_(std::move(conninfo)), slot_(std::move(slot)), table_set_(std::move(table_set)), stop_(stop),
	      emit_(std::move(emit)) {}

	// *interrupted: a snapshot for `slot` was started and did not finish.
	static Status Interrupted(const std::string& conninfo, const std::string& slot, bool* interrupted);
	// Before the slot is created: records the snapshot as pending, so that a
	// crash from here on is recognised as an interrupted snapshot.
	Status Prepare();
	// Reads every captured table inside the exported snapshot.
	Status Run(const std::string& snapshot_name, uint64_t consistent_lsn);
	// After Kafka acknowledged every frame: the snapshot is complete.
	Status MarkDone();
	uint64_t rows() const { return rows_; }
	// Progress for the metrics: tables this snapshot reads, and those read completely.
	uint64_t tables_total() const { return tables_total_; }
	uint64_t tables_done() const { return tables_done_; }

 private:
	struct Table {
		uint32_t relid;
		std::string schema, name;
		std::string order_by;  // quoted key columns, or empty
		int64_t estimate;
		bool partitioned;  // read with its partitions, where its rows live (others: without children)
	};
	Status ReadTable(const Table& table, uint64_t consistent_lsn);
	// Emits the frames of a binary result's first column, one per row.
	Status EmitRows(const PgResult& frames);
	Status EmitMarker(const Table& table, bool start, uint64_t consistent_lsn, uint64_t rows);

	std::string conninfo_, slot_, table_set_;
	const std::atomic<int>* stop_;
	Emit emit_;
	PgSession reader_;    // inside the exported snapshot
	PgSession progress_;  // writes progress as it goes
	uint64_t rows_ = 0;
	uint64_t tables_total_ = 0, tables_done_ = 0;
};

}  // namespace flatwal

#endif  // FLATWAL_SNAPSHOT_H
