// on_demand_source.h — what on-demand snapshots (on_demand.h) ask of the
// database: where requests are kept, which key range a table splits into, how
// a chunk is read and how its rows become frames. Two sources answer:
//   - extension_on_demand.h: the flatwal extension (flatwal.request_snapshot(),
//     flatwal.snapshot_chunk() writing frames in the server);
//   - pgoutput_on_demand.h: --source pgoutput, where no extension may be
//     installed (a signal table in the publication, rows read as text and
//     framed by the shipper).
// The method (watermarks, windows, readers, key ranges) is the same for both
// and lives in on_demand.cpp.
#ifndef FLATWAL_ON_DEMAND_SOURCE_H
#define FLATWAL_ON_DEMAND_SOURCE_H

#include <cstdint>
#include <string>
#include <vector>

#include "chunk_reader.h"
#include "pg_session.h"
#include "side_session.h"
#include "status.h"

namespace flatwal {

class OnDemandSource {
 public:
	virtual ~OnDemandSource() = default;

	// SQL: (id, relid) of every request not done yet, oldest first.
	virtual std::string UnfinishedRequests() const = 0;
	// SQL: one row for the request's table, none when the table is gone:
	// the request's state (NULL while its row is not visible yet), the
	// table's schema and name, whether this shipper serves it (t/f), and
	// pg_current_snapshot().
	virtual std::string RequestState(int64_t id, uint32_t relid) const = 0;
	// Whether a request this shipper does not serve may be another's (table
	// sets: several shippers read one request table); if not, it is marked
	// done with no rows, as a request for a table that does not exist is.
	virtual bool OthersServe() const = 0;
	virtual std::string MarkRunning(int64_t id) const = 0;
	virtual std::string MarkDone(int64_t id, uint64_t rows) const = 0;
	// The table's split facts for the planner (snapshot_plan.h, the one
	// planner of both snapshot kinds): ExtensionSplitFactsSql or PgoutputSplitFactsSql.
	virtual std::string SplitFacts(uint32_t relid) const = 0;

	// On a reader's thread, inside the chunk's REPEATABLE READ transaction:
	// reads `chunk` into `read`, whose rows take read->low_lsn (the LOW
	// watermark) as commit LSN. Touches no state of the source.
	virtual Status ReadChunk(SideSession& session, const ChunkRequest& chunk, ChunkRead* read) const = 0;
	// On the streaming loop: the chunk's rows as frames, one per row, in key
	// order; a Schema frame they need that was not sent is emitted first
	// (asking `control`, the on-demand snapshots' own session, if need be).
	// *retry when the rows cannot be framed now: the chunk is read again.
	virtual Status Frames(SideSession& control, const ChunkRead& read, std::vector<std::string>* frames,
	                      bool* retry) = 0;
};

}  // namespace flatwal

#endif  // FLATWAL_ON_DEMAND_SOURCE_H
