// producer.h — the Kafka side: an idempotent librdkafka producer whose
// delivery reports feed the LsnTracker.
//
// Two kinds of errors (STYLE.md 9): retriable ones wait — a full queue is
// polled until there is room, a broker outage is retried until it returns
// (message.timeout.ms = 0 unless set) — and fatal ones (a permanent delivery
// failure, a fatal idempotence error) are reported by FatalError() with the
// topic and cause; the shipper then stops without confirming past them.
#ifndef FLATWAL_PRODUCER_H
#define FLATWAL_PRODUCER_H

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <map>
#include <string>
#include <unordered_map>

#include "config.h"
#include "last_lookup.h"
#include "lsn_tracker.h"
#include "router.h"
#include "stop_signal.h"

namespace flatwal {

class KafkaProducer {
 public:
	explicit KafkaProducer(LsnTracker* tracker) : tracker_(tracker) {}
	~KafkaProducer();
	KafkaProducer(const KafkaProducer&) = delete;
	KafkaProducer& operator=(const KafkaProducer&) = delete;

	Status Open(const ShipperConfig& config);
	// Produces one message (value = frame, or null for a tombstone). Waits
	// while librdkafka's queue is full, unless `stop` is raised. An untracked
	// message (not WAL: the record of how far a slot was shipped) holds no
	// confirmation back, and its failed delivery is logged, not fatal.
	Status Produce(const OutMessage& message, const uint8_t* frame, size_t size, const std::atomic<int>& stop,
	               bool tracked = true);
	void Poll(int timeout_ms) { rd_kafka_poll(rk_, timeout_ms); }
	int OutQueue() const { return rd_kafka_outq_len(rk_); }
	// Polls until Kafka has acknowledged (or failed) every message produced so
	// far; gives up early on a fatal error, when `stop` is raised (if given), or
	// after timeout_ms (negative: no limit). True when none is left in flight.
	bool WaitAcknowledged(int timeout_ms, const StopFlag* stop = nullptr);
	// Non-ok once a fatal error was seen.
	const Status& FatalError() const { return fatal_; }
	// Times Produce had to wait for room in librdkafka's queue (back pressure).
	uint64_t queue_full_waits() const { return queue_full_waits_; }
	// Errors seen, by librdkafka's error name: refused deliveries and broker errors.
	const std::map<std::string, uint64_t>& delivery_errors() const { return delivery_errors_; }
	const std::map<std::string, uint64_t>& broker_errors() const { return broker_errors_; }

 private:
	static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque);
	static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);
	// The topic's handle, made (and its metadata asked for) on first use.
	rd_kafka_topic_t* Topic(const std::string& topic);
	LsnTracker* tracker_;
	// Topic handles by name, kept for the producer's life: producing by handle
	// spares librdkafka a lookup by name per message.
	std::unordered_map<std::string, rd_kafka_topic_t*> topics_;
	LastLookup<rd_kafka_topic_t*> last_topic_;  // runs of messages go to one topic
	rd_kafka_t* rk_ = nullptr;
	Status fatal_ = Status::Ok();
	uint64_t queue_full_waits_ = 0;
	// Written by the callbacks, which run inside rd_kafka_poll on the shipper's thread.
	std::map<std::string, uint64_t> delivery_errors_, broker_errors_;
};

}  // namespace flatwal

#endif  // FLATWAL_PRODUCER_H
