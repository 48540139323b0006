// pgoutput_on_demand.h — on-demand snapshots for --source pgoutput
// (on_demand_source.h), where no extension may be installed and the shipper
// may be no superuser:
//   - requests are rows of a signal table of the user's, in the publication
//     (docs/pgoutput.md has its CREATE TABLE): an insert reaches the shipper
//     through the stream (PgoutputFrames' signal), and the shipper writes the
//     request's state back into the row, so unfinished ones resume after a
//     restart;
//   - watermarks are pg_logical_emit_message(), which any role may call;
//   - a chunk is a plain SELECT in key order, as text, under the session
//     settings the stream's values are written with, framed by the stream's
//     own PgoutputFrames (so rows and changes share schema versions).
#ifndef FLATWAL_PGOUTPUT_ON_DEMAND_H
#define FLATWAL_PGOUTPUT_ON_DEMAND_H

#include <string>

#include "on_demand_source.h"
#include "pgoutput_frames.h"

namespace flatwal {

// SQL: the OID of the table a signal row names in `name` (an SQL text
// expression) — schema-qualified, or visible on the search path; quoted as in
// SQL or not — and 0 for none. Unlike to_regclass(), no text makes it fail,
// so no row a user inserts can stop the shipper.
std::string SignalTableOid(const std::string& name);

class PgoutputOnDemand : public OnDemandSource {
 public:
	// `signal_table`: the signal table's name, quoted; `publication`: the
	// publication's name as an SQL literal. `column_lists`: the server keeps
	// publication column lists (PostgreSQL 15). `frames` outlives this.
	PgoutputOnDemand(std::string signal_table, std::string publication, bool column_lists, PgoutputFrames* frames)
	    : signal_table_(std::move(signal_table)),
	      publication_(std::move(publication)),
	      column_lists_(column_lists),
	      frames_(frames) {}

	std::string UnfinishedRequests() const override;
	std::string RequestState(int64_t id, uint32_t relid) const override;
	bool OthersServe() const override { return false; }  // one shipper per publication
	std::string MarkRunning(int64_t id) const override;
	std::string MarkDone(int64_t id, uint64_t rows) const override;
	std::string SplitFacts(uint32_t relid) const override;
	Status ReadChunk(SideSession& session, const ChunkRequest& chunk, ChunkRead* read) const override;
	Status Frames(SideSession& control, const ChunkRead& read, std::vector<std::string>* frames, bool* retry) override;

 private:
	std::string signal_table_;
	std::string publication_;
	bool column_lists_;
	PgoutputFrames* frames_;
};

}  // namespace flatwal

#endif  // FLATWAL_PGOUTPUT_ON_DEMAND_H
