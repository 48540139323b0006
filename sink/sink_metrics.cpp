// sink_metrics.cpp — see sink_metrics.h.
#include "sink_metrics.h"

#include <algorithm>

#include "log.h"
#include "prometheus_text.h"

namespace flatwal {

std::string SinkMetricsText(const SinkMetricsSample& s) {
	using N = PrometheusText;
	const SinkCounters& c = *s.counters;
	auto quantile = [&c](double p) {
		int64_t ms = c.lag_ms.Quantile(p, kSinkLagMessages);
		return ms < 0 ? std::string("NaN") : N::Number(ms / 1e3);
	};
	PrometheusText out;
	out.Single("flatwal_sink_applied_rows_total", "counter", "Rows written to the target.", N::Number(c.applied));
	out.Single("flatwal_sink_duplicates_skipped_total", "counter",
	           "Changes at or below their partition's checkpoint (written again by a shipper restart): skipped.",
	           N::Number(c.duplicates));
	out.Single("flatwal_sink_behind_truncate_skipped_total", "counter", "Changes older than their table's last truncate: skipped.",
	           N::Number(c.behind_truncate));
	out.Single("flatwal_sink_dead_letters_total", "counter", "Messages sent to the dead-letter topic.", N::Number(c.dead_letters));
	out.Single("flatwal_sink_batches_total", "counter", "Batches committed to the target.", N::Number(c.batches));
	out.Single("flatwal_sink_rewinds_total", "counter", "Batches abandoned after a failure and read again from the checkpoints.",
	           N::Number(c.rewinds));
	out.Single("flatwal_sink_retrying", "gauge",
	           "1 while the last batch could not be committed (the target refused it for now) and waits to be read again.",
	           c.retrying ? "1" : "0");
	out.Single("flatwal_sink_apply_seconds_total", "counter",
	           "Time spent writing batches to the target (rows, checkpoints, commits); applied rows over it is the load rate.",
	           N::Number(c.apply_seconds));
	out.Single("flatwal_sink_target_connected", "gauge", "1 while the target answers.", s.target_connected ? "1" : "0");
	out.Single("flatwal_sink_assigned_partitions", "gauge", "Partitions this sink holds in its consumer group.",
	           N::Number(s.assigned_partitions));
	out.Single("flatwal_sink_commit_to_applied_seconds_p50", "gauge", "Median source-commit-to-applied lag, last 10,000 messages.",
	           quantile(0.5));
	out.Single("flatwal_sink_commit_to_applied_seconds_p99", "gauge",
	           "99th percentile source-commit-to-applied lag, last 10,000 messages.", quantile(0.99));
	c.lag.AppendTo(&out, "flatwal_sink_commit_to_applied_seconds", "Source-commit-to-applied lag of every message since the start.");
	out.Family("flatwal_sink_topic_messages_total", "counter", "Messages committed, per source topic.");
	for (const auto& t : c.topic_messages) out.Sample("flatwal_sink_topic_messages_total", N::Number(t.second), {{"topic", t.first}});
	out.Single("flatwal_sink_start_time_seconds", "gauge", "When the sink started (Unix time).",
	           N::Number(static_cast<uint64_t>(s.start_time_seconds)));
	return out.text();
}

void SinkProgressLine::Log(const SinkCounters& c, int interval_ms, bool force, Clock::time_point now) {
	if (!force && (interval_ms == 0 || now - last_ < std::chrono::milliseconds(interval_ms))) return;
	const double seconds = std::chrono::duration<double>(now - last_).count();
	last_ = now;
	const size_t recent = static_cast<size_t>(c.lag_ms.total() - lag_total_at_last_);
	lag_total_at_last_ = c.lag_ms.total();
	flatwal::Log(LogLevel::kInfo, "sink progress",
	             {{"applied_rows", std::to_string(c.applied)},
	              {"rows_per_s", std::to_string(static_cast<uint64_t>((c.applied - applied_at_last_) / std::max(seconds, 1e-3)))},
	              {"lag_p50_ms", std::to_string(c.lag_ms.Quantile(0.5, recent))},
	              {"lag_p99_ms", std::to_string(c.lag_ms.Quantile(0.99, recent))},
	              {"duplicates_skipped", std::to_string(c.duplicates)},
	              {"behind_truncate_skipped", std::to_string(c.behind_truncate)},
	              {"dead_letters", std::to_string(c.dead_letters)},
	              {"batches", std::to_string(c.batches)}});
	applied_at_last_ = c.applied;
}

}  // namespace flatwal
