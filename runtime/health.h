// health.h — the verdict behind /health: a process is unhealthy once a
// condition has held for longer than the grace period (so a reconnect or a
// burst does not page anyone), or at once for a failure it cannot recover
// from by itself. Pure C++, header-only; the caller supplies the time.
#ifndef FLATWAL_HEALTH_H
#define FLATWAL_HEALTH_H

#include <chrono>
#include <cstdint>
#include <string>

namespace flatwal {

struct HealthLimits {
	uint64_t max_lag = 0;  // in the caller's unit (bytes of WAL, milliseconds); 0: lag is not checked
	std::chrono::milliseconds grace{60000};
};

class HealthMonitor {
 public:
	using Clock = std::chrono::steady_clock;

	// `connection` and `lag_unit` name what is observed, for the verdict's text.
	HealthMonitor(HealthLimits limits, std::string connection, std::string lag_unit, Clock::time_point started)
	    : limits_(limits), connection_(std::move(connection)), lag_unit_(std::move(lag_unit)),
	      disconnected_since_(started) {}

	// Called as the process goes: is it connected, how far behind is it.
	void Observe(Clock::time_point now, bool connected, uint64_t lag) {
		if (connected) disconnected_since_ = Clock::time_point::max();
		else if (disconnected_since_ == Clock::time_point::max()) disconnected_since_ = now;
		lag_ = lag;
		if (limits_.max_lag == 0 || lag <= limits_.max_lag) lagging_since_ = Clock::time_point::max();
		else if (lagging_since_ == Clock::time_point::max()) lagging_since_ = now;
	}
	// Work that fails and is retried (e.g. a target that refuses every batch
	// for now): unhealthy once it has failed for longer than the grace period.
	void Stalled(Clock::time_point now, std::string why) {
		if (stalled_since_ == Clock::time_point::max()) stalled_since_ = now;
		stalled_by_ = std::move(why);
	}
	void Progressed() { stalled_since_ = Clock::time_point::max(); }
	// A failure that stays until the process restarts (e.g. Kafka refused a message for good).
	void Fail(std::string why) {
		if (failure_.empty()) failure_ = std::move(why);
	}

	// Empty when healthy, else why not.
	std::string Problem(Clock::time_point now) const {
		if (!failure_.empty()) return failure_;
		if (Exceeded(disconnected_since_, now))
			return connection_ + " disconnected for " + Seconds(now - disconnected_since_) + " s";
		if (Exceeded(stalled_since_, now))
			return "failing for " + Seconds(now - stalled_since_) + " s, retrying: " + stalled_by_;
		if (Exceeded(lagging_since_, now))
			return "lag " + std::to_string(lag_) + " " + lag_unit_ + " above the limit " + std::to_string(limits_.max_lag) +
			       " for " + Seconds(now - lagging_since_) + " s";
		return "";
	}

 private:
	bool Exceeded(Clock::time_point since, Clock::time_point now) const {
		return since != Clock::time_point::max() && now - since > limits_.grace;
	}
	static std::string Seconds(Clock::duration d) {
		return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count());
	}

	HealthLimits limits_;
	std::string connection_, lag_unit_;
	Clock::time_point disconnected_since_;
	Clock::time_point lagging_since_ = Clock::time_point::max();
	Clock::time_point stalled_since_ = Clock::time_point::max();
	std::string stalled_by_;
	uint64_t lag_ = 0;
	std::string failure_;
};

}  // namespace flatwal

#endif  // FLATWAL_HEALTH_H
