// chunk_snapshot.h — the snapshot an on-demand chunk was read in
// (pg_current_snapshot()), for telling which transactions' changes the
// chunk's rows do not hold. Pure C++, no PostgreSQL.
#ifndef FLATWAL_CHUNK_SNAPSHOT_H
#define FLATWAL_CHUNK_SNAPSHOT_H

#include <cstdint>
#include <string>
#include <vector>

namespace flatwal {

struct ChunkSnapshot {
	uint32_t xmax = 0;              // transactions from here on had not started
	std::vector<uint32_t> running;  // transactions below xmax that had not ended
	// True when the rows cannot hold `xid`'s changes. 32-bit xids (what
	// frames carry), compared as PostgreSQL compares them: modulo 2^32.
	bool Invisible(uint32_t xid) const;
};

// Parses pg_snapshot's text ("xmin:xmax:xip,…", 64-bit xids); false when it is not one.
bool ParseChunkSnapshot(const std::string& text, ChunkSnapshot* snapshot);

}  // namespace flatwal

#endif  // FLATWAL_CHUNK_SNAPSHOT_H
