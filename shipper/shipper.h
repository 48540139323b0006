// shipper.h — the loop that joins the pieces: replication stream -> frames
// -> routes -> Kafka producer -> delivery reports -> LsnTracker -> standby
// status updates. Reconnects to PostgreSQL with backoff; stops on a signal
// with a bounded flush, or on a fatal error without confirming past it.
#ifndef FLATWAL_SHIPPER_H
#define FLATWAL_SHIPPER_H

#include <atomic>
#include <memory>
#include <vector>

#include "config.h"
#include "frame_reader.h"
#include "lsn_tracker.h"
#include "on_demand.h"
#include "producer.h"
#include "replication.h"
#include "router.h"

namespace flatwal {

// Exit codes, also documented in --help's neighbour, the README.
enum ExitCode { kExitOk = 0, kExitConfig = 1, kExitKafka = 2, kExitPostgres = 3 };

class Shipper {
 public:
	Shipper(ShipperConfig config, const std::atomic<int>* stop) : config_(std::move(config)), stop_(stop) {}
	int Run();

 private:
	enum class StreamEnd { kStopRequested, kDisconnected, kKafkaFatal, kBadStream };
	StreamEnd Stream(ReplicationStream& stream, PgFailure* failure);
	// Makes sure the slot exists, taking the initial snapshot when it is new.
	// *finished: nothing more to do (snapshot mode initial_only).
	bool PrepareSlot(ReplicationStream& stream, bool* finished, PgFailure* failure);
	Status HandleMessage(const uint8_t* data, size_t size);
	// Routes and produces one frame. `observe`: the on-demand snapshots see
	// it first (frames of the stream, not the shipper's own).
	Status HandleFrame(const uint8_t* frame, size_t length, bool observe);
	void SendStatus(ReplicationStream& stream, PgFailure* failure);
	bool Stopping() const { return stop_->load() != 0; }
	void SleepUnlessStopping(int ms);
	void WriteMetrics(bool connected);

	ShipperConfig config_;
	const std::atomic<int>* stop_;
	LsnTracker tracker_;
	std::unique_ptr<KafkaProducer> producer_;
	TableCatalog catalog_;                 // tables and keys, from the Schema frames routed
	std::unique_ptr<Router> router_;
	std::unique_ptr<OnDemandSnapshots> on_demand_;
	std::vector<OutMessage> routes_;       // scratch: messages for one frame
	FrameScratch frame_scratch_;           // frames that arrive misaligned
	bool in_transaction_ = false;
	uint64_t received_lsn_ = 0;
	uint64_t reported_lsn_ = 0;
	uint64_t frames_ = 0;
	uint64_t messages_ = 0;
	uint64_t bytes_ = 0;
	uint64_t snapshot_rows_ = 0;     // read rows produced (initial and on-demand snapshots)
	uint64_t server_wal_end_ = 0;    // the server's end of WAL, from its messages
};

}  // namespace flatwal

#endif  // FLATWAL_SHIPPER_H
