// metrics.h — what the shipper counts, and the Prometheus text it writes to
// --metrics-file (node_exporter's textfile collector format).
#ifndef FLATWAL_SHIPPER_METRICS_H
#define FLATWAL_SHIPPER_METRICS_H

#include <cstdint>
#include <string>

#include "latency_window.h"
#include "status.h"

namespace flatwal {

// Counted by the shipper as it goes.
struct ShipperCounters {
	uint64_t frames = 0;          // read from the slot and the snapshots
	uint64_t messages = 0;        // handed to Kafka
	uint64_t bytes = 0;           // of message values handed to Kafka
	uint64_t snapshot_rows = 0;   // read rows (initial and on-demand snapshots)
	uint64_t server_wal_end = 0;  // the server's end of WAL, from its messages
};

// Everything one metrics file shows, gathered when it is written.
struct MetricsSample {
	ShipperCounters counters;
	uint64_t queue_full_waits = 0;
	uint64_t in_flight = 0;
	bool delivery_failed = false;
	uint64_t confirmed_lsn = 0;
	bool connected = false;
	const LatencyWindow* latencies = nullptr;
};

// Quantiles in the metrics file cover this many of the most recent commits.
constexpr size_t kMetricsLatencyCommits = 10000;

std::string MetricsText(const MetricsSample& sample);

// Writes beside the file and renames, so a scraper never reads half of it.
Status WriteMetricsFile(const std::string& path, const std::string& text);

// Microseconds as text in a unit (1e6 per second, 1e3 per millisecond), or
// `none` for a missing quantile (-1).
std::string ScaledMicros(int64_t micros, double per_unit, const char* none);

}  // namespace flatwal

#endif  // FLATWAL_SHIPPER_METRICS_H
