// extension_on_demand.h — on-demand snapshots with the flatwal extension
// (on_demand_source.h): requests in flatwal.snapshot_requests, made by
// flatwal.request_snapshot(), whose logical message starts them in the
// stream; chunks read by flatwal.snapshot_chunk(), which writes the frames in
// the server; Schema frames from flatwal.schema_frame().
#ifndef FLATWAL_EXTENSION_ON_DEMAND_H
#define FLATWAL_EXTENSION_ON_DEMAND_H

#include <functional>
#include <string>

#include "on_demand_source.h"
#include "table_catalog.h"

namespace flatwal {

class ExtensionOnDemand : public OnDemandSource {
 public:
	using Emit = std::function<Status(const uint8_t* frame, size_t size)>;

	// Serves the requests for tables of `table_set`; other sets' shippers
	// serve theirs. `catalog` tells which Schema frames were sent; emit()
	// sends one.
	ExtensionOnDemand(std::string table_set, const TableCatalog* catalog, Emit emit)
	    : table_set_(std::move(table_set)), catalog_(catalog), emit_(std::move(emit)) {}

	std::string UnfinishedRequests() const override;
	std::string RequestState(int64_t id, uint32_t relid) const override;
	bool OthersServe() const override { return true; }
	std::string MarkRunning(int64_t id) const override;
	std::string MarkDone(int64_t id, uint64_t rows) const override;
	std::string SplitFacts(uint32_t relid) const override;
	Status ReadChunk(SideSession& session, const ChunkRequest& chunk, ChunkRead* read) const override;
	Status Frames(SideSession& control, const ChunkRead& read, std::vector<std::string>* frames, bool* retry) override;

 private:
	// Sends the table's current Schema frame unless the catalog knows `version`.
	Status EnsureSchema(SideSession& control, uint32_t relid, uint32_t version, bool* retry);

	std::string table_set_;
	const TableCatalog* catalog_;
	Emit emit_;
};

}  // namespace flatwal

#endif  // FLATWAL_EXTENSION_ON_DEMAND_H
