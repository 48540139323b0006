// lsn_tracker.cpp — see lsn_tracker.h.
#include "lsn_tracker.h"

namespace flatwal {

LsnTracker::Seq LsnTracker::Produced() {
	pending_.push_back(false);
	return next_++;
}

void LsnTracker::Delivered(Seq seq) {
	if (seq < acked_prefix_ || seq >= next_) return;  // a duplicate or unknown report
	pending_[seq - acked_prefix_] = true;
	while (!pending_.empty() && pending_.front()) {
		pending_.pop_front();
		++acked_prefix_;
	}
}

void LsnTracker::Failed(Seq seq) {
	// The flag stays false, so the acknowledged prefix never passes `seq`.
	if (seq >= acked_prefix_ && seq < next_) failed_ = true;
}

void LsnTracker::Boundary(uint64_t lsn) {
	if (!boundaries_.empty() && boundaries_.back().first == next_) {
		if (lsn > boundaries_.back().second) boundaries_.back().second = lsn;
		return;
	}
	boundaries_.emplace_back(next_, lsn);
}

uint64_t LsnTracker::Confirmable() {
	while (!boundaries_.empty() && boundaries_.front().first <= acked_prefix_) {
		if (boundaries_.front().second > confirmed_) confirmed_ = boundaries_.front().second;
		boundaries_.pop_front();
	}
	return confirmed_;
}

}  // namespace flatwal
