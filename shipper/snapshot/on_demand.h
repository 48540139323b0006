// on_demand.h — on-demand snapshots while streaming goes on (the DBLog
// method, Andreev & Grinev, Netflix 2019).
//
// A request (flatwal.request_snapshot(t) with the extension, a row of the
// signal table with --source pgoutput: on_demand_source.h) is seen in the
// stream; from there the table is read in key order, chunk by chunk, on a
// side connection:
//
//   emit LOW watermark -> read the next chunk -> emit HIGH watermark
//
// From LOW in the stream on, the keys of every change to the table are noted;
// once HIGH has passed, the chunk's rows are sent (op = read) except those
// keys, whose newer values the stream already carried. So no consumer ends with a
// stale row, and streaming never pauses. Requests live in a table
// (flatwal.snapshot_requests, or the signal table): after a restart,
// unfinished ones start over.
//
// A transaction is streamed once its commit is in the WAL, which can be before
// other sessions see it (while its backend ends it, or for as long as it waits
// for a synchronous standby). So: the table is read only once the request row
// is visible, and request_snapshot() commits with remote_apply, after which
// everything streamed before the request is visible too (a signal row's
// commit waits as its session's synchronous_commit says); and keys changed by
// transactions streamed after the request are also left out of any chunk whose
// snapshot did not see them (Lane::streamed).
//
// With several readers (--snapshot-workers), each reads its own chunks on
// its own connection and thread (chunk_reader.h), under its own watermarks:
// several requested tables are read at once, and a large table with one
// integer key is split into as many key ranges as there are readers. Every
// key lies in one range, read by one reader in key order, so each key's rows
// keep their order.
#ifndef FLATWAL_ON_DEMAND_H
#define FLATWAL_ON_DEMAND_H

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "chunk_reader.h"
#include "lsn_tracker.h"
#include "on_demand_source.h"
#include "side_session.h"
#include "status.h"
#include "table_catalog.h"
#include "wire.h"

namespace flatwal {

class OnDemandSnapshots {
 public:
	using Emit = std::function<Status(const uint8_t* frame, size_t size)>;

	// `source` keeps the requests and reads the chunks. `catalog` renders the
	// keys of changes and rows; emit() teaches it the Schema frames sent
	// before a table's rows. `deliveries` numbers what emit() produces and
	// says when Kafka acknowledged it: a request is done once its End marker
	// and everything before it are.
	OnDemandSnapshots(std::string conninfo, std::unique_ptr<OnDemandSource> source, const TableCatalog* catalog,
	                  Emit emit, const LsnTracker* deliveries, int readers = 1, int chunk_rows = 1000);

	// Picks up requests left unfinished by an earlier run.
	Status Resume();
	// A request seen in the stream (its source's way); a known id is ignored.
	void Enqueue(int64_t id, uint32_t relid);
	// Sees every frame of the stream before it is routed; only takes notes.
	// Returns true for the shipper's own messages (requests, watermarks),
	// which go to no topic.
	bool Observe(const wire::Event& event);
	// Sends the chunks whose HIGH watermark arrived and starts the next ones.
	// Call it between transactions.
	Status Step();

 private:
	using Clock = std::chrono::steady_clock;
	// Keys each transaction changed in one table, as the stream carried them.
	using KeysByTransaction = std::unordered_map<uint32_t, std::vector<std::string>>;
	struct Request {
		int64_t id = 0;
		uint32_t relid = 0;
		std::string schema, table;
		bool active = false;     // its Start marker was sent and its ranges planned
		Clock::time_point activate_at{};  // not tried again before this
		Clock::time_point waiting_since{};  // first found its row invisible
		bool waiting_logged = false;        // … and said so
		int ranges_unassigned = 0;  // ranges no reader has taken yet
		int ranges_left = 0;     // ranges not read to their end yet
		bool ended = false;      // its End marker was sent …
		LsnTracker::Seq end_messages = 0;  // … and this many messages produced with it
		// From the request's message in the stream until a reader takes its
		// last range: what each reader's record starts from (see Lane::streamed).
		KeysByTransaction streamed;
		uint64_t rows_sent = 0;
		// Rows left out because the stream carried a newer value: changed in
		// a chunk's window, or by a transaction its snapshot did not see.
		uint64_t rows_newer_in_window = 0, rows_newer_unseen = 0;
	};
	// A key range of a requested table, read chunk by chunk by one reader.
	struct Range {
		int64_t request = 0;
		uint32_t relid = 0;
		std::string first_after;  // rows after this key ("" = from the first)
		std::string before;       // … and before this one ("" = to the last)
	};
	// A reader and the range it works through.
	struct Lane {
		std::unique_ptr<ChunkReader> reader;
		bool has_range = false;
		Range range;
		std::string after_key;        // the last key sent from the range
		std::string token;            // the chunk under way ("" = none)
		// A chunk's row is left out when the stream carried a newer value of
		// its key before the row is sent, which happens in two ways:
		//  - a transaction committed inside the chunk's window (from its LOW
		//    watermark until its rows are sent): `changed`;
		//  - a transaction the chunk's snapshot did not see, even one committed
		//    before LOW (its backend had not ended it yet, e.g. while waiting
		//    for a synchronous standby): `streamed`, kept from the request's
		//    message on and pruned of transactions a chunk's snapshot saw.
		bool window_open = false;     // its LOW seen, its rows not sent yet: changes are noted
		bool high_seen = false;       // its HIGH seen: the rows can be sent once read
		bool discard = false;         // the table was truncated inside the window
		std::unordered_set<std::string> changed;
		KeysByTransaction streamed;
		std::unique_ptr<ChunkRead> read;           // the chunk read, waiting for its HIGH
		Clock::time_point retry_at{};  // after a failed read, not again before this
	};

	// Runs a statement on the control connection. False when it failed (logged):
	// the caller tries again at a later step.
	bool Query(const std::string& sql, PgResult* result = nullptr, PgSession::Format format = PgSession::Format::kText);
	Request* FindRequest(int64_t id);
	// Gives `lane` the next range to read, starting the next request when
	// none is left; false when there is nothing to do now.
	bool AssignRange(Lane& lane, Status* status);
	// Reads the request's state and names; false while its row is not visible yet.
	bool Activate(Request& request, bool* skip);
	// The key ranges `request`'s table is read in: one, or one per reader.
	bool PlanRanges(const Request& request, std::vector<Range>* ranges);
	// Drops from the requests' own notes the transactions `snapshot` sees:
	// every range not taken yet is first read in a later snapshot, which sees
	// them too. Keeps the notes of a request that waits small.
	void ForgetSeenTransactions(const ChunkSnapshot& snapshot);
	void StartChunk(Lane& lane);
	// The reader is done with the chunk: keep it for its HIGH, or read it again.
	void TakeChunk(Lane& lane);
	Status FinishChunk(Lane& lane);
	// After its last range: the End marker.
	Status EndRequest(Request& request);
	// Once Kafka acknowledged the End marker and all before it: marked done.
	void CompleteRequests();
	Status EmitMarker(const Request& request, bool start);

	std::unique_ptr<OnDemandSource> source_;
	SideSession session_;  // requests, planning and schema frames
	const TableCatalog* catalog_;
	Emit emit_;
	const LsnTracker* deliveries_;
	int chunk_rows_;
	std::deque<Request> requests_;
	std::unordered_set<int64_t> known_;  // requests queued or running in this process
	std::deque<Range> ranges_;           // ranges of active requests no reader has taken yet
	std::vector<Lane> lanes_;
	uint64_t chunk_number_ = 0;
};

}  // namespace flatwal

#endif  // FLATWAL_ON_DEMAND_H
