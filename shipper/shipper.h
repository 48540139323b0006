// shipper.h — the loop that joins the pieces: replication stream -> frames
// -> routes -> Kafka producer -> delivery reports -> LsnTracker -> standby
// status updates. Reconnects to PostgreSQL with backoff; stops on a signal
// with a bounded flush, or on a fatal error without confirming past it.
#ifndef FLATWAL_SHIPPER_H
#define FLATWAL_SHIPPER_H

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backoff.h"
#include "config.h"
#include "exit_codes.h"
#include "frame_reader.h"
#include "heartbeat.h"
#include "last_lookup.h"
#include "lsn_tracker.h"
#include "metrics.h"
#include "on_demand.h"
#include "pgoutput_source.h"
#include "producer.h"
#include "replication.h"
#include "report.h"
#include "router.h"
#include "shipped_record.h"
#include "slot_status.h"
#include "initial_snapshot.h"
#include "stop_signal.h"

namespace flatwal {

// Why the shipper stopped, as its last log line says.
enum class StopReason { kSignal, kSnapshotDone, kKafkaError, kPostgresError };
const char* StopReasonName(StopReason reason);

class Shipper {
 public:
	Shipper(ShipperConfig config, const StopFlag* stop);
	~Shipper();
	int Run();

 private:
	// One connection's life: connect, make sure of the slot, stream until the
	// stream ends. Ok when a stop was asked for, or when there is nothing more
	// to do (*finished, snapshot mode initial_only).
	Status RunSession(ReplicationStream& stream, bool* finished);
	void SetUpRouter(const std::string& database);
	// Makes sure the slot exists, taking the initial snapshot when it is new,
	// and resynchronising when it was lost.
	Status PrepareSlot(ReplicationStream& stream, bool* finished);
	// *why says so when the server's timeline is newer than the one this
	// process last shipped from and left it before the shipped end (ghosts).
	Status ShippedPastTimeline(ReplicationStream& stream, std::string* why);
	// Writes how far this slot was shipped to Kafka when it changed: at once
	// with `now`, else at most once a second.
	Status RecordShipped(bool now);
	enum class SlotStart { kNew, kResync };
	// Creates the slot and takes its snapshot (a resync takes one whatever
	// the snapshot mode); *finished: snapshot mode initial_only.
	Status CreateSlotWithSnapshot(ReplicationStream& stream, SlotStart start, bool* finished);
	// On-demand snapshots from `source`; the extension's when null.
	Status StartOnDemandSnapshots(std::unique_ptr<OnDemandSource> source = nullptr);
	// --source pgoutput: the source set up for this connection (once per process, the versions shipped before).
	Status PreparePgoutput(ReplicationStream& stream);
	// Whether this database records the slot's creation (and its snapshot):
	// flatwal.snapshot_progress, or for pgoutput the shipped record in Kafka.
	Status SlotRecord(const ReplicationStream::SlotState& slot, InitialSnapshot::Record* record);
	// Deletes the slot's shipped record (a tombstone), acknowledged: a pgoutput
	// slot made from here on is recorded once its snapshot is complete.
	Status ForgetShipped();
	const char* SlotPlugin() const { return config_.source == SourcePlugin::kPgoutput ? "pgoutput" : "flatwal"; }
	// Streams until a stop is asked for (Ok) or the stream fails.
	Status Stream(ReplicationStream& stream);
	Status OnData(const ReplicationStream::Message& message);
	void OnKeepalive(const ReplicationStream::Message& message);
	Status HandleMessage(const uint8_t* data, size_t size);
	// Routes and produces one frame. `observe`: the on-demand snapshots see
	// it first (frames of the stream, not the shipper's own).
	Status HandleFrame(const uint8_t* frame, size_t length, bool observe);
	// Follows transaction boundaries for the LSN tracker.
	Status TrackBoundaries(const wire::Event& event);
	// Waits until Kafka has acknowledged everything produced so far.
	Status WaitAcknowledged(const char* what);
	void SendStatus(ReplicationStream& stream);
	// Stops reading WAL, gives Kafka a bounded time, confirms what it acknowledged, says so.
	int Shutdown(ReplicationStream& stream, StopReason reason, int exit_code);
	bool Stopping() const { return stop_->load() != 0; }
	void SleepUnlessStopping(int ms);
	// Renders the metrics for --metrics-file and --http, and the health verdict.
	void ReportMetrics(bool connected);
	SnapshotProgress SnapshotNow() const;

	ShipperConfig config_;
	const StopFlag* stop_;
	LsnTracker tracker_;
	std::unique_ptr<KafkaProducer> producer_;
	TableCatalog catalog_;                 // tables and keys, from the Schema frames routed
	std::unique_ptr<Router> router_;
	std::unique_ptr<OnDemandSnapshots> on_demand_;  // pgoutput: only with a signal table
	std::unique_ptr<PgoutputSource> pgoutput_;      // --source pgoutput
	std::unique_ptr<Heartbeat> heartbeat_;  // with --heartbeat-interval
	Backoff reconnect_{std::chrono::milliseconds(500), std::chrono::seconds(30)};
	RoutedMessages routes_;                // scratch: messages for one frame, reused
	FrameScratch frame_scratch_;           // frames that arrive misaligned
	ShipperCounters counters_;
	LastLookup<TopicCounters> topic_counters_;  // in counters_.topics: runs of messages go to one topic
	Report report_;                        // --metrics-file, --http
	SlotStatusReader slot_status_;
	std::function<SnapshotProgress()> snapshot_;  // while an initial snapshot runs: its progress
	SnapshotProgress snapshot_done_;       // the last one's, once it ended
	bool streaming_ = false;               // in COPY mode: a status update can be sent
	bool in_transaction_ = false;
	uint64_t received_lsn_ = 0;
	uint64_t reported_lsn_ = 0;
	uint32_t timeline_ = 0;                // the source's, from the connection (IDENTIFY_SYSTEM)
	// The end of the last transaction handed to Kafka, and its timeline: a slot
	// found on a promoted server after it is behind what consumers hold. Kept
	// in Kafka too (shipped_record.h), for a shipper started after a failover.
	ShippedEnd shipped_;
	ShippedEnd recorded_;                  // what the last record written says
	std::chrono::steady_clock::time_point next_record_;
};

}  // namespace flatwal

#endif  // FLATWAL_SHIPPER_H
