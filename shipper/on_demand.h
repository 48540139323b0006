// on_demand.h — on-demand snapshots while streaming goes on (the DBLog
// method, Andreev & Grinev, Netflix 2019).
//
// flatwal.request_snapshot(t) commits a request and a logical message. When
// the message arrives in the stream, the table is read in key order, chunk by
// chunk, on a side connection:
//
//   emit LOW watermark -> read the next chunk -> emit HIGH watermark
//
// Between LOW and HIGH in the stream, the keys of every change to the table
// are noted; at HIGH the chunk's rows are sent (op = read) except those keys,
// whose newer values the stream already carried. So no consumer ends with a
// stale row, and streaming never pauses. Requests live in
// flatwal.snapshot_requests: after a restart, unfinished ones start over.
#ifndef FLATWAL_ON_DEMAND_H
#define FLATWAL_ON_DEMAND_H

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "side_session.h"
#include "status.h"
#include "table_catalog.h"
#include "wire.h"

namespace flatwal {

class OnDemandSnapshots {
 public:
	using Emit = std::function<Status(const uint8_t* frame, size_t size)>;
	// Waits until Kafka acknowledged everything emitted so far; false if it could not.
	using Flush = std::function<bool()>;

	// `catalog` renders the keys of changes and rows; emit() teaches it the
	// Schema frames this class sends before a table's rows.
	// Serves the requests for tables of `table_set`; other sets' shippers serve theirs.
	OnDemandSnapshots(std::string conninfo, std::string table_set, const TableCatalog* catalog, Emit emit, Flush flush,
	                  int chunk_rows = 1000)
	    : session_(std::move(conninfo), "flatwal-shipper on-demand snapshot"),
	      table_set_(std::move(table_set)),
	      catalog_(catalog),
	      emit_(std::move(emit)),
	      flush_(std::move(flush)),
	      chunk_rows_(chunk_rows) {}

	// Picks up requests left unfinished by an earlier run.
	Status Resume();
	// Sees every frame of the stream before it is routed; only takes notes.
	// Returns true for the shipper's own messages (requests, watermarks),
	// which go to no topic.
	bool Observe(const wire::Event& event);
	// Sends a finished chunk and starts the next one. Call it between frames.
	Status Step();

 private:
	struct Request {
		int64_t id;
		uint32_t relid;
		std::string schema, table;
	};
	// Runs a statement on the side connection, connecting first when needed
	// (no sooner than the backoff allows). False when it failed (logged): the
	// caller tries again at a later step.
	bool Query(const std::string& sql, PgResult* result = nullptr, PgSession::Format format = PgSession::Format::kText);
	// Writes a watermark message and makes it visible to the walsender; returns its LSN, "" on failure.
	std::string EmitWatermark(const std::string& content);
	void Enqueue(int64_t id, uint32_t relid);
	// Reads the front request's state and names; false while its row is not visible yet.
	bool Activate(bool* skip);
	Status StartChunk();
	Status FinishChunk();
	Status EmitMarker(bool start, uint64_t rows);

	// Sends the table's current Schema frame unless the catalog knows
	// `version`; *retry when the server could not be asked this time.
	Status EnsureSchema(uint32_t relid, uint32_t version, bool* retry);

	SideSession session_;
	std::string table_set_;
	const TableCatalog* catalog_;
	Emit emit_;
	Flush flush_;
	int chunk_rows_;
	std::deque<Request> queue_;
	std::unordered_set<int64_t> known_;  // requests queued or running in this process

	// The chunk under way.
	bool active_ = false;         // queue_.front() is being read
	bool chunk_in_flight_ = false;
	bool window_open_ = false;    // LOW seen, HIGH not yet
	bool high_seen_ = false;      // HIGH seen: the chunk can be sent
	bool discard_chunk_ = false;  // the table was truncated inside the window
	std::string token_;           // names this chunk's watermarks
	std::string after_key_;       // key of the last row of the previous chunk ("" = start)
	std::vector<std::string> rows_;   // frames of the chunk
	std::vector<std::string> keys_;   // their keys
	std::unordered_set<std::string> changed_;  // keys changed inside the window
	uint64_t rows_sent_ = 0;
	uint64_t chunk_number_ = 0;
};

}  // namespace flatwal

#endif  // FLATWAL_ON_DEMAND_H
