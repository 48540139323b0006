// chunk_reader.h — one connection of the on-demand snapshots (on_demand.h),
// with its own thread, reading one chunk at a time between watermarks:
//
//   write LOW watermark -> read up to N rows after a key -> write HIGH watermark
//
// The streaming loop hands it a chunk with Start() and picks the rows up with
// Take() once they are read; it never waits on the database itself, so several
// readers read at once while streaming goes on. What "read" means is the
// source's (on_demand_source.h): the extension's frames, or pgoutput's text.
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

// What one chunk's read returned, for its source to frame.
struct ChunkRead {
	ChunkSnapshot snapshot;  // the snapshot the rows were read in
	std::string low_lsn;     // the LOW watermark's LSN: the rows' commit LSN
	PgResult table;          // pgoutput: the table's names and settings, as of the snapshot …
	PgResult columns;        // … and its columns
	PgResult rows;           // a frame (extension) or the text values (pgoutput) per row, in key order
};

class OnDemandSource;

class ChunkReader {
 public:
	// `source` outlives the reader.
	ChunkReader(std::string conninfo, std::string purpose, const OnDemandSource* source);
	~ChunkReader();  // waits for the chunk under way, then stops the thread
	ChunkReader(const ChunkReader&) = delete;
	ChunkReader& operator=(const ChunkReader&) = delete;

	// Starts reading `chunk`; the reader must be idle (busy() false).
	void Start(ChunkRequest chunk);
	// True while a chunk was started and not taken.
	bool busy() const { return busy_; }
	// Once the chunk was read: true, with what was read, or why it could not
	// be (its watermarks may be missing: read it again under a new token).
	// False while it is still being read.
	bool Take(std::unique_ptr<ChunkRead>* read, Status* status);

 private:
	void Work();
	Status Read(const ChunkRequest& chunk, ChunkRead* read);
	// Writes a watermark and makes it visible to the walsender; its LSN in *lsn.
	Status EmitWatermark(const std::string& content, std::string* lsn);

	const OnDemandSource* source_;
	SideSession session_;  // used by the thread only
	bool busy_ = false;    // the streaming loop's view; not shared
	std::mutex mutex_;
	std::condition_variable wake_;
	bool stopping_ = false;          // guarded by mutex_
	bool pending_ = false;           // a chunk waits to be read; guarded by mutex_
	bool finished_ = false;          // the chunk was read (or failed); guarded by mutex_
	ChunkRequest chunk_;             // guarded by mutex_
	std::unique_ptr<ChunkRead> read_;  // guarded by mutex_
	Status status_ = Status::Ok();   // guarded by mutex_
	std::thread thread_;
};

}  // namespace flatwal

#endif  // FLATWAL_CHUNK_READER_H
