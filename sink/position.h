// position.h — where a change stands in the source's history: its
// transaction's commit LSN, its ordinal in the transaction, and, for the
// two messages of an update that changed the key, which one (0: the delete
// under the old key, 1: the row under the new key). flatwal-sink compares
// positions to skip what it already applied. Pure C++, header-only.
#ifndef FLATWAL_SINK_POSITION_H
#define FLATWAL_SINK_POSITION_H

#include <cstdint>
#include <tuple>

namespace flatwal {

struct Position {
	uint64_t commit_lsn = 0;
	uint32_t seq = 0;
	uint8_t step = 1;

	bool operator<(const Position& o) const { return std::tie(commit_lsn, seq, step) < std::tie(o.commit_lsn, o.seq, o.step); }
	bool operator<=(const Position& o) const { return !(o < *this); }
};

}  // namespace flatwal

#endif  // FLATWAL_SINK_POSITION_H
