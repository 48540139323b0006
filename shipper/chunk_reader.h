// chunk_reader.h — one connection of the on-demand snapshots (on_demand.h),
// with its own thread, reading one chunk at a time between watermarks:
//
//   write LOW watermark -> read up to N rows after a key -> write HIGH watermark
//
// The streaming loop hands it a chunk with Start() and picks the rows up with
// Take() once they are read; it never waits on the database itself, so several
// readers read at once while streaming goes on.
#ifndef FLATWAL_CHUNK_READER_H
#define FLATWAL_CHUNK_READER_H

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chunk_snapshot.h"
#include "kafka_contract.h"
#include "pg_session.h"
#include "side_session.h"
#include "status.h"

namespace flatwal {

struct ChunkRequest {
	uint32_t relid = 0;
	std::string token;       // names the chunk's watermarks: "low:<token>", "high:<token>"
	std::string after_key;   // the chunk's rows come after this key ("" = from the first)
	std::string before_key;  // … and before this one ("" = to the last)
	int rows = 0;            // at most this many
};

class ChunkReader {
 public:
	ChunkReader(std::string conninfo, std::string purpose);
	~ChunkReader();  // waits for the chunk under way, then stops the thread
	ChunkReader(const ChunkReader&) = delete;
	ChunkReader& operator=(const ChunkReader&) = delete;

	// Starts reading `chunk`; the reader must be idle (busy() false).
	void Start(ChunkRequest chunk);
	// True while a chunk was started and not taken.
	bool busy() const { return busy_; }
	// Once the chunk was read: true, with its frames (one per row) and the
	// snapshot they were read in, or why it could not be (its watermarks may
	// be missing: read it again under a new token). False while it is still
	// being read.
	bool Take(std::unique_ptr<PgResult>* frames, ChunkSnapshot* snapshot, Status* status);

 private:
	void Work();
	Status Read(const ChunkRequest& chunk, PgResult* frames, ChunkSnapshot* snapshot);
	// Writes a watermark and makes it visible to the walsender; its LSN in *lsn.
	Status EmitWatermark(const std::string& content, std::string* lsn);

	SideSession session_;  // used by the thread only
	bool busy_ = false;    // the streaming loop's view; not shared
	std::mutex mutex_;
	std::condition_variable wake_;
	bool stopping_ = false;          // guarded by mutex_
	bool pending_ = false;           // a chunk waits to be read; guarded by mutex_
	bool finished_ = false;          // the chunk was read (or failed); guarded by mutex_
	ChunkRequest chunk_;             // guarded by mutex_
	std::unique_ptr<PgResult> frames_;  // guarded by mutex_
	ChunkSnapshot snapshot_;            // guarded by mutex_
	Status status_ = Status::Ok();   // guarded by mutex_
	std::thread thread_;
};

}  // namespace flatwal

#endif  // FLATWAL_CHUNK_READER_H
