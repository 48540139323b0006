// Unit tests for shipper/key_ranges.h: the ranges a large table is read in
// by several connections cover every key once, in order.
#include "unit.h"

#include <cstdint>
#include <limits>
#include <vector>

#include "key_ranges.h"

using flatwal::KeyRange;
using flatwal::SplitKeyRange;

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

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_part_is_one_unbounded_range),
	    cmocka_unit_test(equal_widths_in_key_order),
	    cmocka_unit_test(every_key_in_exactly_one_range),
	    cmocka_unit_test(fewer_keys_than_parts),
	    cmocka_unit_test(the_whole_bigint_range_does_not_overflow),
	    cmocka_unit_test(large_tables_keyed_by_one_integer_are_split),
	};
	return cmocka_run_group_tests(tests, nullptr, nullptr);
}
