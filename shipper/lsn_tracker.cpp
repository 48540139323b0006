// lsn_tracker.cpp — see lsn_tracker.h.
#include "lsn_tracker.h"

#include <sys/time.h>

namespace flatwal {

LsnTracker::Seq LsnTracker::Produced() {
	pending_.push_back(false);
	return next_++;
}

void LsnTracker::Delivered(Seq seq) {
	if (seq < acked_prefix_ || seq >= next_) return;  // a duplicate or unknown report
	pending_[seq - acked_prefix_] = true;
	if (seq != acked_prefix_) return;
	while (!pending_.empty() && pending_.front()) {
		pending_.pop_front();
		++acked_prefix_;
	}
	Settle();
}

void LsnTracker::Failed(Seq seq) {
	// The flag stays false, so the acknowledged prefix never passes `seq`.
	if (seq >= acked_prefix_ && seq < next_) failed_ = true;
}

void LsnTracker::Rebase() {
	boundaries_.clear();
	last_boundary_ = next_;
	confirmed_ = 0;
}

void LsnTracker::Boundary(uint64_t lsn, int64_t commit_time_micros) {
	if (!boundaries_.empty() && boundaries_.back().messages_before == next_) {
		if (lsn > boundaries_.back().lsn) boundaries_.back().lsn = lsn;
	} else {
		// A boundary without messages of its own has no commit-to-ack latency.
		bool own_messages = next_ > last_boundary_;
		boundaries_.push_back(Mark{next_, lsn, own_messages ? commit_time_micros : 0});
	}
	last_boundary_ = next_;
	Settle();
}

void LsnTracker::Settle() {
	int64_t now = -1;
	while (!boundaries_.empty() && boundaries_.front().messages_before <= acked_prefix_) {
		const Mark& mark = boundaries_.front();
		if (mark.lsn > confirmed_) confirmed_ = mark.lsn;
		if (mark.commit_time_micros > 0) {
			if (now < 0) {
				timeval tv;
				gettimeofday(&tv, nullptr);
				now = static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
			}
			latencies_.Add(now - mark.commit_time_micros);
			histogram_.Add(now - mark.commit_time_micros);
		}
		boundaries_.pop_front();
	}
}

}  // namespace flatwal
