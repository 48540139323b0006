// pgoutput_snapshot.h — the initial (or resynchronising) snapshot of a
// pgoutput source, without the extension: the publication's tables read as
// text inside the slot's exported snapshot, one table after another on one
// connection, and framed by the stream's own PgoutputFrames (so snapshot and
// stream share their schema versions). Each table's frames are what the
// plugin's snapshot writes: a Start marker, the Schema frame, its rows as
// Changes of op Read at (consistent_lsn, seq = 1, 2, ... in key order), an
// End marker with the row count.
#ifndef FLATWAL_PGOUTPUT_SNAPSHOT_H
#define FLATWAL_PGOUTPUT_SNAPSHOT_H

#include <cstdint>
#include <string>

#include "config.h"
#include "pg_session.h"
#include "pgoutput_frames.h"
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

 private:
	struct Table {
		uint32_t relid = 0;
		std::string schema, name;
		char replica_identity = 'd';
		bool partitioned = false;
		std::string column_list;  // the publication's column list (PostgreSQL 15), text[]; empty: every column
	};
	Status ReadTable(const Table& table, uint64_t consistent_lsn);
	Status EmitMarker(const Table& table, bool start, uint64_t consistent_lsn, uint64_t rows);

	const ShipperConfig& config_;
	PgoutputFrames* frames_;
	PgoutputFrames::Emit emit_;
	const StopFlag* stop_;
	bool resync_ = false;
	uint32_t timeline_ = 0;
	PgSession reader_;
	uint64_t rows_ = 0;
};

}  // namespace flatwal

#endif  // FLATWAL_PGOUTPUT_SNAPSHOT_H
