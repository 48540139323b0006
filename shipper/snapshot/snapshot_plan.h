// snapshot_plan.h — the one planner of both snapshot kinds (the initial
// snapshot's workers, the on-demand snapshot's readers): whether a table is
// read by several connections at once, and the key ranges they read — a table
// with one integer key split into equal-width ranges. The rule and the split
// are pure C++; the planner asks its caller for the facts and the key's bounds.
#ifndef FLATWAL_SNAPSHOT_PLAN_H
#define FLATWAL_SNAPSHOT_PLAN_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pg_session.h"
#include "status.h"

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

// What the planner needs to know of a table, from the source's catalog
// (a partitioned table's estimate is its partitions').
struct SplitFacts {
	bool one_integer_key = false;
	int64_t estimated_rows = 0;
};

// Reads the key's lowest and highest values now; *empty when the table has no rows.
using KeyBoundsReader = std::function<Status(bool* empty, int64_t* lo, int64_t* hi)>;

// The plan of one table for `readers` connections: one unbounded range unless
// the table splits (SplitsInto), else the ranges SplitKeyRange makes of the
// key's bounds, which are read only then. An empty table is one range.
Status PlanKeyRanges(int readers, const SplitFacts& facts, const KeyBoundsReader& read_bounds,
                     std::vector<KeyRange>* ranges);

// SQL: the estimated rows of pg_class row `c`, a partitioned table's being
// its partitions' (it has none of its own).
const char* EstimatedRowsSql();

// The split facts of table `relid` as SQL returning one row (none when the
// table is gone or has no key): whether its message key is one integer
// column, its estimated rows, a statement returning that column's min and
// max, and the column's name quoted. The
// key is the extension's (flatwal.key_columns) or, for a pgoutput source,
// the replica identity index's or the primary key's.
std::string ExtensionSplitFactsSql(uint32_t relid);
std::string PgoutputSplitFactsSql(uint32_t relid);

// Runs one statement for the planner (on the caller's session, inside the
// snapshot's transaction when it has one).
using PlannerQuery = std::function<Status(const std::string& sql, PgResult* result)>;

// PlanKeyRanges for a table from the database: runs `split_facts_sql` (one of
// the two above), then the bounds statement it returns when the table splits.
// *key_column (when asked for): the quoted column the ranges are of, when
// there are several.
Status PlanTableRanges(int readers, const std::string& split_facts_sql, const PlannerQuery& query,
                       std::vector<KeyRange>* ranges, std::string* key_column = nullptr);

// A range as SQL conditions on `column` (quoted): "" for the unbounded range,
// else " WHERE column >= from AND column < to" (either bound alone at the ends).
std::string RangeWhereSql(const KeyRange& range, const std::string& column);

// Where the numbers (seq) of range `index`'s rows start when a table is read
// in `readers` ranges: each range numbers its rows from its own base, far
// enough apart for any table SplitsInto lets split.
inline uint64_t RangeSeqBase(size_t index, int readers) {
	return readers > 1 ? (uint64_t{1} << 32) / static_cast<uint64_t>(readers) * index : 0;
}

}  // namespace flatwal

#endif  // FLATWAL_SNAPSHOT_PLAN_H
