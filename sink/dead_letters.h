// dead_letters.h — the dead-letter topic (<prefix>.flatwal.dlq): a message
// flatwal-sink cannot decode or apply is copied there as it was (key, value,
// headers), with headers saying why and where it came from:
//   flatwal.dlq.reason, flatwal.dlq.topic, flatwal.dlq.partition, flatwal.dlq.offset
// Written and acknowledged before the batch that skips it commits, so a
// dead letter is never lost (it may be written twice if that commit fails).
#ifndef FLATWAL_SINK_DEAD_LETTERS_H
#define FLATWAL_SINK_DEAD_LETTERS_H

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <string>

#include "kafka_client.h"
#include "status.h"

namespace flatwal {

class DeadLetters {
 public:
	DeadLetters() = default;
	~DeadLetters();
	DeadLetters(const DeadLetters&) = delete;
	DeadLetters& operator=(const DeadLetters&) = delete;

	Status Open(const KafkaSettings& settings, std::string topic);
	const std::string& topic() const { return topic_; }
	// Queues a copy of `m` with the reason.
	Status Add(const rd_kafka_message_t* m, const std::string& reason);
	// Waits until every queued letter is acknowledged; fails if one was not.
	Status Flush(int timeout_ms);
	uint64_t written() const { return written_; }

 private:
	static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);
	rd_kafka_t* producer_ = nullptr;
	std::string topic_;
	uint64_t queued_ = 0, written_ = 0, failed_ = 0;
	std::string last_error_;
};

}  // namespace flatwal

#endif  // FLATWAL_SINK_DEAD_LETTERS_H
