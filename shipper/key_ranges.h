// key_ranges.h — a table with one integer key split into equal-width key
// ranges, so that several connections can read it at once (the initial
// snapshot's workers, the on-demand snapshot's readers). Pure C++.
#ifndef FLATWAL_KEY_RANGES_H
#define FLATWAL_KEY_RANGES_H

#include <cstdint>
#include <vector>

namespace flatwal {

// Tables with fewer rows (by the planner's estimate) are read by one
// connection: splitting them saves nothing.
constexpr int64_t kSplitMinRows = 100000;

// Keys k with from <= k < to. The first range has no lower bound and the last
// no upper one, so together they hold every key, also keys written below the
// minimum or above the maximum after those were read.
struct KeyRange {
	bool has_from = false;
	int64_t from = 0;
	bool has_to = false;
	int64_t to = 0;
};

// Up to `parts` ranges over [lo, hi] (fewer when there are fewer keys than
// parts), in key order; one unbounded range when parts <= 1 or lo > hi.
inline std::vector<KeyRange> SplitKeyRange(int64_t lo, int64_t hi, int parts) {
	std::vector<KeyRange> ranges;
	if (parts <= 1 || lo > hi) return std::vector<KeyRange>(1);
	// 128-bit: hi - lo + 1 overflows int64 for keys across the whole range.
	const __int128 width = (static_cast<__int128>(hi) - lo + 1 + parts - 1) / parts;
	for (int i = 0; i < parts; ++i) {
		const __int128 from = lo + width * i, to = lo + width * (i + 1);
		if (from > hi) break;
		KeyRange range;
		range.has_from = i > 0;
		range.from = static_cast<int64_t>(from);
		range.has_to = to <= hi;
		range.to = range.has_to ? static_cast<int64_t>(to) : 0;
		ranges.push_back(range);
	}
	return ranges;
}

}  // namespace flatwal

#endif  // FLATWAL_KEY_RANGES_H
