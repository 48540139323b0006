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
	// Everything produced so far covers the WAL up to `lsn`.
	void Boundary(uint64_t lsn);

	// Highest LSN that is safe to confirm (0 until the first one is).
	uint64_t Confirmable();
	size_t InFlight() const { return pending_.size(); }
	bool failed() const { return failed_; }

 private:
	Seq next_ = 0;                  // number of the next message
	Seq acked_prefix_ = 0;          // every message below this is acknowledged
	std::deque<bool> pending_;      // acknowledged flags for [acked_prefix_, next_)
	std::deque<std::pair<Seq, uint64_t>> boundaries_;  // (messages before it, lsn)
	uint64_t confirmed_ = 0;
	bool failed_ = false;
};

}  // namespace flatwal

#endif  // FLATWAL_LSN_TRACKER_H
