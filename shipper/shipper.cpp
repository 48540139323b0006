// shipper.cpp — see shipper.h.
#include "shipper.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "extension_on_demand.h"
#include "frames.h"
#include "log.h"
#include "lsn.h"
#include "pgoutput_snapshot.h"
#include "initial_snapshot.h"

namespace flatwal {
namespace {

using Clock = std::chrono::steady_clock;

int MillisUntil(Clock::time_point t) {
	auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
	return static_cast<int>(std::max<int64_t>(0, ms));
}

}  // namespace

const char* StopReasonName(StopReason reason) {
	switch (reason) {
		case StopReason::kSignal: return "signal";
		case StopReason::kSnapshotDone: return "snapshot done";
		case StopReason::kKafkaError: return "kafka error";
		case StopReason::kPostgresError: return "postgres error";
	}
	return "unknown";
}

Shipper::Shipper(ShipperConfig config, const StopFlag* stop)
    : config_(std::move(config)),
      stop_(stop),
      report_({config_.http, config_.metrics_file,
               {static_cast<uint64_t>(config_.health_max_lag_mb), std::chrono::milliseconds(config_.health_grace_ms)},
               "replication", "MB"}),
      slot_status_(config_.conninfo, config_.slot) {}

Shipper::~Shipper() = default;

void Shipper::SleepUnlessStopping(int ms) {
	auto until = Clock::now() + std::chrono::milliseconds(ms);
	auto next_report = Clock::now() + std::chrono::milliseconds(config_.status_interval_ms);
	while (!Stopping() && Clock::now() < until) {
		if (producer_) producer_->Poll(0);
		if (Clock::now() >= next_report) {  // /health and /metrics stay current while waiting
			ReportMetrics(false);
			next_report = Clock::now() + std::chrono::milliseconds(config_.status_interval_ms);
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100, MillisUntil(until) + 1)));
	}
}

Status Shipper::TrackBoundaries(const wire::Event& event) {
	switch (event.body_type()) {
		case wire::Body::Begin: in_transaction_ = true; break;
		case wire::Body::Commit:
			in_transaction_ = false;
			tracker_.Boundary(event.body_as_Commit()->end_lsn(), event.body_as_Commit()->commit_time_micros());
			shipped_ = ShippedEnd{event.timeline(), event.body_as_Commit()->end_lsn()};
			break;
		case wire::Body::StreamStart:
			return Status::Error(ErrorKind::kNotSupported, "the slot streams in-progress transactions",
			                     "flatwal-shipper does not request stream_changes.",
			                     "Check that no other client uses this slot with stream_changes.");
		default: break;
	}
	return Status::Ok();
}

Status Shipper::HandleFrame(const uint8_t* frame, size_t length, bool observe) {
	const wire::Event* event = nullptr;
	Status st = ReadFrame(frame, length, &frame_scratch_, &event);
	if (!st.ok()) return st;
	++counters_.frames;
	if (observe && on_demand_ && on_demand_->Observe(*event)) return Status::Ok();
	routes_.clear();
	st = router_->Route(*event, &routes_);
	if (!st.ok()) return st;
	for (const OutMessage& m : routes_) {
		st = producer_->Produce(m, frame, length, *stop_);
		if (!st.ok()) return st;
		const size_t value_bytes = m.tombstone ? 0 : m.rendered ? m.value.size() : length;
		++counters_.messages;
		counters_.bytes += value_bytes;
		TopicCounters* topic = topic_counters_.Find(m.topic);
		if (topic == nullptr) topic = topic_counters_.Remember(m.topic, &counters_.topics[m.topic]);
		++topic->messages;
		topic->bytes += value_bytes;
	}
	if (event->body_type() == wire::Body::Change && event->body_as_Change()->header()->op() == wire::Op::Read)
		++counters_.snapshot_rows;
	return TrackBoundaries(*event);
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

Status Shipper::WaitAcknowledged(const char* what) {
	if (producer_->WaitAcknowledged(-1, stop_)) return Status::Ok();
	if (!producer_->FatalError().ok()) return producer_->FatalError();
	return Status::Error(ErrorKind::kUnavailable, std::string("stopped before Kafka acknowledged ") + what);
}

Status Shipper::ShippedPastTimeline(ReplicationStream& stream, std::string* why) {
	if (shipped_.timeline == 0 || timeline_ <= shipped_.timeline) return Status::Ok();
	uint64_t switch_lsn = 0;
	bool found = false;
	Status st = stream.TimelineEnd(timeline_, shipped_.timeline, &switch_lsn, &found);
	if (!st.ok() || (found && shipped_.end_lsn <= switch_lsn)) return st;
	*why = "replication slot \"" + config_.slot + "\" exists on a server promoted to timeline " + std::to_string(timeline_) +
	       ", but changes up to " + LsnText(shipped_.end_lsn) + " of timeline " + std::to_string(shipped_.timeline) +
	       " were shipped, " + (found ? "past the point where this server left that timeline (" + LsnText(switch_lsn) + ")"
	                                   : std::string("a timeline not in this server's history")) +
	       ": the consumers hold changes this server never had";
	return Status::Ok();
}

Status Shipper::RecordShipped(bool now) {
	if (!router_ || shipped_.timeline == 0 || shipped_ == recorded_) return Status::Ok();
	if (!now && Clock::now() < next_record_) return Status::Ok();
	OutMessage record;
	record.topic = router_->ShippedTopic();
	record.has_key = true;
	record.key = config_.slot;
	record.rendered = true;
	record.value = ShippedRecordValue(config_.slot, shipped_);
	Status st = producer_->Produce(record, nullptr, 0, *stop_, /*tracked=*/false);
	if (!st.ok()) return st;
	recorded_ = shipped_;
	next_record_ = Clock::now() + std::chrono::seconds(1);
	return Status::Ok();
}

Status Shipper::PrepareSlot(ReplicationStream& stream, bool* finished) {
	*finished = false;
	ReplicationStream::SlotState slot;
	InitialSnapshot::Record record;
	Status st = stream.InspectSlot(config_.slot, SlotPlugin(), &slot);
	if (st.ok()) st = SlotRecord(slot, &record);
	if (!st.ok()) return st;
	// A lost slot: what was committed since the consumers' last change may
	// never reach them, and what they hold may be more than the source has
	// (changes of an old primary a standby never received). Only a new slot
	// and a snapshot of every captured table bring them level.
	std::string lost;
	if (slot.exists && slot.lost)
		lost = "replication slot \"" + config_.slot + "\" was invalidated (wal_status = lost): PostgreSQL removed WAL "
		       "it still needed";
	else if (record.interrupted && record.resync)
		lost = "the resynchronisation of replication slot \"" + config_.slot + "\" did not finish (the shipper stopped "
		       "during its snapshot)";
	else if (!slot.exists && record.taken && !record.interrupted)
		lost = "replication slot \"" + config_.slot + "\" does not exist, but " +
		       (config_.source == SourcePlugin::kPgoutput ? router_->ShippedTopic() : std::string("this database")) +
		       " records its creation: it was lost (a failover to a standby, which has no slots before PostgreSQL 17, "
		       "or a drop)";
	else if (slot.exists) {  // on a promoted server (a synchronized failover slot, one made by hand) ...
		if (shipped_.timeline == 0 && timeline_ > 1) {  // started after a failover: what did the last process ship?
			bool found = false;
			st = ReadShippedRecord(config_, router_->ShippedTopic(), config_.slot, &shipped_, &found);
			if (st.ok() && found) {
				recorded_ = shipped_;
				Log(LogLevel::kInfo, "read how far this slot was shipped",
				    {{"slot", config_.slot}, {"timeline", std::to_string(shipped_.timeline)},
				     {"end_lsn", LsnText(shipped_.end_lsn)}, {"topic", router_->ShippedTopic()}});
			}
		}
		if (st.ok()) st = ShippedPastTimeline(stream, &lost);  // ... behind what was shipped of the old timeline
	}
	if (!st.ok()) return st;
	if (!lost.empty()) {
		if (!config_.resync)
			return Status::Error(
			    ErrorKind::kRefused, lost, "Changes since the slot was lost are not in Kafka.",
			    "Run without --no-resync (postgres.resync) to create the slot again and resynchronise with a new "
			    "snapshot, or drop the slot (if it exists), " +
			        (config_.source == SourcePlugin::kPgoutput
			             ? "delete its record (printf '" + config_.slot + ":\\n' | kcat -b BROKERS -P -Z -K: -t " +
			                   router_->ShippedTopic() + ")"
			             : "DELETE FROM flatwal.snapshot_progress WHERE slot_name = '" + config_.slot + "'") +
			        " and restart to stream from now on without one.");
		Log(LogLevel::kWarning, "resynchronising: a new slot and a snapshot of every captured table",
		    {{"slot", config_.slot}, {"reason", lost}});
		if (slot.exists) st = stream.DropSlot(config_.slot);
		if (!st.ok()) return st;
		return CreateSlotWithSnapshot(stream, SlotStart::kResync, finished);
	}
	if (slot.exists && record.interrupted && config_.snapshot_mode != SnapshotMode::kNever) {
		Log(LogLevel::kWarning, "the initial snapshot of this slot did not finish; dropping the slot and taking "
		                        "the snapshot again (consumers receive its rows again)",
		    {{"slot", config_.slot}});
		st = stream.DropSlot(config_.slot);
		if (!st.ok()) return st;
		slot.exists = false;
	}
	if (slot.exists) {
		*finished = config_.snapshot_mode == SnapshotMode::kInitialOnly;
		if (*finished) Log(LogLevel::kInfo, "the slot exists and its snapshot is complete; nothing to do", {{"slot", config_.slot}});
		return Status::Ok();
	}
	if (!config_.create_slot)
		return Status::Error(ErrorKind::kRefused,
		                     "replication slot \"" + config_.slot + "\" does not exist; create it with SELECT "
		                     "pg_create_logical_replication_slot('" + config_.slot + "', '" + SlotPlugin() +
		                         "'), or run without --no-create-slot");
	return CreateSlotWithSnapshot(stream, SlotStart::kNew, finished);
}

Status Shipper::CreateSlotWithSnapshot(ReplicationStream& stream, SlotStart start, bool* finished) {
	const bool resync = start == SlotStart::kResync;
	const bool snapshot = resync || config_.snapshot_mode != SnapshotMode::kNever;
	// The new slot's positions have nothing to do with the old one's (a new
	// primary's WAL may even be behind it): what this process produced is
	// acknowledged first, then confirmations start again from the new slot.
	Status st = WaitAcknowledged("the messages of the previous slot");
	if (!st.ok()) return st;
	tracker_.Rebase();
	received_lsn_ = reported_lsn_ = 0;
	auto emit = [this](const uint8_t* frame, size_t size) {
		Status st = HandleFrame(frame, size, false);
		if (counters_.snapshot_rows % 5000 == 0) ReportMetrics(true);  // a long snapshot keeps its metrics current
		return st;
	};
	// One of the two readers: the extension's, or the pgoutput source's.
	const bool pgoutput = config_.source == SourcePlugin::kPgoutput;
	std::unique_ptr<InitialSnapshot> initial;
	std::unique_ptr<PgoutputSnapshot> published;
	if (pgoutput) {
		published.reset(new PgoutputSnapshot(config_, pgoutput_->frames(), emit, stop_));
		published->set_resync(resync);
		published->set_timeline(timeline_);
		snapshot_ = [&published] {
			return SnapshotProgress{true, published->tables_total(), published->tables_done()};
		};
	} else {
		initial.reset(new InitialSnapshot(config_.conninfo, config_.slot, config_.table_set, config_.snapshot_workers, stop_, emit));
		initial->set_resync(resync);
		initial->set_timeline(timeline_);
		snapshot_ = [&initial] { return SnapshotProgress{true, initial->tables_total(), initial->tables_done()}; };
	}
	struct Forget {  // the snapshot's progress outlives it; the readers do not
		Shipper* self;
		~Forget() {
			self->snapshot_done_ = self->SnapshotNow();
			self->snapshot_done_.running = false;
			self->snapshot_ = nullptr;
		}
	} forget{this};
	// Recorded before the slot exists, so that a crash from here on is seen
	// as an interrupted snapshot, and a slot lost later as lost. A pgoutput
	// source records the slot in Kafka alone (the shipped record), and only
	// once its snapshot is complete: a slot without a record is one whose
	// snapshot did not finish.
	if (!pgoutput) st = initial->Prepare();
	else if (snapshot) st = ForgetShipped();
	std::string snapshot_name;
	uint64_t consistent_lsn = 0;
	if (st.ok()) st = stream.CreateSlot(config_.slot, SlotPlugin(), snapshot, &snapshot_name, &consistent_lsn);
	if (!st.ok()) return st;
	Log(LogLevel::kInfo, "created replication slot", {{"slot", config_.slot}, {"consistent_lsn", LsnText(consistent_lsn)}});
	shipped_ = ShippedEnd{timeline_, consistent_lsn};  // what the old slot shipped is behind the new one
	if (!(pgoutput && snapshot)) st = RecordShipped(true);
	if (!st.ok()) return st;
	if (resync) ++counters_.resyncs;
	*finished = config_.snapshot_mode == SnapshotMode::kInitialOnly;
	if (!snapshot) return pgoutput ? Status::Ok() : initial->MarkDone();  // the slot's creation alone is recorded
	auto started = Clock::now();
	st = pgoutput ? published->Run(snapshot_name, consistent_lsn) : initial->Run(snapshot_name, consistent_lsn);
	const uint64_t rows = pgoutput ? published->rows() : initial->rows();
	// The snapshot counts only once Kafka holds all of it.
	if (st.ok()) st = WaitAcknowledged("the whole snapshot");
	if (st.ok() && pgoutput) st = RecordShipped(true);
	if (st.ok()) st = pgoutput ? WaitAcknowledged("the slot's record") : initial->MarkDone();
	if (!st.ok()) return st;
	Log(LogLevel::kInfo, resync ? "resynchronised" : "snapshot complete",
	    {{"rows", std::to_string(rows)},
	     {"seconds", std::to_string(std::chrono::duration<double>(Clock::now() - started).count())},
	     {"streaming_from", LsnText(consistent_lsn)}});
	return Status::Ok();
}

Status Shipper::ForgetShipped() {
	OutMessage tombstone;
	tombstone.topic = router_->ShippedTopic();
	tombstone.has_key = true;
	tombstone.key = config_.slot;
	tombstone.tombstone = true;
	Status st = producer_->Produce(tombstone, nullptr, 0, *stop_, /*tracked=*/false);
	if (st.ok()) st = WaitAcknowledged("the removal of the slot's record");
	if (st.ok()) recorded_ = ShippedEnd{};
	return st;
}

Status Shipper::SlotRecord(const ReplicationStream::SlotState& slot, InitialSnapshot::Record* record) {
	if (config_.source == SourcePlugin::kFlatwal) return InitialSnapshot::Recorded(config_.conninfo, config_.slot, record);
	*record = InitialSnapshot::Record{};
	ShippedEnd shipped;
	Status st = ReadShippedRecord(config_, router_->ShippedTopic(), config_.slot, &shipped, &record->taken);
	// A slot this shipper made but never recorded: its snapshot did not finish
	// (a slot made by hand, with --no-create-slot, is streamed as it is).
	record->interrupted = st.ok() && slot.exists && !record->taken && config_.create_slot &&
	                      config_.snapshot_mode != SnapshotMode::kNever;
	return st;
}

Status Shipper::PreparePgoutput(ReplicationStream& stream) {
	if (!pgoutput_) {
		std::unique_ptr<PgoutputSource> source(
		    new PgoutputSource(config_, [this](const uint8_t* frame, size_t size) { return HandleFrame(frame, size, true); }));
		Status st = source->LearnVersions(router_->SchemasTopic());
		if (!st.ok()) return st;
		source->set_on_request([this](int64_t id, uint32_t relid) {
			if (on_demand_) on_demand_->Enqueue(id, relid);
		});
		pgoutput_ = std::move(source);
	}
	return pgoutput_->Prepare(stream, timeline_);
}

Status Shipper::StartOnDemandSnapshots(std::unique_ptr<OnDemandSource> source) {
	auto emit = [this](const uint8_t* frame, size_t size) { return HandleFrame(frame, size, false); };
	if (!source) source.reset(new ExtensionOnDemand(config_.table_set, &catalog_, emit));
	on_demand_.reset(
	    new OnDemandSnapshots(config_.conninfo, std::move(source), &catalog_, emit, &tracker_, config_.snapshot_workers));
	Status st = on_demand_->Resume();
	if (!st.ok()) on_demand_.reset();  // set up again on the next connection
	return st;
}

SnapshotProgress Shipper::SnapshotNow() const {
	return snapshot_ ? snapshot_() : snapshot_done_;
}

void Shipper::ReportMetrics(bool connected) {
	if (!report_.wanted()) return;
	if (connected) slot_status_.Refresh();
	const SlotStatus& slot = slot_status_.status();
	MetricsSample sample;
	sample.counters = &counters_;
	sample.queue_full_waits = producer_->queue_full_waits();
	sample.in_flight = tracker_.InFlight();
	sample.delivery_failed = tracker_.failed();
	sample.confirmed_lsn = tracker_.Confirmable();
	sample.timeline = timeline_;
	sample.connected = connected;
	sample.latencies = &tracker_.latencies();
	sample.histogram = &tracker_.histogram();
	sample.delivery_errors = &producer_->delivery_errors();
	sample.broker_errors = &producer_->broker_errors();
	sample.slot = slot;
	sample.snapshot = SnapshotNow();
	sample.start_time_seconds = report_.start_time_seconds();
	const Clock::time_point now = Clock::now();
	HealthMonitor& health = report_.health();
	// Replication counts as connected while the initial snapshot reads (its slot is being made).
	health.Observe(now, connected || snapshot_ != nullptr, SlotLagBytes(sample) >> 20);
	if (sample.delivery_failed) health.Fail("Kafka refused a message for good; the shipper stops (see its log)");
	// A lost slot is resynchronised by this process (healthy: it is making
	// progress); with --no-resync it stops, and says so here until then.
	if (slot.wal_status == "lost" && !config_.resync)
		health.Fail("replication slot " + config_.slot + " was lost (wal_status lost) and --no-resync is set: "
		            "see docs/runbook.md");
	report_.Publish(MetricsText(sample), now);
}

void Shipper::SendStatus(ReplicationStream& stream) {
	uint64_t confirmed = tracker_.Confirmable();
	// A failed send shows up as a closed stream at the next Receive.
	if (stream.SendStatus(std::max(received_lsn_, confirmed), confirmed, false).ok() && confirmed != reported_lsn_) {
		Log(LogLevel::kDebug, "confirmed", {{"flush_lsn", LsnText(confirmed)}, {"in_flight", std::to_string(tracker_.InFlight())}});
		reported_lsn_ = confirmed;
	}
}

Status Shipper::OnData(const ReplicationStream::Message& message) {
	received_lsn_ = std::max(received_lsn_, message.wal_start);
	counters_.server_wal_end = std::max(counters_.server_wal_end, message.wal_end);
	if (pgoutput_) return pgoutput_->OnMessage(message.wal_start, message.data, message.size);
	return HandleMessage(message.data, message.size);
}

void Shipper::OnKeepalive(const ReplicationStream::Message& message) {
	received_lsn_ = std::max(received_lsn_, message.wal_end);
	counters_.server_wal_end = std::max(counters_.server_wal_end, message.wal_end);
	// Between transactions, everything before the server's position has been produced.
	if (!in_transaction_) tracker_.Boundary(message.wal_end);
}

Status Shipper::Stream(ReplicationStream& stream) {
	const auto interval = std::chrono::milliseconds(config_.status_interval_ms);
	auto next_status = Clock::now() + interval;
	in_transaction_ = false;
	ReplicationStream::Message message;
	Status closed = Status::Ok();
	for (;;) {
		if (Stopping()) return Status::Ok();
		if (!producer_->FatalError().ok()) return producer_->FatalError();
		Status st = Status::Ok();
		switch (stream.Receive(std::min(100, MillisUntil(next_status)), &message, &closed)) {
			case ReplicationStream::Event::kData: st = OnData(message); break;
			case ReplicationStream::Event::kKeepalive:
				OnKeepalive(message);
				if (message.reply_requested) next_status = Clock::now();
				break;
			case ReplicationStream::Event::kClosed: return closed;
			case ReplicationStream::Event::kNone: break;
		}
		if (st.ok() && !in_transaction_ && on_demand_) {
			st = on_demand_->Step();
			if (!st.ok()) st = Status::Error(st.kind(), "on-demand snapshot: " + st.message(), st.detail(), st.hint());
		}
		if (!st.ok()) {
			if (!producer_->FatalError().ok()) return producer_->FatalError();
			return Stopping() ? Status::Ok() : st;
		}
		producer_->Poll(0);
		st = RecordShipped(false);
		if (!st.ok()) return st;
		if (heartbeat_) heartbeat_->Tick(Clock::now());
		if (Clock::now() >= next_status) {
			SendStatus(stream);
			ReportMetrics(true);
			next_status = Clock::now() + interval;
		}
	}
}

void Shipper::SetUpRouter(const std::string& database) {
	if (router_) return;
	std::string prefix = config_.topic_prefix.empty() ? SafeTopicPart(database) : config_.topic_prefix;
	RouterOptions options;
	options.topic_prefix = prefix;
	options.tombstones = config_.tombstones;
	options.transactions_topic = config_.transactions_topic;
	options.format = config_.format;
	options.headers = config_.headers;
	options.debezium = config_.debezium;
	options.database = database;
	router_.reset(new Router(std::move(options), &catalog_));
	Log(LogLevel::kInfo, "routing",
	    {{"topic_prefix", prefix},
	     {"format", config_.format == OutputFormat::kDebeziumJson ? "debezium-json" : "flatbuffers"},
	     {"headers", HeaderSetName(EffectiveHeaders(config_.format, config_.headers))},
	     {"schemas_topic", router_->SchemasTopic()}});
}

Status Shipper::RunSession(ReplicationStream& stream, bool* finished) {
	std::string database;
	Status st = stream.Connect(config_.conninfo);
	if (st.ok()) st = stream.IdentifySystem(&database, &timeline_);
	if (!st.ok()) return st;
	SetUpRouter(database);
	const bool pgoutput = config_.source == SourcePlugin::kPgoutput;
	if (pgoutput) st = PreparePgoutput(stream);
	if (st.ok()) st = PrepareSlot(stream, finished);
	if (!st.ok() || *finished) return st;
	if (pgoutput) {
		std::unique_ptr<OnDemandSource> on_demand = on_demand_ ? nullptr : pgoutput_->OnDemand();
		if (on_demand) st = StartOnDemandSnapshots(std::move(on_demand));
		if (st.ok()) st = stream.StartPgoutput(config_.slot, config_.publication);
	} else {
		if (!on_demand_) st = StartOnDemandSnapshots();
		if (st.ok()) st = stream.StartFlatwal(config_.slot, config_.batch_bytes, config_.table_set);
	}
	if (!st.ok()) return st;
	streaming_ = true;
	reconnect_.Succeeded();
	Log(LogLevel::kInfo, "streaming", {{"slot", config_.slot}, {"database", database}});
	return Stream(stream);
}

int Shipper::Run() {
	SetLogLevel(config_.log_level);
	producer_.reset(new KafkaProducer(&tracker_));
	Status st = producer_->Open(config_);
	if (!st.ok()) {
		LogStatus(LogLevel::kError, st);
		return kExitConfig;
	}
	if (config_.heartbeat_interval_ms > 0)
		heartbeat_.reset(new Heartbeat(config_.conninfo, config_.heartbeat_interval_ms));
	st = report_.Open();
	if (!st.ok()) {
		LogStatus(LogLevel::kError, st);
		return kExitConfig;
	}
	ReplicationStream stream;
	while (!Stopping()) {
		bool finished = false;
		st = RunSession(stream, &finished);
		if (!producer_->FatalError().ok()) {
			LogStatus(LogLevel::kError, producer_->FatalError());
			return Shutdown(stream, StopReason::kKafkaError, kExitKafka);
		}
		if (Stopping()) break;
		if (st.ok() && finished) return Shutdown(stream, StopReason::kSnapshotDone, kExitOk);
		if (!st.retriable()) {
			LogStatus(LogLevel::kError, st);
			return Shutdown(stream, StopReason::kPostgresError, kExitRefused);
		}
		++counters_.restarts;
		ReportMetrics(false);
		auto wait = reconnect_.Failed(Clock::now());
		Log(LogLevel::kWarning, "PostgreSQL unavailable, retrying",
		    {{"error", st.message()}, {"retry_in_ms", std::to_string(wait.count())}});
		stream.Close();
		streaming_ = false;
		SleepUnlessStopping(static_cast<int>(wait.count()));
	}
	return Shutdown(stream, StopReason::kSignal, kExitOk);
}

int Shipper::Shutdown(ReplicationStream& stream, StopReason reason, int exit_code) {
	if (exit_code == kExitOk) {
		Status st = RecordShipped(true);
		if (!st.ok()) LogStatus(LogLevel::kWarning, st);
	}
	bool drained = producer_->WaitAcknowledged(exit_code == kExitOk ? config_.shutdown_timeout_ms : 0);
	uint64_t confirmed = tracker_.Confirmable();
	if (streaming_) (void)stream.SendStatus(std::max(received_lsn_, confirmed), confirmed, false);
	ReportMetrics(false);
	rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	long cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 +
	              (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
	const LatencyWindow& latencies = tracker_.latencies();
	Log(exit_code == kExitOk ? LogLevel::kInfo : LogLevel::kError, "stopped",
	    {{"reason", StopReasonName(reason)},
	     {"confirmed_lsn", LsnText(confirmed)},
	     {"frames", std::to_string(counters_.frames)},
	     {"messages", std::to_string(counters_.messages)},
	     {"bytes", std::to_string(counters_.bytes)},
	     {"unacknowledged", std::to_string(producer_->OutQueue())},
	     {"drained", drained ? "true" : "false"},
	     {"cpu_ms", std::to_string(cpu_ms)},
	     {"max_rss_kb", std::to_string(usage.ru_maxrss)},
	     {"commit_to_ack_ms_p50", ScaledMicros(latencies.Quantile(0.50), 1e3, "-")},
	     {"commit_to_ack_ms_p99", ScaledMicros(latencies.Quantile(0.99), 1e3, "-")},
	     {"commit_to_ack_ms_max", ScaledMicros(latencies.max(), 1e3, "-")}});
	return exit_code;
}

}  // namespace flatwal
