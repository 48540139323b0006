// Unit tests for shipper/snapshot/snapshot_plan.h, the one planner of both
// snapshot kinds: the ranges a large table is read in by several connections
// cover every key once, in order; only tables the rule lets split are split,
// and their key's bounds are read only then.
#include "unit.h"

#include <cstdint>
#include <limits>
#include <vector>

#include "snapshot_plan.h"

using flatwal::KeyRange;
using flatwal::SplitFacts;
using flatwal::SplitKeyRange;
using flatwal::Status;

namespace {

// How many ranges hold `key`.
int Holding(const std::vector<KeyRange>& ranges, int64_t key) {
	int n = 0;
	for (const KeyRange& r : ranges)
		if ((!r.has_from || key >= r.from) && (!r.has_to || key < r.to)) ++n;
	return n;
}

void one_part_is_one_unbounded_range(void**) {
	for (int parts : {0, 1}) {
		std::vector<KeyRange> ranges = SplitKeyRange(1, 1000, parts);
		assert_int_equal(ranges.size(), 1);
		assert_false(ranges[0].has_from);
		assert_false(ranges[0].has_to);
	}
	assert_int_equal(SplitKeyRange(10, 1, 4).size(), 1);  // an empty table's min > max never happens, but is safe
}

void equal_widths_in_key_order(void**) {
	std::vector<KeyRange> ranges = SplitKeyRange(1, 1000, 4);
	assert_int_equal(ranges.size(), 4);
	assert_false(ranges[0].has_from);
	assert_int_equal(ranges[0].to, 251);
	assert_int_equal(ranges[1].from, 251);
	assert_int_equal(ranges[1].to, 501);
	assert_int_equal(ranges[2].from, 501);
	assert_int_equal(ranges[3].from, 751);
	assert_false(ranges[3].has_to);
	for (size_t i = 1; i + 1 < ranges.size(); ++i) assert_true(ranges[i].has_from && ranges[i].has_to);
}

void every_key_in_exactly_one_range(void**) {
	const int64_t cases[][2] = {{1, 1000}, {-500, 499}, {0, 2}, {7, 7}, {-3, 100003}};
	for (const auto& c : cases)
		for (int parts = 2; parts <= 16; ++parts) {
			std::vector<KeyRange> ranges = SplitKeyRange(c[0], c[1], parts);
			assert_true(ranges.size() >= 1 && ranges.size() <= static_cast<size_t>(parts));
			for (int64_t key = c[0] - 5; key <= c[1] + 5; key += (c[1] - c[0] > 1000 ? 97 : 1))
				assert_int_equal(Holding(ranges, key), 1);
		}
}

void fewer_keys_than_parts(void**) {
	std::vector<KeyRange> ranges = SplitKeyRange(5, 6, 4);
	assert_int_equal(ranges.size(), 2);
	assert_int_equal(ranges[0].to, 6);
	assert_int_equal(ranges[1].from, 6);
	assert_false(ranges[1].has_to);
}

void the_whole_bigint_range_does_not_overflow(void**) {
	const int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
	std::vector<KeyRange> ranges = SplitKeyRange(lo, hi, 3);
	assert_int_equal(ranges.size(), 3);
	assert_true(ranges[0].to < ranges[1].to);
	for (int64_t key : {lo, lo + 1, int64_t{-1}, int64_t{0}, int64_t{1}, hi - 1, hi})
		assert_int_equal(Holding(ranges, key), 1);
}

// The one split rule of the initial and the on-demand snapshot.
void large_tables_keyed_by_one_integer_are_split(void**) {
	assert_true(flatwal::SplitsInto(2, true, flatwal::kSplitMinRows));
	assert_false(flatwal::SplitsInto(2, true, flatwal::kSplitMinRows - 1));  // small: one reader is enough
	assert_false(flatwal::SplitsInto(1, true, 50 * flatwal::kSplitMinRows));  // one reader
	assert_false(flatwal::SplitsInto(4, false, 50 * flatwal::kSplitMinRows));  // a composite or text key
	// Each range numbers its rows from its own base in 2^32 / parts.
	assert_true(flatwal::SplitsInto(2, true, (int64_t{1} << 30) - 1));
	assert_false(flatwal::SplitsInto(2, true, int64_t{1} << 30));
}

// The planner: how often it read the key's bounds, and what it planned.
struct Planned {
	int bounds_reads = 0;
	std::vector<KeyRange> ranges;
	Status status = Status::Ok();
};
Planned Plan(int readers, SplitFacts facts, bool empty, int64_t lo, int64_t hi) {
	Planned p;
	p.status = flatwal::PlanKeyRanges(readers, facts, [&](bool* is_empty, int64_t* low, int64_t* high) {
		++p.bounds_reads;
		*is_empty = empty;
		*low = lo;
		*high = hi;
		return Status::Ok();
	}, &p.ranges);
	return p;
}

void the_planner_reads_bounds_only_for_a_table_that_splits(void**) {
	const SplitFacts big{true, 10 * flatwal::kSplitMinRows}, small{true, 10}, text_key{false, 10 * flatwal::kSplitMinRows};
	for (const SplitFacts& facts : {small, text_key}) {
		Planned p = Plan(4, facts, false, 1, 1000000);
		assert_true(p.status.ok());
		assert_int_equal(p.bounds_reads, 0);
		assert_int_equal(p.ranges.size(), 1);
		assert_false(p.ranges[0].has_from || p.ranges[0].has_to);
	}
	Planned one_reader = Plan(1, big, false, 1, 1000000);
	assert_int_equal(one_reader.bounds_reads, 0);
	assert_int_equal(one_reader.ranges.size(), 1);
	Planned split = Plan(4, big, false, 1, 1000000);
	assert_int_equal(split.bounds_reads, 1);
	assert_int_equal(split.ranges.size(), 4);
	for (int64_t key : {int64_t{-5}, int64_t{1}, int64_t{250001}, int64_t{1000000}, int64_t{5000000}})
		assert_int_equal(Holding(split.ranges, key), 1);
	// Empty by the time the bounds are read (the estimate is old): one range that holds whatever comes.
	Planned empty = Plan(4, big, true, 0, 0);
	assert_int_equal(empty.bounds_reads, 1);
	assert_int_equal(empty.ranges.size(), 1);
	assert_false(empty.ranges[0].has_from || empty.ranges[0].has_to);
}

void a_failed_bounds_read_is_the_plans_failure(void**) {
	std::vector<KeyRange> ranges;
	Status st = flatwal::PlanKeyRanges(2, SplitFacts{true, 10 * flatwal::kSplitMinRows},
	                                   [](bool*, int64_t*, int64_t*) {
		                                   return Status::Error(flatwal::ErrorKind::kUnavailable, "gone");
	                                   },
	                                   &ranges);
	assert_false(st.ok());
}

void ranges_as_sql_and_their_numbering(void**) {
	const std::vector<KeyRange> ranges = SplitKeyRange(0, 99, 3);
	assert_string_equal(flatwal::RangeWhereSql(KeyRange(), "\"id\"").c_str(), "");
	assert_string_equal(flatwal::RangeWhereSql(ranges[0], "\"id\"").c_str(), " WHERE \"id\" < 34");
	assert_string_equal(flatwal::RangeWhereSql(ranges[1], "\"id\"").c_str(), " WHERE \"id\" >= 34 AND \"id\" < 68");
	assert_string_equal(flatwal::RangeWhereSql(ranges[2], "\"id\"").c_str(), " WHERE \"id\" >= 68");
	// Each range numbers its rows from its own base; any table the rule splits fits below the next base.
	assert_int_equal(flatwal::RangeSeqBase(0, 1), 0);
	assert_int_equal(flatwal::RangeSeqBase(0, 3), 0);
	const int64_t largest = (int64_t{1} << 32) / 3 / 2 - 1;
	assert_true(flatwal::SplitsInto(3, true, largest));
	for (size_t i = 0; i + 1 < 3; ++i)
		assert_true(flatwal::RangeSeqBase(i, 3) + 2 * largest < flatwal::RangeSeqBase(i + 1, 3));
	assert_true(flatwal::RangeSeqBase(2, 3) + 2 * largest <= UINT32_MAX);
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_part_is_one_unbounded_range),
	    cmocka_unit_test(equal_widths_in_key_order),
	    cmocka_unit_test(every_key_in_exactly_one_range),
	    cmocka_unit_test(fewer_keys_than_parts),
	    cmocka_unit_test(the_whole_bigint_range_does_not_overflow),
	    cmocka_unit_test(large_tables_keyed_by_one_integer_are_split),
	    cmocka_unit_test(the_planner_reads_bounds_only_for_a_table_that_splits),
	    cmocka_unit_test(a_failed_bounds_read_is_the_plans_failure),
	    cmocka_unit_test(ranges_as_sql_and_their_numbering),
	};
	return cmocka_run_group_tests(tests, nullptr, nullptr);
}
