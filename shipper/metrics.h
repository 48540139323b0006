// metrics.h — what the shipper counts, and the Prometheus text it serves at
// /metrics (--http) and writes to --metrics-file (node_exporter's textfile
// collector format).
#ifndef FLATWAL_SHIPPER_METRICS_H
#define FLATWAL_SHIPPER_METRICS_H

#include <cstdint>
#include <map>
#include <string>

#include "latency_histogram.h"
#include "latency_window.h"
#include "status.h"

namespace flatwal {

// Messages and bytes handed to Kafka for one topic.
struct TopicCounters {
	uint64_t messages = 0;
	uint64_t bytes = 0;
};

// Counted by the shipper as it goes.
struct ShipperCounters {
	uint64_t frames = 0;          // read from the slot and the snapshots
	uint64_t messages = 0;        // handed to Kafka
	uint64_t bytes = 0;           // of message values handed to Kafka
	uint64_t snapshot_rows = 0;   // read rows (initial and on-demand snapshots)
	uint64_t server_wal_end = 0;  // the server's end of WAL, from its messages
	uint64_t restarts = 0;        // replication sessions started again after a failure
	uint64_t resyncs = 0;         // new slots and snapshots after the slot was lost
	std::map<std::string, TopicCounters> topics;
};

// The slot as pg_replication_slots shows it (read every few seconds).
struct SlotStatus {
	std::string wal_status;         // reserved, extended, unreserved, lost; empty until read
	int64_t safe_wal_size = -1;     // bytes before the slot is lost; -1: unlimited or unknown
};

// The initial snapshot's progress.
struct SnapshotProgress {
	bool running = false;
	uint64_t tables_total = 0;
	uint64_t tables_done = 0;
};

// Everything the metrics show, gathered when they are rendered.
struct MetricsSample {
	const ShipperCounters* counters = nullptr;
	uint64_t queue_full_waits = 0;
	uint64_t in_flight = 0;
	bool delivery_failed = false;
	uint64_t confirmed_lsn = 0;
	uint32_t timeline = 0;  // the source's, from the replication connection
	bool connected = false;
	const LatencyWindow* latencies = nullptr;
	const LatencyHistogram* histogram = nullptr;
	const std::map<std::string, uint64_t>* delivery_errors = nullptr;  // by librdkafka error name
	const std::map<std::string, uint64_t>* broker_errors = nullptr;
	SlotStatus slot;
	SnapshotProgress snapshot;
	int64_t start_time_seconds = 0;
};

// Quantiles in the metrics cover this many of the most recent commits.
constexpr size_t kMetricsLatencyCommits = 10000;

// WAL written by the server and not yet confirmed.
inline uint64_t SlotLagBytes(const MetricsSample& s) {
	return s.counters->server_wal_end > s.confirmed_lsn ? s.counters->server_wal_end - s.confirmed_lsn : 0;
}

std::string MetricsText(const MetricsSample& sample);

// Microseconds as text in a unit (1e6 per second, 1e3 per millisecond), or
// `none` for a missing quantile (-1).
std::string ScaledMicros(int64_t micros, double per_unit, const char* none);

}  // namespace flatwal

#endif  // FLATWAL_SHIPPER_METRICS_H
