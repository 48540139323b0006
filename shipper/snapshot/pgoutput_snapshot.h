// pgoutput_snapshot.h — the initial (or resynchronising) snapshot of a
// pgoutput source, without the extension: the publication's tables read as
// text inside the slot's exported snapshot and framed by the stream's own
// PgoutputFrames (so snapshot and stream share their schema versions). Each
// table's frames are what the plugin's snapshot writes: a Start marker, the
// Schema frame, its rows as Changes of op Read at (consistent_lsn, seq = 1,
// 2, ... in key order), an End marker with the row count.
//
// --snapshot-workers readers, each on its own connection and thread with the
// snapshot imported, read tables at once — and a large table in key ranges,
// planned by the rule of every snapshot (snapshot_plan.h), its rows numbered
// as the extension's snapshot numbers them; this thread frames what they
// read, each range's pieces in their order (tables and ranges interleave; a
// key's rows are in one range). A bounded queue between them keeps memory to
// a few batches per reader.
#ifndef FLATWAL_PGOUTPUT_SNAPSHOT_H
#define FLATWAL_PGOUTPUT_SNAPSHOT_H

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config.h"
#include "pg_session.h"
#include "pgoutput_frames.h"
#include "published_table.h"
#include "snapshot_plan.h"
#include "status.h"
#include "stop_signal.h"

namespace flatwal {

class PgoutputSnapshot {
 public:
	PgoutputSnapshot(const ShipperConfig& config, PgoutputFrames* frames, PgoutputFrames::Emit emit, const StopFlag* stop)
	    : config_(config), frames_(frames), emit_(std::move(emit)), stop_(stop) {}

	void set_resync(bool resync) { resync_ = resync; }
	void set_timeline(uint32_t timeline) { timeline_ = timeline; }
	// Reads every table of the publication as of `snapshot_name`.
	Status Run(const std::string& snapshot_name, uint64_t consistent_lsn);

	uint64_t rows() const { return rows_; }
	uint64_t tables_total() const { return tables_.size(); }
	uint64_t tables_done() const { return tables_done_; }

 private:
	struct Table {
		uint32_t relid = 0;
		std::string schema, name;
		char replica_identity = 'd';
		bool partitioned = false;
		std::string column_list;  // the publication's column list (PostgreSQL 15), text[]; empty: every column
		// Framing's own: the columns as read, the rows framed so far, the units not ended.
		std::unique_ptr<PgResult> columns;
		PublishedColumns published;
		uint64_t rows = 0;
		int units_left = 0;
	};
	// A table, or one key range of it: what a reader reads at once.
	struct Unit {
		size_t table = 0;
		KeyRange range;
		std::string key_column;  // quoted: the column `range` is of (when bounded)
		uint64_t seq_base = 0;   // its rows are numbered from here (RangeSeqBase)
		uint64_t rows = 0;       // framed so far (framing's own)
	};
	// What a reader hands this thread, in its unit's order.
	struct Piece {
		enum class Kind { kColumns, kRows, kEnd, kFailed } kind = Kind::kFailed;
		size_t unit = 0;
		std::unique_ptr<PgResult> result;  // kColumns, kRows
		Status status = Status::Ok();      // kFailed
	};

	// Lists the publication's tables and plans the units they are read in.
	Status ListTables(const std::string& snapshot_name);
	// A reader's thread: imports the snapshot, then reads units until none is left.
	void Read(const std::string& snapshot_name);
	Status ReadUnit(PgSession& session, size_t unit);
	// Queues `piece`, waiting for room; false once the snapshot was abandoned.
	bool Push(Piece piece);
	// Frames one piece on this thread.
	Status Frame(Piece& piece, uint64_t consistent_lsn);
	Status EmitMarker(const Table& table, bool start, uint64_t consistent_lsn, uint64_t rows);

	const ShipperConfig& config_;
	PgoutputFrames* frames_;
	PgoutputFrames::Emit emit_;
	const StopFlag* stop_;
	bool resync_ = false;
	uint32_t timeline_ = 0;
	bool column_lists_ = false;
	std::vector<Table> tables_;  // listed before the readers start; their pieces are this thread's
	std::vector<Unit> units_;    // planned before the readers start
	uint64_t rows_ = 0;
	uint64_t tables_done_ = 0;

	std::mutex mutex_;
	std::condition_variable changed_;
	std::deque<Piece> pieces_;  // guarded by mutex_
	size_t next_unit_ = 0;      // the next unit a reader takes; guarded by mutex_
	size_t readers_left_ = 0;   // readers not finished; guarded by mutex_
	bool abandoned_ = false;    // guarded by mutex_
	size_t max_pieces_ = 0;
};

}  // namespace flatwal

#endif  // FLATWAL_PGOUTPUT_SNAPSHOT_H
