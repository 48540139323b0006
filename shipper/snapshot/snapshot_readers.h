// snapshot_readers.h — the initial snapshot read by several connections at
// once (--snapshot-workers). Every worker imports the same exported
// snapshot, so all of them see the database as of the slot's consistent
// point. The work is a list of units — a whole table, or one key range of a
// large table — taken by the workers in list order; each worker reads its
// unit through a cursor in key order and hands the frames over in batches of
// up to 5,000 rows through a queue of a few batches, so memory stays bounded
// however large the tables. The caller (one thread) takes the batches in the
// order they arrive: within a unit, rows keep their key order.
#ifndef FLATWAL_SNAPSHOT_READERS_H
#define FLATWAL_SNAPSHOT_READERS_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pg_session.h"
#include "status.h"
#include "stop_signal.h"

namespace flatwal {

// One cursor's worth of a table: SELECT … WHERE <range> ORDER BY <key>.
struct SnapshotUnit {
	size_t table = 0;           // the caller's index of the table
	uint32_t relid = 0;
	std::string select;         // the whole statement that yields the unit's frames, one per row
};

struct SnapshotBatch {
	size_t unit = 0;
	std::unique_ptr<PgResult> frames;  // first column: one frame per row
	int rows = 0;
	bool last = false;  // the unit's last batch (possibly empty)
	// The unit's first batch: the table's Schema frame as the worker reads
	// it. Read once the worker's cursor holds the table's lock, it describes
	// the rows even when DDL committed between the snapshot and the read.
	std::string schema_frame;
};

class SnapshotReaders {
 public:
	// Starts `workers` connections inside `snapshot_name`, reading `units`.
	SnapshotReaders(std::string conninfo, std::string snapshot_name, std::vector<SnapshotUnit> units, int workers,
	                const StopFlag* stop);
	~SnapshotReaders();  // stops and joins the workers

	// The next batch; Ok with *done set once every unit was read. A worker's
	// failure is returned here, and stops the others.
	Status Next(SnapshotBatch* batch, bool* done);

 private:
	void Work();
	// Puts a batch on the queue, waiting while it is full; false when stopping.
	bool Push(SnapshotBatch batch);
	void Fail(Status status);

	const std::string conninfo_, snapshot_name_;
	const std::vector<SnapshotUnit> units_;
	const StopFlag* stop_;
	std::atomic<size_t> next_unit_{0};
	std::mutex mutex_;
	std::condition_variable changed_;
	std::deque<SnapshotBatch> queue_;  // guarded by mutex_
	size_t capacity_;
	int running_ = 0;                  // workers not yet finished; guarded by mutex_
	bool aborted_ = false;             // guarded by mutex_
	Status failure_ = Status::Ok();    // the first worker failure; guarded by mutex_
	std::vector<std::thread> threads_;
};

}  // namespace flatwal

#endif  // FLATWAL_SNAPSHOT_READERS_H
