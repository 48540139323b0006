// Unit tests for shipper/chunk_snapshot.h: which transactions an on-demand
// chunk's snapshot did not see, from pg_current_snapshot()'s text.
#include "unit.h"

#include <cstdint>

#include "chunk_snapshot.h"

using flatwal::ChunkSnapshot;
using flatwal::ParseChunkSnapshot;

namespace {

void running_and_later_transactions_are_invisible(void**) {
	ChunkSnapshot s;
	assert_true(ParseChunkSnapshot("100:105:100,102", &s));
	assert_int_equal(s.xmax, 105);
	assert_int_equal(s.running.size(), 2);
	assert_false(s.Invisible(99));   // ended before the snapshot
	assert_true(s.Invisible(100));   // running
	assert_false(s.Invisible(101));  // ended, though above xmin
	assert_true(s.Invisible(102));
	assert_false(s.Invisible(104));
	assert_true(s.Invisible(105));   // not started yet
	assert_true(s.Invisible(200));
}

void nothing_running(void**) {
	ChunkSnapshot s;
	s.running.push_back(7);  // a parse replaces what was there
	assert_true(ParseChunkSnapshot("100:100:", &s));
	assert_int_equal(s.running.size(), 0);
	assert_false(s.Invisible(99));
	assert_true(s.Invisible(100));
}

// xid8 carries the epoch in its high 32 bits; frames carry the low 32.
void epochs_are_dropped(void**) {
	ChunkSnapshot s;
	const uint64_t epoch = 3ULL << 32;
	const std::string text = std::to_string(epoch + 100) + ":" + std::to_string(epoch + 104) + ":" +
	                         std::to_string(epoch + 102);
	assert_true(ParseChunkSnapshot(text, &s));
	assert_int_equal(s.xmax, 104);
	assert_true(s.Invisible(102));
	assert_false(s.Invisible(103));
	assert_true(s.Invisible(104));
}

// Across the wraparound of 32-bit xids, "before" and "after" are modulo 2^32.
void comparison_wraps_around(void**) {
	ChunkSnapshot s;
	const uint64_t before_wrap = (1ULL << 32) - 6;  // low 32 bits 4294967290
	const uint64_t after_wrap = (1ULL << 32) + 5;   // epoch 1, xid 5
	assert_true(ParseChunkSnapshot(std::to_string(before_wrap) + ":" + std::to_string(after_wrap) + ":" +
	                                   std::to_string(before_wrap),
	                               &s));
	assert_int_equal(s.xmax, 5);
	assert_true(s.Invisible(4294967290u));   // running, from before the wrap
	assert_false(s.Invisible(4294967295u));  // ended just before the wrap
	assert_false(s.Invisible(3));            // ended just after it
	assert_true(s.Invisible(5));
	assert_true(s.Invisible(10));
}

void malformed_text_is_refused(void**) {
	ChunkSnapshot s;
	for (const char* text : {"", "abc", "100", "100:", "100:105", "100:105:x", "100:105:101,,"})
		assert_false(ParseChunkSnapshot(text, &s));
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(running_and_later_transactions_are_invisible),
	    cmocka_unit_test(nothing_running),
	    cmocka_unit_test(epochs_are_dropped),
	    cmocka_unit_test(comparison_wraps_around),
	    cmocka_unit_test(malformed_text_is_refused),
	};
	return cmocka_run_group_tests_name("chunk_snapshot", tests, nullptr, nullptr);
}
