// metrics.cpp — see metrics.h.
#include "metrics.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace flatwal {

std::string ScaledMicros(int64_t micros, double per_unit, const char* none) {
	if (micros < 0) return none;
	char text[32];
	snprintf(text, sizeof text, "%.6g", micros / per_unit);
	return text;
}

std::string MetricsText(const MetricsSample& s) {
	struct Metric {
		const char* name;
		const char* type;
		const char* help;
		std::string value;
	};
	const ShipperCounters& c = s.counters;
	const uint64_t lag = c.server_wal_end > s.confirmed_lsn ? c.server_wal_end - s.confirmed_lsn : 0;
	auto quantile = [&s](double p) {
		return ScaledMicros(s.latencies ? s.latencies->Quantile(p, kMetricsLatencyCommits) : -1, 1e6, "NaN");
	};
	const Metric metrics[] = {
	    {"flatwal_shipper_frames_total", "counter", "Frames read from the replication slot and snapshots.", std::to_string(c.frames)},
	    {"flatwal_shipper_messages_total", "counter", "Messages handed to Kafka.", std::to_string(c.messages)},
	    {"flatwal_shipper_bytes_total", "counter", "Bytes of message values handed to Kafka.", std::to_string(c.bytes)},
	    {"flatwal_shipper_snapshot_rows_total", "counter", "Snapshot rows (op read) handed to Kafka.", std::to_string(c.snapshot_rows)},
	    {"flatwal_shipper_queue_full_waits_total", "counter", "Waits for room in the Kafka queue (reading WAL paused).",
	     std::to_string(s.queue_full_waits)},
	    {"flatwal_shipper_in_flight_messages", "gauge", "Messages Kafka has not acknowledged yet.", std::to_string(s.in_flight)},
	    {"flatwal_shipper_delivery_failed", "gauge", "1 once Kafka refused a message for good.", s.delivery_failed ? "1" : "0"},
	    {"flatwal_shipper_confirmed_lsn", "gauge", "WAL position confirmed to PostgreSQL.", std::to_string(s.confirmed_lsn)},
	    {"flatwal_shipper_slot_lag_bytes", "gauge", "WAL written by the server and not yet confirmed.", std::to_string(lag)},
	    {"flatwal_shipper_replication_connected", "gauge", "1 while the replication connection streams.", s.connected ? "1" : "0"},
	    {"flatwal_shipper_commit_to_ack_seconds_p50", "gauge", "Median commit-to-acknowledgement latency, last 10,000 commits.",
	     quantile(0.50)},
	    {"flatwal_shipper_commit_to_ack_seconds_p99", "gauge", "99th percentile commit-to-acknowledgement latency, last 10,000 commits.",
	     quantile(0.99)},
	};
	std::string text;
	for (const Metric& m : metrics)
		text += std::string("# HELP ") + m.name + " " + m.help + "\n# TYPE " + m.name + " " + m.type + "\n" + m.name +
		        " " + m.value + "\n";
	return text;
}

Status WriteMetricsFile(const std::string& path, const std::string& text) {
	std::string tmp = path + ".tmp";
	FILE* f = fopen(tmp.c_str(), "w");
	bool ok = f != nullptr && fwrite(text.data(), 1, text.size(), f) == text.size();
	if (f != nullptr && fclose(f) != 0) ok = false;
	if (ok && rename(tmp.c_str(), path.c_str()) != 0) ok = false;
	if (ok) return Status::Ok();
	return Status::Error(ErrorKind::kInternal, "cannot write the metrics file " + path, std::strerror(errno));
}

}  // namespace flatwal
