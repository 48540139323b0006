// lsn_tracker.h — decides which WAL position may be confirmed to PostgreSQL.
//
// Every Kafka message gets a sequence number when it is produced. Delivery
// reports arrive in any order. A boundary records "every message produced so
// far covers the WAL up to this LSN" (a transaction's end LSN, or the
// server's position while no transaction is open). The confirmable LSN is
// the highest boundary all of whose messages Kafka has acknowledged, so
// nothing unacknowledged is ever confirmed, however acks are reordered, and a
// message that failed for good holds the position back forever.
#ifndef FLATWAL_LSN_TRACKER_H
#define FLATWAL_LSN_TRACKER_H

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "latency_histogram.h"
#include "latency_window.h"

namespace flatwal {

class LsnTracker {
 public:
	using Seq = uint64_t;
	// A message was handed to Kafka; returns the number its report will carry.
	Seq Produced();
	// Kafka acknowledged message `seq`.
	void Delivered(Seq seq);
	// Kafka gave up on message `seq`: nothing from it on may be confirmed.
	void Failed(Seq seq);
	// Everything produced so far covers the WAL up to `lsn`. With a commit
	// time (Unix microseconds), the commit-to-acknowledgement latency is
	// recorded when the boundary's last message is acknowledged.
	void Boundary(uint64_t lsn, int64_t commit_time_micros = 0);

	// The stream's positions start again (a new slot): forgets the boundaries
	// and the confirmed LSN. Call it when every message was acknowledged.
	void Rebase();

	// Highest LSN that is safe to confirm (0 until the first one is).
	uint64_t Confirmable() const { return confirmed_; }
	// Commit-to-acknowledgement latencies of the most recent commits, in microseconds.
	const LatencyWindow& latencies() const { return latencies_; }
	// The same latencies since the start, in buckets.
	const LatencyHistogram& histogram() const { return histogram_; }
	size_t InFlight() const { return pending_.size(); }
	// How many messages were produced so far; with AcknowledgedBefore(), a
	// caller learns without waiting when Kafka holds what it produced.
	Seq produced() const { return next_; }
	// True once Kafka acknowledged every message numbered below `seq`.
	bool AcknowledgedBefore(Seq seq) const { return acked_prefix_ >= seq; }
	bool failed() const { return failed_; }

 private:
	struct Mark {
		Seq messages_before;
		uint64_t lsn;
		int64_t commit_time_micros;
	};
	void Settle();  // confirms every boundary whose messages are all acknowledged

	Seq next_ = 0;                  // number of the next message
	Seq acked_prefix_ = 0;          // every message below this is acknowledged
	std::deque<bool> pending_;      // acknowledged flags for [acked_prefix_, next_)
	std::deque<Mark> boundaries_;
	Seq last_boundary_ = 0;         // next_ when the last boundary was recorded
	uint64_t confirmed_ = 0;
	LatencyWindow latencies_;
	LatencyHistogram histogram_;
	bool failed_ = false;
};

}  // namespace flatwal

#endif  // FLATWAL_LSN_TRACKER_H
