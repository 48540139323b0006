// metrics.cpp — see metrics.h.
#include "metrics.h"

#include <cstdio>

#include "prometheus_text.h"

namespace flatwal {

std::string ScaledMicros(int64_t micros, double per_unit, const char* none) {
	if (micros < 0) return none;
	char text[32];
	snprintf(text, sizeof text, "%.6g", micros / per_unit);
	return text;
}

std::string MetricsText(const MetricsSample& s) {
	using N = PrometheusText;
	const ShipperCounters& c = *s.counters;
	auto quantile = [&s](double p) {
		return ScaledMicros(s.latencies ? s.latencies->Quantile(p, kMetricsLatencyCommits) : -1, 1e6, "NaN");
	};
	PrometheusText out;
	out.Single("flatwal_shipper_frames_total", "counter", "Frames read from the replication slot and snapshots.", N::Number(c.frames));
	out.Single("flatwal_shipper_messages_total", "counter", "Messages handed to Kafka.", N::Number(c.messages));
	out.Single("flatwal_shipper_bytes_total", "counter", "Bytes of message values handed to Kafka.", N::Number(c.bytes));
	out.Single("flatwal_shipper_snapshot_rows_total", "counter", "Snapshot rows (op read) handed to Kafka.", N::Number(c.snapshot_rows));
	out.Single("flatwal_shipper_queue_full_waits_total", "counter", "Waits for room in the Kafka queue (reading WAL paused).",
	           N::Number(s.queue_full_waits));
	out.Single("flatwal_shipper_in_flight_messages", "gauge", "Messages Kafka has not acknowledged yet.", N::Number(s.in_flight));
	out.Single("flatwal_shipper_delivery_failed", "gauge", "1 once Kafka refused a message for good.", s.delivery_failed ? "1" : "0");
	out.Single("flatwal_shipper_confirmed_lsn", "gauge", "WAL position confirmed to PostgreSQL.", N::Number(s.confirmed_lsn));
	out.Single("flatwal_shipper_source_timeline", "gauge",
	           "The source's PostgreSQL timeline; it rises with each promotion (positions order by it first).",
	           N::Number(static_cast<uint64_t>(s.timeline)));
	out.Single("flatwal_shipper_slot_lag_bytes", "gauge", "WAL written by the server and not yet confirmed.", N::Number(SlotLagBytes(s)));
	out.Single("flatwal_shipper_replication_connected", "gauge", "1 while the replication connection streams.", s.connected ? "1" : "0");
	out.Single("flatwal_shipper_commit_to_ack_seconds_p50", "gauge", "Median commit-to-acknowledgement latency, last 10,000 commits.",
	           quantile(0.50));
	out.Single("flatwal_shipper_commit_to_ack_seconds_p99", "gauge",
	           "99th percentile commit-to-acknowledgement latency, last 10,000 commits.", quantile(0.99));
	if (s.histogram != nullptr)
		s.histogram->AppendTo(&out, "flatwal_shipper_commit_to_ack_seconds",
		                      "Commit-to-acknowledgement latency of every commit since the start.");

	out.Family("flatwal_shipper_topic_messages_total", "counter", "Messages handed to Kafka, per topic.");
	for (const auto& t : c.topics) out.Sample("flatwal_shipper_topic_messages_total", N::Number(t.second.messages), {{"topic", t.first}});
	out.Family("flatwal_shipper_topic_bytes_total", "counter", "Bytes of message values handed to Kafka, per topic.");
	for (const auto& t : c.topics) out.Sample("flatwal_shipper_topic_bytes_total", N::Number(t.second.bytes), {{"topic", t.first}});

	out.Family("flatwal_shipper_kafka_errors_total", "counter",
	           "Kafka errors by class (librdkafka's error name): kind=delivery for a refused message, kind=broker for "
	           "connection and broker errors (retried).");
	if (s.delivery_errors != nullptr)
		for (const auto& e : *s.delivery_errors)
			out.Sample("flatwal_shipper_kafka_errors_total", N::Number(e.second), {{"kind", "delivery"}, {"class", e.first}});
	if (s.broker_errors != nullptr)
		for (const auto& e : *s.broker_errors)
			out.Sample("flatwal_shipper_kafka_errors_total", N::Number(e.second), {{"kind", "broker"}, {"class", e.first}});

	out.Family("flatwal_shipper_slot_wal_status", "gauge",
	           "1 for the slot's wal_status in pg_replication_slots (lost: the slot can no longer stream).");
	for (const char* status : {"reserved", "extended", "unreserved", "lost"})
		out.Sample("flatwal_shipper_slot_wal_status", s.slot.wal_status == status ? "1" : "0", {{"status", status}});
	out.Single("flatwal_shipper_slot_safe_wal_size_bytes", "gauge",
	           "WAL that can still be written before the slot is lost (NaN: max_slot_wal_keep_size is unlimited).",
	           s.slot.safe_wal_size >= 0 ? N::Number(static_cast<uint64_t>(s.slot.safe_wal_size)) : "NaN");

	out.Single("flatwal_shipper_snapshot_running", "gauge", "1 while the initial snapshot is read.", s.snapshot.running ? "1" : "0");
	out.Single("flatwal_shipper_snapshot_tables", "gauge", "Tables in the current or last initial snapshot.",
	           N::Number(s.snapshot.tables_total));
	out.Single("flatwal_shipper_snapshot_tables_done", "gauge", "Tables of that snapshot read completely.",
	           N::Number(s.snapshot.tables_done));
	out.Single("flatwal_shipper_restarts_total", "counter", "Replication sessions started again after PostgreSQL failed.",
	           N::Number(c.restarts));
	out.Single("flatwal_shipper_resyncs_total", "counter",
	           "Resynchronisations: a new slot and snapshot after the slot was lost (failover, invalidation).",
	           N::Number(c.resyncs));
	out.Single("flatwal_shipper_start_time_seconds", "gauge", "When the shipper started (Unix time).",
	           N::Number(static_cast<uint64_t>(s.start_time_seconds)));
	return out.text();
}

}  // namespace flatwal
