// sink_metrics.h — what flatwal-sink counts, as Prometheus text for /metrics
// and as the progress line of its log.
#ifndef FLATWAL_SINK_METRICS_H
#define FLATWAL_SINK_METRICS_H

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "latency_histogram.h"
#include "latency_window.h"

namespace flatwal {

struct SinkCounters {
	uint64_t applied = 0;              // rows written to the target
	uint64_t duplicates = 0;           // changes at or below a partition's checkpoint: skipped
	uint64_t behind_truncate = 0;      // changes older than their table's last truncate: skipped
	uint64_t dead_letters = 0;
	uint64_t batches = 0;              // committed
	uint64_t rewinds = 0;              // batches abandoned and read again after a failure
	bool retrying = false;             // the last batch failed: waiting to read it again
	double apply_seconds = 0;          // spent writing to the target: rows, checkpoints, commits
	std::map<std::string, uint64_t> topic_messages;  // committed, per source topic
	LatencyWindow lag_ms{size_t{1} << 16};  // commit-to-applied, recent messages
	LatencyHistogram lag;                   // commit-to-applied, since the start
};

struct SinkMetricsSample {
	const SinkCounters* counters = nullptr;
	bool target_connected = false;
	uint64_t assigned_partitions = 0;
	int64_t start_time_seconds = 0;
};

// Recent lag quantiles cover this many messages.
constexpr size_t kSinkLagMessages = 10000;

std::string SinkMetricsText(const SinkMetricsSample& sample);

// The "sink progress" log line (--stats-interval): totals, and the rate and
// lag quantiles since the line before.
class SinkProgressLine {
 public:
	using Clock = std::chrono::steady_clock;
	void Start(Clock::time_point now) { last_ = now; }
	// Logs the line when `interval_ms` has passed since the last one (never
	// for 0), or at once when `force`.
	void Log(const SinkCounters& counters, int interval_ms, bool force, Clock::time_point now);

 private:
	Clock::time_point last_;
	uint64_t applied_at_last_ = 0, lag_total_at_last_ = 0;
};

}  // namespace flatwal

#endif  // FLATWAL_SINK_METRICS_H
