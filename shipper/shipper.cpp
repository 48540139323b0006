// shipper.cpp — see shipper.h.
#include "shipper.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "frame_reader.h"
#include "frames.h"
#include "log.h"
#include "lsn.h"
#include "snapshot.h"

namespace flatwal {
namespace {

using Clock = std::chrono::steady_clock;

// The p-quantile of latency samples (microseconds); -1 when there are none.
int64_t Quantile(std::vector<int64_t> samples, double p) {
	if (samples.empty()) return -1;
	size_t k = static_cast<size_t>(p * (samples.size() - 1));
	std::nth_element(samples.begin(), samples.begin() + k, samples.end());
	return samples[k];
}

// Microseconds as text in the given unit, or `none` for a missing quantile.
std::string Scaled(int64_t micros, double per_unit, const char* none) {
	if (micros < 0) return none;
	char text[32];
	snprintf(text, sizeof text, "%.6g", micros / per_unit);
	return text;
}

int MillisUntil(Clock::time_point t) {
	auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
	return static_cast<int>(std::max<int64_t>(0, ms));
}

}  // namespace

void Shipper::SleepUnlessStopping(int ms) {
	auto until = Clock::now() + std::chrono::milliseconds(ms);
	while (!Stopping() && Clock::now() < until) {
		if (producer_) producer_->Poll(0);
		std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100, MillisUntil(until) + 1)));
	}
}

Status Shipper::HandleFrame(const uint8_t* frame, size_t length, bool observe) {
	const wire::Event* event = nullptr;
	Status st = ReadFrame(frame, length, &frame_scratch_, &event);
	if (!st.ok()) return st;
	++frames_;
	if (observe && on_demand_ && on_demand_->Observe(*event)) return Status::Ok();
	routes_.clear();
	st = router_->Route(*event, &routes_);
	if (!st.ok()) return st;
	for (const OutMessage& m : routes_) {
		st = producer_->Produce(m, frame, length, *stop_);
		if (!st.ok()) return st;
		++messages_;
		bytes_ += m.tombstone ? 0 : length;
	}
	if (event->body_type() == wire::Body::Change && event->body_as_Change()->header()->op() == wire::Op::Read) ++snapshot_rows_;
	switch (event->body_type()) {
		case wire::Body::Begin: in_transaction_ = true; break;
		case wire::Body::Commit:
			in_transaction_ = false;
			tracker_.Boundary(event->body_as_Commit()->end_lsn(), event->body_as_Commit()->commit_time_micros());
			break;
		case wire::Body::StreamStart:
			return Status::Error(ErrorKind::kNotSupported, "the slot streams in-progress transactions",
			                     "flatwal-shipper does not request stream_changes.",
			                     "Check that no other client uses this slot with stream_changes.");
		default: break;
	}
	return Status::Ok();
}

Status Shipper::HandleMessage(const uint8_t* data, size_t size) {
	FrameReader reader(data, size);
	const uint8_t* frame;
	size_t length;
	while (reader.Next(&frame, &length)) {
		Status st = HandleFrame(frame, length, true);
		if (!st.ok()) return st;
	}
	if (reader.malformed())
		return Status::Error(ErrorKind::kInvalidData, "malformed replication message",
		                     "A frame length runs past the end of the " + std::to_string(size) + " bytes received.");
	return Status::Ok();
}

bool Shipper::PrepareSlot(ReplicationStream& stream, bool* finished, PgFailure* failure) {
	*finished = false;
	const bool snapshot = config_.snapshot_mode != SnapshotMode::kNever;
	bool exists = false;
	if (!stream.InspectSlot(config_.slot, &exists, failure)) return false;
	if (exists && snapshot) {
		bool interrupted = false;
		if (!InitialSnapshot::Interrupted(config_.conninfo, config_.slot, &interrupted, failure)) return false;
		if (interrupted) {
			Log(LogLevel::kWarning, "the initial snapshot of this slot did not finish; dropping the slot and taking "
			                        "the snapshot again (consumers receive its rows again)",
			    {{"slot", config_.slot}});
			if (!stream.DropSlot(config_.slot, failure)) return false;
			exists = false;
		}
	}
	if (exists) {
		*finished = config_.snapshot_mode == SnapshotMode::kInitialOnly;
		if (*finished) Log(LogLevel::kInfo, "the slot exists and its snapshot is complete; nothing to do", {{"slot", config_.slot}});
		return true;
	}
	if (!config_.create_slot) {
		failure->retriable = false;
		failure->message = "replication slot \"" + config_.slot + "\" does not exist; create it with SELECT "
		                   "pg_create_logical_replication_slot('" + config_.slot + "', 'flatwal'), or run without "
		                   "--no-create-slot";
		return false;
	}
	InitialSnapshot initial(config_.conninfo, config_.slot, stop_, [this](const uint8_t* frame, size_t size) {
		Status st = HandleFrame(frame, size, false);
		if (snapshot_rows_ % 5000 == 0) WriteMetrics(true);  // a long snapshot keeps its metrics current
		return st;
	});
	if (snapshot && !initial.Prepare(failure)) return false;
	std::string snapshot_name;
	uint64_t consistent_lsn = 0;
	if (!stream.CreateSlot(config_.slot, snapshot, &snapshot_name, &consistent_lsn, failure)) return false;
	Log(LogLevel::kInfo, "created replication slot", {{"slot", config_.slot}, {"consistent_lsn", LsnText(consistent_lsn)}});
	if (!snapshot) return true;
	auto started = Clock::now();
	if (!initial.Run(snapshot_name, consistent_lsn, failure)) return false;
	// The snapshot counts only once Kafka holds all of it.
	while (producer_->OutQueue() > 0 && !Stopping() && producer_->FatalError().ok()) producer_->Poll(100);
	if (Stopping() || !producer_->FatalError().ok()) {
		failure->retriable = true;
		failure->message = "stopped before Kafka acknowledged the whole snapshot";
		return false;
	}
	if (!initial.MarkDone(failure)) return false;
	Log(LogLevel::kInfo, "snapshot complete",
	    {{"rows", std::to_string(initial.rows())},
	     {"seconds", std::to_string(std::chrono::duration<double>(Clock::now() - started).count())},
	     {"streaming_from", LsnText(consistent_lsn)}});
	*finished = config_.snapshot_mode == SnapshotMode::kInitialOnly;
	return true;
}

void Shipper::WriteMetrics(bool connected) {
	if (config_.metrics_file.empty()) return;
	const std::vector<int64_t>& all = tracker_.latencies();
	// Quantiles over the most recent commits, so the figures follow the present.
	std::vector<int64_t> recent(all.size() > 10000 ? all.end() - 10000 : all.begin(), all.end());
	uint64_t confirmed = tracker_.Confirmable();
	struct Metric {
		const char* name;
		const char* type;
		const char* help;
		std::string value;
	};
	const Metric metrics[] = {
	    {"flatwal_shipper_frames_total", "counter", "Frames read from the replication slot and snapshots.", std::to_string(frames_)},
	    {"flatwal_shipper_messages_total", "counter", "Messages handed to Kafka.", std::to_string(messages_)},
	    {"flatwal_shipper_bytes_total", "counter", "Bytes of message values handed to Kafka.", std::to_string(bytes_)},
	    {"flatwal_shipper_snapshot_rows_total", "counter", "Snapshot rows (op read) handed to Kafka.", std::to_string(snapshot_rows_)},
	    {"flatwal_shipper_queue_full_waits_total", "counter", "Waits for room in the Kafka queue (reading WAL paused).",
	     std::to_string(producer_->queue_full_waits())},
	    {"flatwal_shipper_in_flight_messages", "gauge", "Messages Kafka has not acknowledged yet.", std::to_string(tracker_.InFlight())},
	    {"flatwal_shipper_delivery_failed", "gauge", "1 once Kafka refused a message for good.", tracker_.failed() ? "1" : "0"},
	    {"flatwal_shipper_confirmed_lsn", "gauge", "WAL position confirmed to PostgreSQL.", std::to_string(confirmed)},
	    {"flatwal_shipper_slot_lag_bytes", "gauge", "WAL written by the server and not yet confirmed.",
	     std::to_string(server_wal_end_ > confirmed ? server_wal_end_ - confirmed : 0)},
	    {"flatwal_shipper_replication_connected", "gauge", "1 while the replication connection streams.", connected ? "1" : "0"},
	    {"flatwal_shipper_commit_to_ack_seconds_p50", "gauge", "Median commit-to-acknowledgement latency, last 10,000 commits.",
	     Scaled(Quantile(recent, 0.50), 1e6, "NaN")},
	    {"flatwal_shipper_commit_to_ack_seconds_p99", "gauge", "99th percentile commit-to-acknowledgement latency, last 10,000 commits.",
	     Scaled(Quantile(recent, 0.99), 1e6, "NaN")},
	};
	std::string text;
	for (const Metric& m : metrics)
		text += std::string("# HELP ") + m.name + " " + m.help + "\n# TYPE " + m.name + " " + m.type + "\n" + m.name +
		        " " + m.value + "\n";
	// Write aside and rename, so a scraper never reads half a file.
	std::string tmp = config_.metrics_file + ".tmp";
	FILE* f = fopen(tmp.c_str(), "w");
	if (f == nullptr || fwrite(text.data(), 1, text.size(), f) != text.size() || fclose(f) != 0 ||
	    rename(tmp.c_str(), config_.metrics_file.c_str()) != 0)
		Log(LogLevel::kWarning, "cannot write the metrics file", {{"path", config_.metrics_file}, {"error", strerror(errno)}});
}

void Shipper::SendStatus(ReplicationStream& stream, PgFailure* failure) {
	uint64_t confirmed = tracker_.Confirmable();
	if (stream.SendStatus(std::max(received_lsn_, confirmed), confirmed, false, failure) && confirmed != reported_lsn_) {
		Log(LogLevel::kDebug, "confirmed", {{"flush_lsn", LsnText(confirmed)}, {"in_flight", std::to_string(tracker_.InFlight())}});
		reported_lsn_ = confirmed;
	}
}

Shipper::StreamEnd Shipper::Stream(ReplicationStream& stream, PgFailure* failure) {
	const auto interval = std::chrono::milliseconds(config_.status_interval_ms);
	auto next_status = Clock::now() + interval;
	in_transaction_ = false;
	ReplicationStream::Message message;
	for (;;) {
		if (Stopping()) return StreamEnd::kStopRequested;
		if (!producer_->FatalError().ok()) return StreamEnd::kKafkaFatal;
		switch (stream.Receive(std::min(100, MillisUntil(next_status)), &message, failure)) {
			case ReplicationStream::Event::kData: {
				received_lsn_ = std::max(received_lsn_, message.wal_start);
				server_wal_end_ = std::max(server_wal_end_, message.wal_end);
				Status st = HandleMessage(message.data, message.size);
				if (!st.ok()) {
					if (!producer_->FatalError().ok()) return StreamEnd::kKafkaFatal;
					if (Stopping()) return StreamEnd::kStopRequested;
					failure->retriable = false;
					failure->message = st.message() + (st.detail().empty() ? "" : " " + st.detail()) +
					                   (st.hint().empty() ? "" : " " + st.hint());
					return StreamEnd::kBadStream;
				}
				break;
			}
			case ReplicationStream::Event::kKeepalive:
				received_lsn_ = std::max(received_lsn_, message.wal_end);
				server_wal_end_ = std::max(server_wal_end_, message.wal_end);
				// Between transactions, everything before the server's position has been produced.
				if (!in_transaction_) tracker_.Boundary(message.wal_end);
				if (message.reply_requested) next_status = Clock::now();
				break;
			case ReplicationStream::Event::kClosed:
				return StreamEnd::kDisconnected;
			case ReplicationStream::Event::kNone:
				break;
		}
		if (!in_transaction_) {
			Status st = on_demand_->Step();
			if (!st.ok()) {
				if (!producer_->FatalError().ok()) return StreamEnd::kKafkaFatal;
				failure->retriable = false;
				failure->message = "on-demand snapshot: " + st.message();
				return StreamEnd::kBadStream;
			}
		}
		producer_->Poll(0);
		if (Clock::now() >= next_status) {
			SendStatus(stream, failure);
			WriteMetrics(true);
			next_status = Clock::now() + interval;
		}
	}
}

int Shipper::Run() {
	SetLogLevel(config_.log_level);
	producer_.reset(new KafkaProducer(&tracker_));
	Status st = producer_->Open(config_);
	if (!st.ok()) {
		Log(LogLevel::kError, st.message(), {{"detail", st.detail()}, {"hint", st.hint()}});
		return kExitConfig;
	}
	int backoff_ms = 500;
	int exit_code = kExitOk;
	std::string stop_reason = "signal";
	ReplicationStream stream;
	bool streaming = false;  // in COPY mode: the final status update can be sent
	while (!Stopping()) {
		PgFailure failure;
		std::string database;
		bool finished = false;
		bool ok = stream.Connect(config_.conninfo, &failure) && stream.CurrentDatabase(&database, &failure);
		if (ok && !router_) {
			std::string prefix = config_.topic_prefix.empty() ? SafeTopicPart(database) : config_.topic_prefix;
			router_.reset(new Router({prefix, config_.tombstones, config_.transactions_topic}, &catalog_));
			Log(LogLevel::kInfo, "routing", {{"topic_prefix", prefix}, {"schemas_topic", router_->SchemasTopic()}});
		}
		ok = ok && PrepareSlot(stream, &finished, &failure);
		if (ok && finished) {
			stop_reason = "snapshot done";
			break;
		}
		if (ok && !on_demand_) {
			on_demand_.reset(new OnDemandSnapshots(
			    config_.conninfo, &catalog_,
			    [this](const uint8_t* frame, size_t size) { return HandleFrame(frame, size, false); },
			    [this] {
				    while (producer_->OutQueue() > 0 && !Stopping() && producer_->FatalError().ok()) producer_->Poll(100);
				    return producer_->OutQueue() == 0;
			    }));
			ok = on_demand_->Resume(&failure);
		}
		streaming = ok && stream.Start(config_.slot, config_.batch_bytes, &failure);
		if (streaming) {
			Log(LogLevel::kInfo, "streaming", {{"slot", config_.slot}, {"database", database}});
			backoff_ms = 500;
			if (Stream(stream, &failure) == StreamEnd::kStopRequested) break;
		}
		if (!producer_->FatalError().ok()) {
			const Status& fatal = producer_->FatalError();
			Log(LogLevel::kError, fatal.message(), {{"detail", fatal.detail()}, {"hint", fatal.hint()}});
			exit_code = kExitKafka;
			stop_reason = "kafka error";
			break;
		}
		if (Stopping()) break;
		if (!failure.retriable) {
			Log(LogLevel::kError, failure.message);
			exit_code = kExitPostgres;
			stop_reason = "postgres error";
			break;
		}
		WriteMetrics(false);
		Log(LogLevel::kWarning, "PostgreSQL unavailable, retrying",
		    {{"error", failure.message}, {"retry_in_ms", std::to_string(backoff_ms)}});
		stream.Close();
		streaming = false;
		SleepUnlessStopping(backoff_ms);
		backoff_ms = std::min(backoff_ms * 2, 30000);
	}

	// Shutdown: stop reading WAL, give Kafka a bounded time, confirm what it acknowledged.
	bool drained = producer_->Flush(exit_code == kExitOk ? config_.shutdown_timeout_ms : 0);
	uint64_t confirmed = tracker_.Confirmable();
	if (streaming) {
		PgFailure ignored;
		stream.SendStatus(std::max(received_lsn_, confirmed), confirmed, false, &ignored);
	}
	WriteMetrics(false);
	rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	long cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 +
	              (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
	const std::vector<int64_t>& latencies = tracker_.latencies();
	Log(exit_code == kExitOk ? LogLevel::kInfo : LogLevel::kError, "stopped",
	    {{"reason", stop_reason},
	     {"confirmed_lsn", LsnText(confirmed)},
	     {"frames", std::to_string(frames_)},
	     {"messages", std::to_string(messages_)},
	     {"bytes", std::to_string(bytes_)},
	     {"unacknowledged", std::to_string(producer_->OutQueue())},
	     {"drained", drained ? "true" : "false"},
	     {"cpu_ms", std::to_string(cpu_ms)},
	     {"max_rss_kb", std::to_string(usage.ru_maxrss)},
	     {"commit_to_ack_ms_p50", Scaled(Quantile(latencies, 0.50), 1e3, "-")},
	     {"commit_to_ack_ms_p99", Scaled(Quantile(latencies, 0.99), 1e3, "-")},
	     {"commit_to_ack_ms_max", Scaled(Quantile(latencies, 1.0), 1e3, "-")}});
	return exit_code;
}

}  // namespace flatwal
