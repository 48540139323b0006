// timeline_starts.h — what a target table's rows tell of the source's
// timelines: the lowest commit LSN seen on each.
//
// A standby promoted to timeline T continues from its switch point S: every
// position on T is at or above S, and the old timeline's WAL at or above S
// is not in the new primary's history. So a row of an older timeline whose
// commit LSN is at or above any row seen on T is a change the new primary
// never had (a ghost), whatever the switch point was exactly. The lowest LSN
// seen on T is an upper bound of S that only falls as rows arrive, and stays
// true once learned (it is a fact of the WAL's history, not of a table's
// contents).
//
// flatwal-sink's ClickHouse target needs it because a ReplacingMergeTree
// keeps one row per key by a single version column (_commit_lsn): a ghost's
// higher LSN would win a merge against the new timeline's row of the same
// key. Pure C++, header-only.
#ifndef FLATWAL_SINK_TIMELINE_STARTS_H
#define FLATWAL_SINK_TIMELINE_STARTS_H

#include <cstdint>
#include <map>

#include "position.h"

namespace flatwal {

class TimelineStarts {
 public:
	// A row at (timeline, commit_lsn) exists.
	void Learn(uint32_t timeline, uint64_t commit_lsn) {
		auto [it, added] = starts_.try_emplace(timeline, commit_lsn);
		if (!added && commit_lsn < it->second) it->second = commit_lsn;
	}
	// Whether a change at `pos` is a ghost: a newer timeline has a row at or
	// below its commit LSN. Timeline 0 is not a timeline but "not known" (rows
	// written before positions had one): never a ghost.
	bool Ghost(const Position& pos) const {
		if (pos.timeline == 0) return false;
		for (auto it = starts_.upper_bound(pos.timeline); it != starts_.end(); ++it)
			if (it->second <= pos.commit_lsn) return true;
		return false;
	}
	// Whether a row at (timeline, commit_lsn) would be the lowest known on
	// its timeline: ghosts at or above it may not have been looked for yet.
	bool Lowers(uint32_t timeline, uint64_t commit_lsn) const {
		auto it = starts_.find(timeline);
		return it == starts_.end() || commit_lsn < it->second;
	}
	const std::map<uint32_t, uint64_t>& starts() const { return starts_; }

 private:
	std::map<uint32_t, uint64_t> starts_;  // timeline -> lowest commit LSN seen on it
};

}  // namespace flatwal

#endif  // FLATWAL_SINK_TIMELINE_STARTS_H
