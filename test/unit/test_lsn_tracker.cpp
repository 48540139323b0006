// Unit tests for the LSN tracker (shipper/lsn_tracker.cpp): nothing is
// confirmed before Kafka acknowledged every message below it.
#include "unit.h"

#include <sys/time.h>

#include <algorithm>
#include <random>
#include <vector>

#include "lsn_tracker.h"

using flatwal::LsnTracker;

namespace {

void nothing_confirmed_before_acks(void**) {
	LsnTracker t;
	auto a = t.Produced();
	auto b = t.Produced();
	t.Boundary(100);
	assert_int_equal(t.Confirmable(), 0);
	t.Delivered(b);
	assert_int_equal(t.Confirmable(), 0);  // a is still in flight
	t.Delivered(a);
	assert_int_equal(t.Confirmable(), 100);
	assert_int_equal(t.InFlight(), 0);
}

void out_of_order_acks_across_transactions(void**) {
	LsnTracker t;
	auto t1 = t.Produced();
	t.Boundary(100);
	auto t2a = t.Produced();
	auto t2b = t.Produced();
	t.Boundary(200);
	auto t3 = t.Produced();
	t.Boundary(300);
	t.Delivered(t3);
	t.Delivered(t2b);
	assert_int_equal(t.Confirmable(), 0);
	t.Delivered(t1);
	assert_int_equal(t.Confirmable(), 100);
	t.Delivered(t2a);
	assert_int_equal(t.Confirmable(), 300);
}

void failure_holds_the_position_forever(void**) {
	LsnTracker t;
	auto a = t.Produced();
	t.Boundary(100);
	auto b = t.Produced();
	t.Boundary(200);
	auto c = t.Produced();
	t.Boundary(300);
	t.Delivered(a);
	t.Failed(b);
	t.Delivered(c);
	assert_true(t.failed());
	assert_int_equal(t.Confirmable(), 100);
	auto d = t.Produced();  // later traffic does not move it either
	t.Boundary(400);
	t.Delivered(d);
	assert_int_equal(t.Confirmable(), 100);
}

void boundary_without_messages_confirms_once_earlier_ones_are_acked(void**) {
	LsnTracker t;
	t.Boundary(50);  // an idle position with nothing produced
	assert_int_equal(t.Confirmable(), 50);
	auto a = t.Produced();
	t.Boundary(100);
	t.Boundary(150);  // idle again before the ack: merges with the previous boundary
	assert_int_equal(t.Confirmable(), 50);
	t.Delivered(a);
	assert_int_equal(t.Confirmable(), 150);
}

void confirmed_never_moves_backwards(void**) {
	LsnTracker t;
	t.Boundary(500);
	assert_int_equal(t.Confirmable(), 500);
	t.Boundary(400);  // a stale position after a reconnect
	assert_int_equal(t.Confirmable(), 500);
}

// A new slot (a resync after failover): its WAL may be behind the old
// primary's, so the old confirmed LSN must not be confirmed on it.
void a_rebase_confirms_only_the_new_slots_positions(void**) {
	LsnTracker t;
	t.Delivered(t.Produced());
	t.Boundary(0x9000);
	assert_int_equal(t.Confirmable(), 0x9000);
	t.Rebase();
	assert_int_equal(t.Confirmable(), 0);
	auto a = t.Produced();
	t.Boundary(0x5000);
	assert_int_equal(t.Confirmable(), 0);
	t.Delivered(a);
	assert_int_equal(t.Confirmable(), 0x5000);
}

void duplicate_and_unknown_reports_are_ignored(void**) {
	LsnTracker t;
	auto a = t.Produced();
	auto b = t.Produced();
	t.Boundary(100);
	t.Delivered(a);
	t.Delivered(a);
	t.Delivered(12345);
	assert_int_equal(t.Confirmable(), 0);
	t.Delivered(b);
	assert_int_equal(t.Confirmable(), 100);
}

// A commit's latency is recorded when its last message is acknowledged.
void latency_recorded_at_the_last_ack(void**) {
	LsnTracker t;
	auto a = t.Produced();
	auto b = t.Produced();
	int64_t committed = 1000000;  // long ago: the latency is large and positive
	t.Boundary(100, committed);
	t.Boundary(150);              // an idle boundary merges and records nothing of its own
	t.Delivered(b);
	assert_int_equal(t.latencies().size(), 0);
	t.Delivered(a);
	assert_int_equal(t.latencies().size(), 1);
	assert_true(t.latencies()[0] > 0);
	assert_int_equal(t.Confirmable(), 150);
	t.Boundary(200, committed);   // nothing produced for it: no latency to speak of
	assert_int_equal(t.latencies().size(), 1);
}

// Latency quantiles follow the most recent commits however long the shipper
// runs: they once froze after 4,194,304 commits, when samples stopped being kept.
void latency_quantiles_move_after_millions_of_commits(void**) {
	LsnTracker t;
	timeval tv;
	gettimeofday(&tv, nullptr);
	const int64_t now = static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
	const uint64_t slow_commits = (uint64_t{4} << 20) + 1000;
	uint64_t lsn = 0;
	for (uint64_t i = 0; i < slow_commits; ++i) {  // each commit an hour old: latency about 3,600 s
		auto seq = t.Produced();
		t.Boundary(++lsn, now - 3600 * int64_t{1000000});
		t.Delivered(seq);
	}
	assert_true(t.latencies().Quantile(0.5, 10000) > 3000 * int64_t{1000000});
	for (int i = 0; i < 10000; ++i) {  // then fresh commits: latency well under an hour
		auto seq = t.Produced();
		t.Boundary(++lsn, now);
		t.Delivered(seq);
	}
	assert_int_equal(t.latencies().total(), slow_commits + 10000);
	assert_true(t.latencies().Quantile(0.5, 10000) < 600 * int64_t{1000000});
	assert_true(t.latencies().Quantile(0.99, 10000) < 600 * int64_t{1000000});
	assert_true(t.latencies().max() > 3000 * int64_t{1000000});  // the largest is kept apart
	assert_true(t.latencies().size() <= flatwal::LatencyWindow::kDefaultCapacity);
}

// The window keeps the newest samples in order once it has wrapped.
void latency_window_keeps_the_newest(void**) {
	flatwal::LatencyWindow w(4);
	assert_int_equal(w.Quantile(0.5), -1);
	assert_int_equal(w.max(), -1);
	for (int64_t v = 1; v <= 6; ++v) w.Add(v * 10);
	assert_int_equal(w.size(), 4);
	assert_int_equal(w.total(), 6);
	assert_int_equal(w[0], 30);
	assert_int_equal(w[3], 60);
	assert_int_equal(w.Quantile(0.0), 30);
	assert_int_equal(w.Quantile(1.0, 2), 60);
	assert_int_equal(w.Quantile(0.0, 2), 50);
	assert_int_equal(w.max(), 60);
}

// An on-demand snapshot is done once everything produced up to its End
// marker is acknowledged, whatever was produced after it.
void acknowledged_before_a_mark_ignores_later_messages(void**) {
	LsnTracker t;
	auto row = t.Produced();
	auto end_marker = t.Produced();
	const LsnTracker::Seq mark = t.produced();
	auto later = t.Produced();
	assert_int_equal(mark, 2);
	t.Delivered(later);
	assert_false(t.AcknowledgedBefore(mark));
	t.Delivered(end_marker);
	assert_false(t.AcknowledgedBefore(mark));  // the row is still in flight
	t.Delivered(row);
	assert_true(t.AcknowledgedBefore(mark));
	assert_true(t.AcknowledgedBefore(t.produced()));
	t.Produced();
	assert_true(t.AcknowledgedBefore(mark));
	assert_false(t.AcknowledgedBefore(t.produced()));
}

// Many transactions in flight, acks in random order: after every ack the
// confirmed LSN equals the highest boundary whose messages are all acked.
void random_acks_match_a_reference_model(void**) {
	std::mt19937 rng(7);
	for (int trial = 0; trial < 50; ++trial) {
		LsnTracker t;
		std::vector<uint64_t> boundary_of;  // for each message: the boundary that closes it
		std::vector<std::pair<size_t, uint64_t>> boundaries;
		uint64_t lsn = 0;
		int txns = 1 + rng() % 40;
		for (int x = 0; x < txns; ++x) {
			int n = rng() % 5;
			for (int i = 0; i < n; ++i) t.Produced();
			lsn += 1 + rng() % 100;
			t.Boundary(lsn);
			boundaries.emplace_back(t.InFlight(), lsn);
		}
		size_t total = t.InFlight();
		std::vector<uint64_t> order(total);
		for (size_t i = 0; i < total; ++i) order[i] = i;
		std::shuffle(order.begin(), order.end(), rng);
		std::vector<bool> acked(total, false);
		for (uint64_t seq : order) {
			t.Delivered(seq);
			acked[seq] = true;
			size_t prefix = 0;
			while (prefix < total && acked[prefix]) ++prefix;
			uint64_t expected = 0;
			for (auto& b : boundaries)
				if (b.first <= prefix) expected = b.second;
			assert_int_equal(t.Confirmable(), expected);
		}
		assert_int_equal(t.Confirmable(), lsn);
	}
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(nothing_confirmed_before_acks),
	    cmocka_unit_test(out_of_order_acks_across_transactions),
	    cmocka_unit_test(failure_holds_the_position_forever),
	    cmocka_unit_test(boundary_without_messages_confirms_once_earlier_ones_are_acked),
	    cmocka_unit_test(confirmed_never_moves_backwards),
	    cmocka_unit_test(a_rebase_confirms_only_the_new_slots_positions),
	    cmocka_unit_test(duplicate_and_unknown_reports_are_ignored),
	    cmocka_unit_test(latency_recorded_at_the_last_ack),
	    cmocka_unit_test(latency_quantiles_move_after_millions_of_commits),
	    cmocka_unit_test(latency_window_keeps_the_newest),
	    cmocka_unit_test(acknowledged_before_a_mark_ignores_later_messages),
	    cmocka_unit_test(random_acks_match_a_reference_model),
	};
	return cmocka_run_group_tests_name("lsn_tracker", tests, nullptr, nullptr);
}
