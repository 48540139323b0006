// position.h — where a change stands in the source's history: the timeline
// of the WAL it was decoded from, its transaction's commit LSN, its ordinal
// in the transaction, and, for the two messages of an update that changed
// the key, which one (0: the delete under the old key, 1: the row under the
// new key). flatwal-sink compares positions to skip what it already applied.
//
// The timeline comes first: a promoted standby continues from its replay
// point on a higher timeline, so a change the old primary shipped but the
// standby never received (a ghost) may have a higher LSN than the new
// primary's changes, which are nevertheless newer (docs/format.md,
// "Positions"). Pure C++, header-only.
#ifndef FLATWAL_SINK_POSITION_H
#define FLATWAL_SINK_POSITION_H

#include <cstdint>
#include <string>
#include <tuple>

#include "lsn.h"

namespace flatwal {

struct Position {
	uint32_t timeline = 0;  // 0: not known (frames made by hand; compares below every real one)
	uint64_t commit_lsn = 0;
	uint32_t seq = 0;
	uint8_t step = 1;

	bool operator<(const Position& o) const {
		return std::tie(timeline, commit_lsn, seq, step) < std::tie(o.timeline, o.commit_lsn, o.seq, o.step);
	}
	bool operator<=(const Position& o) const { return !(o < *this); }
};

// Whether two positions are one change's (its two copies, under the old and
// the new key of a key move, differ only in step).
inline bool SameChange(const Position& a, const Position& b) {
	return a.timeline == b.timeline && a.commit_lsn == b.commit_lsn && a.seq == b.seq;
}

// A key move's position as the targets' ledgers and owed rows spell it
// (pg_ledger.h, clickhouse_ledger.cpp): "<timeline>:<commit LSN>:<seq>",
// e.g. "2:0/16B3F10:4" (the PostgreSQL target reads its first two parts back).
inline std::string MoveName(const Position& pos) {
	return std::to_string(pos.timeline) + ":" + LsnText(pos.commit_lsn) + ":" + std::to_string(pos.seq);
}

// Where a table's rows begin to count: its latest truncate's position (the
// record's LSN within its transaction), or a completed snapshot's consistent
// point (lsn 0). Rows last changed before it are gone at the source.
struct Floor {
	uint32_t timeline = 0;
	uint64_t commit_lsn = 0;
	uint64_t lsn = 0;

	// Whether a change at (pos's timeline and commit LSN, record `lsn`) is older.
	bool Above(const Position& pos, uint64_t change_lsn) const {
		return std::tie(pos.timeline, pos.commit_lsn, change_lsn) < std::tie(timeline, commit_lsn, lsn);
	}
};

}  // namespace flatwal

#endif  // FLATWAL_SINK_POSITION_H
