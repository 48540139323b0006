// backoff.h — how long to wait before trying again after a failure: doubling
// from `initial` up to `max`, back to `initial` after a success. One policy
// for every reconnect loop. Pure C++, header-only.
#ifndef FLATWAL_BACKOFF_H
#define FLATWAL_BACKOFF_H

#include <algorithm>
#include <chrono>

namespace flatwal {

class Backoff {
 public:
	using Clock = std::chrono::steady_clock;

	Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max) : initial_(initial), max_(max), next_(initial) {}

	// A failure at `now`: returns the wait before the next attempt, and doubles the one after.
	std::chrono::milliseconds Failed(Clock::time_point now) {
		std::chrono::milliseconds wait = next_;
		ready_at_ = now + wait;
		next_ = std::min(next_ * 2, max_);
		return wait;
	}
	void Succeeded() {
		next_ = initial_;
		ready_at_ = Clock::time_point();
	}
	// False while the wait after the last failure has not passed.
	bool Ready(Clock::time_point now) const { return now >= ready_at_; }

 private:
	std::chrono::milliseconds initial_, max_, next_;
	Clock::time_point ready_at_;
};

}  // namespace flatwal

#endif  // FLATWAL_BACKOFF_H
