// kafka_client.h — the programs' one way to make a librdkafka handle
// (NewKafkaHandle: settings, and librdkafka's own log lines as structured
// log lines), the -X KEY=VALUE parser, and a consumer in a group subscribed
// to topics (a name, or a regular expression starting with '^'), shared by
// flatwal-consume and flatwal-sink. The caller decides what an assignment
// means: flatwal-consume takes the group's committed offsets, flatwal-sink
// the offsets stored with its checkpoints in the target.
#ifndef FLATWAL_KAFKA_CLIENT_H
#define FLATWAL_KAFKA_CLIENT_H

#include <librdkafka/rdkafka.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "status.h"

namespace flatwal {

using KafkaSettings = std::vector<std::pair<std::string, std::string>>;

// Parses "KEY=VALUE", the -X option of every program; a secret property
// (secrets.h) is refused there, with the environment variable to use.
Status ParseKafkaSetting(const std::string& text, KafkaSettings* settings);

// Makes a librdkafka handle of `type` from `settings` (later entries win),
// whose log lines go to the structured log (source=librdkafka). `prepare`,
// if given, sets callbacks and the opaque on the configuration before the
// handle takes it. The one place a handle is built.
Status NewKafkaHandle(rd_kafka_type_t type, const KafkaSettings& settings,
                      const std::function<void(rd_kafka_conf_t*)>& prepare, rd_kafka_t** handle);
// Reads `topic` to its end without joining a group: each partition from its
// oldest record, or from its last `tail` records when tail > 0, calling
// `record` with every record's key and value (empty for a tombstone), in
// offset order within a partition. A topic that does not exist reads as
// empty. kUnavailable when the brokers do not answer or the end is not
// reached within timeout_ms. `settings` must include bootstrap.servers.
using TopicRecord = std::function<void(std::string_view key, std::string_view value)>;
Status ReadTopicToEnd(const KafkaSettings& settings, const std::string& topic, int64_t tail, int timeout_ms,
                      const TopicRecord& record);
// Leaves the group and frees a consumer handle; a null handle is left alone.
void CloseKafkaConsumer(rd_kafka_t** handle);

class KafkaConsumer {
 public:
	// Called on every rebalance, from Poll(). The default assigns
	// `partitions` as given (their committed offsets) and unassigns on revoke.
	using Rebalance = std::function<void(rd_kafka_t*, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t*)>;

	KafkaConsumer() = default;
	~KafkaConsumer() { Close(); }
	KafkaConsumer(const KafkaConsumer&) = delete;
	KafkaConsumer& operator=(const KafkaConsumer&) = delete;

	// `settings` must include bootstrap.servers and group.id; later entries win.
	Status Open(const KafkaSettings& settings, const std::vector<std::string>& topics, Rebalance rebalance = nullptr);
	// The next message or event (caller destroys it), or nullptr after `timeout_ms`.
	rd_kafka_message_t* Poll(int timeout_ms) { return rd_kafka_consumer_poll(handle_, timeout_ms); }
	rd_kafka_t* handle() const { return handle_; }
	// Leaves the group (a final rebalance runs) and frees the handle.
	void Close();

 private:
	static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
	                        void* opaque);
	rd_kafka_t* handle_ = nullptr;
	Rebalance rebalance_;
};

}  // namespace flatwal

#endif  // FLATWAL_KAFKA_CLIENT_H
