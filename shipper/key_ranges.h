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

// The one rule by which the initial and the on-demand snapshot split a table
// into `parts` key ranges: keyed by one integer column, and estimated at
// kSplitMinRows or more — but fewer than 2^32 / parts (a range numbers its
// rows from its own base, with a margin for the estimate). A partitioned
// table is split like any other, by the rows of its partitions.
inline bool SplitsInto(int parts, bool one_integer_key, int64_t estimated_rows) {
	return parts > 1 && one_integer_key && estimated_rows >= kSplitMinRows &&
	       estimated_rows * 2 < (int64_t{1} << 32) / parts;
}

// SQL: the estimated rows of pg_class row `c`, a partitioned table's being
// its partitions' (it has none of its own).
inline const char* EstimatedRowsSql() {
	return "(CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(greatest(l.reltuples, 0)), 0) "
	       "FROM pg_catalog.pg_partition_tree(c.oid) t JOIN pg_catalog.pg_class l ON l.oid = t.relid WHERE t.isleaf) "
	       "ELSE greatest(c.reltuples, 0) END)::bigint";
}

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
