// initial_snapshot.h — the initial snapshot: every captured table read inside the
// snapshot a new slot exported, encoded in the database by flatwal.read_frame()
// (the encoder streamed rows use), and handed to the shipper frame by frame;
// then streaming continues from the slot's consistent point: no gap, no overlap.
//
// With several workers (--snapshot-workers), tables — and key ranges of
// large tables with a single integer key — are read at once on separate
// connections that share the exported snapshot (snapshot_readers.h); a
// table's Start marker comes before its first row and its End marker after
// its last, whichever worker read them.
//
// Progress lives in flatwal.snapshot_progress. An exported snapshot does not
// outlive its connection, so a snapshot cut short (a kill, a lost connection)
// is restarted from scratch on a new slot; consumers see its rows again.
#ifndef FLATWAL_INITIAL_SNAPSHOT_H
#define FLATWAL_INITIAL_SNAPSHOT_H

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "pg_session.h"
#include "snapshot_readers.h"
#include "status.h"
#include "stop_signal.h"

namespace flatwal {

class InitialSnapshot {
 public:
	using Emit = std::function<Status(const uint8_t* frame, size_t size)>;

	// Reads the captured tables of `table_set` with `workers` connections.
	InitialSnapshot(std::string conninfo, std::string slot, std::string table_set, int workers,
	                const StopFlag* stop, Emit emit)
	    : conninfo_(std::move(conninfo)), slot_(std::move(slot)), table_set_(std::move(table_set)), workers_(workers),
	      stop_(stop), emit_(std::move(emit)) {}

	// What this database records of the slot's start (flatwal.snapshot_progress,
	// which a physical standby has too): a slot the database records but
	// PostgreSQL does not have was lost, e.g. in a failover.
	struct Record {
		bool taken = false;        // the slot was created here (with or without a snapshot)
		bool interrupted = false;  // its snapshot was started and did not finish
		bool resync = false;       // that snapshot was a resynchronisation (it must be taken again)
	};
	static Status Recorded(const std::string& conninfo, const std::string& slot, Record* record);
	// The snapshot resynchronises after a lost slot: its markers say so.
	void set_resync(bool resync) { resync_ = resync; }
	// The source's timeline, stamped on the markers with their consistent point.
	void set_timeline(uint32_t timeline) { timeline_ = timeline; }
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
		uint32_t relid = 0;
		std::string schema, name;
		std::string order_by;  // quoted key columns, or empty
		int64_t estimate = 0;      // rows, by the planner's statistics (for the progress table)
		bool partitioned = false;  // read with its partitions, where its rows live (others: without children)
		// While it is read:
		int units_left = 0;
		uint64_t rows = 0;
		bool started = false;
	};
	// The units `table` is read in: one, or a key range per worker (snapshot_plan.h).
	Status PlanUnits(size_t index, uint64_t consistent_lsn, std::vector<SnapshotUnit>* units);
	// What a batch of table `index` means: its Start marker and Schema frame
	// first, its rows, its End marker after its last unit.
	Status TakeBatch(size_t index, const SnapshotBatch& batch, uint64_t consistent_lsn);
	// Emits the frames of a binary result's first column, one per row.
	Status EmitRows(const PgResult& frames);
	Status EmitMarker(const Table& table, bool start, uint64_t consistent_lsn, uint64_t rows);

	std::string conninfo_, slot_, table_set_;
	int workers_;
	bool resync_ = false;
	uint32_t timeline_ = 0;
	std::vector<Table> tables_;
	const StopFlag* stop_;
	Emit emit_;
	PgSession reader_;    // inside the exported snapshot
	PgSession progress_;  // writes progress as it goes
	uint64_t rows_ = 0;
	uint64_t tables_total_ = 0, tables_done_ = 0;
};

}  // namespace flatwal

#endif  // FLATWAL_INITIAL_SNAPSHOT_H
