// producer.cpp — see producer.h.
#include "producer.h"

#include <chrono>

#include "kafka_client.h"
#include "log.h"

namespace flatwal {
namespace {

// The delivery-report number of a message the LsnTracker does not follow.
constexpr LsnTracker::Seq kUntracked = ~LsnTracker::Seq{0};

bool UserSet(const ShipperConfig& config, const char* property) {
	for (const auto& kv : config.kafka)
		if (kv.first == property) return true;
	return false;
}

}  // namespace

KafkaProducer::~KafkaProducer() {
	for (const auto& topic : topics_) rd_kafka_topic_destroy(topic.second);
	if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

Status KafkaProducer::Open(const ShipperConfig& config) {
	// The delivery contract needs these; the user may not weaken them.
	const std::pair<const char*, const char*> required[] = {{"enable.idempotence", "true"}, {"acks", "all"}};
	// Sensible defaults that the user may override.
	const std::pair<const char*, const char*> defaults[] = {
	    {"partitioner", "murmur2_random"},  // the Java client's partitioner: joins by key line up
	    {"message.timeout.ms", "0"},        // retry through broker outages until they end
	    // Under load batches fill before 1 ms; at 10,000 rows/s it halved
	    // commit-to-ack latency against 5 ms (p50 11 -> 5.4 ms, p99 17.5 -> 11.4 ms)
	    // at the same CPU per event (bench/shipper.sh, alternate runs).
	    {"linger.ms", "1"},
	    {"compression.type", "lz4"},
	    {"client.id", "flatwal-shipper"},
	};
	for (const auto& kv : required) {
		for (const auto& user : config.kafka) {
			bool same = user.second == kv.second || (user.first == "acks" && user.second == "-1");
			if (user.first == kv.first && !same)
				return Status::Error(ErrorKind::kInvalidParameter,
				                     "Kafka setting " + user.first + " = " + user.second + " is not allowed",
				                     "flatwal-shipper confirms WAL only after Kafka acknowledged it, which needs " +
				                         std::string(kv.first) + " = " + kv.second + ".",
				                     "Remove the setting.");
		}
	}
	KafkaSettings settings;  // later entries win: defaults, then the user's, then the contract
	for (const auto& kv : defaults)
		if (!UserSet(config, kv.first)) settings.emplace_back(kv.first, kv.second);
	settings.insert(settings.end(), config.kafka.begin(), config.kafka.end());
	for (const auto& kv : required) settings.emplace_back(kv.first, kv.second);
	return NewKafkaHandle(RD_KAFKA_PRODUCER, settings,
	                      [this](rd_kafka_conf_t* conf) {
		                      rd_kafka_conf_set_dr_msg_cb(conf, &KafkaProducer::OnDelivery);
		                      rd_kafka_conf_set_error_cb(conf, &KafkaProducer::OnError);
		                      rd_kafka_conf_set_opaque(conf, this);
	                      },
	                      &rk_);
}

void KafkaProducer::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
	auto* self = static_cast<KafkaProducer*>(opaque);
	auto seq = static_cast<LsnTracker::Seq>(reinterpret_cast<uintptr_t>(message->_private));
	if (seq == kUntracked) {
		if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
		++self->delivery_errors_[rd_kafka_err2name(message->err)];
		Log(LogLevel::kWarning, "Kafka refused the record of how far the slot was shipped",
		    {{"topic", message->rkt ? rd_kafka_topic_name(message->rkt) : "?"}, {"error", rd_kafka_err2str(message->err)},
		     {"hint", "a shipper started after a failover cannot tell what was shipped: let the shipper create the topic, "
		              "or create it (compacted)"}});
		return;
	}
	if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		self->tracker_->Delivered(seq);
		return;
	}
	self->tracker_->Failed(seq);
	++self->delivery_errors_[rd_kafka_err2name(message->err)];
	if (self->fatal_.ok()) {
		std::string topic = message->rkt ? rd_kafka_topic_name(message->rkt) : "?";
		self->fatal_ = Status::Error(ErrorKind::kInternal,
		                             "Kafka refused a message for topic " + topic + ": " + rd_kafka_err2str(message->err),
		                             std::string("error code ") + rd_kafka_err2name(message->err),
		                             "Nothing from this message on is confirmed to PostgreSQL; fix the cause "
		                             "(topic exists or auto-creation is on, ACLs, message.max.bytes) and restart.");
	}
}

// librdkafka's own lines (syslog levels) go through the shipper's logger, so
// stderr holds one format. Called from librdkafka's threads: Log writes each
// line with one write().
void KafkaProducer::OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
	auto* self = static_cast<KafkaProducer*>(opaque);
	++self->broker_errors_[rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))];
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char fatal_reason[512];
		rd_kafka_resp_err_t code = rd_kafka_fatal_error(rk, fatal_reason, sizeof fatal_reason);
		if (self->fatal_.ok())
			self->fatal_ = Status::Error(ErrorKind::kInternal, std::string("fatal Kafka error: ") + fatal_reason,
			                             std::string("error code ") + rd_kafka_err2name(code),
			                             "Restart the shipper; it resumes from the last confirmed position.");
		return;
	}
	// Broker down, connection refused, ...: librdkafka keeps retrying.
	Log(LogLevel::kWarning, "Kafka is not reachable, retrying",
	    {{"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))}, {"reason", reason}});
}

// librdkafka looks up topics it has not seen yet once a second (a known
// behaviour of 2.0), so the first message to each topic would wait up to 1 s
// for its partitions. Asking for the topic's metadata when it is first used
// sends that request at once. The wait is bounded; after a timeout the
// periodic lookup still finds the topic, so nothing depends on it.
rd_kafka_topic_t* KafkaProducer::Topic(const std::string& topic) {
	constexpr int kLookupTimeoutMs = 500;
	if (rd_kafka_topic_t** last = last_topic_.Find(topic)) return *last;
	auto it = topics_.find(topic);
	if (it == topics_.end()) {
		rd_kafka_topic_t* handle = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
		if (handle == nullptr) return nullptr;
		const rd_kafka_metadata_t* metadata = nullptr;
		if (rd_kafka_metadata(rk_, 0, handle, &metadata, kLookupTimeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR)
			rd_kafka_metadata_destroy(metadata);
		it = topics_.emplace(topic, handle).first;
	}
	return *last_topic_.Remember(topic, &it->second);
}

Status KafkaProducer::Produce(const OutMessage& message, const uint8_t* frame, size_t size,
                              const std::atomic<int>& stop, bool tracked) {
	rd_kafka_topic_t* topic = Topic(message.topic);
	if (topic == nullptr) {
		if (fatal_.ok())
			fatal_ = Status::Error(ErrorKind::kInternal, "Kafka refused topic " + message.topic + ": " +
			                                                 rd_kafka_err2str(rd_kafka_last_error()),
			                       "", "Check --topic-prefix and the topic naming of your Kafka.");
		return fatal_;
	}
	// The value: none for a tombstone, the rendered event (Debezium format), or the frame itself.
	void* value = message.tombstone ? nullptr
	              : message.rendered ? const_cast<char*>(message.value.data())
	                                 : static_cast<void*>(const_cast<uint8_t*>(frame));
	const size_t value_size = message.tombstone ? 0 : message.rendered ? message.value.size() : size;
	const LsnTracker::Seq seq = tracked ? tracker_->Produced() : kUntracked;
	for (;;) {
		rd_kafka_headers_t* headers = rd_kafka_headers_new(message.header_count);
		for (size_t i = 0; i < message.header_count; ++i) {
			const MessageHeader& h = message.headers[i];
			rd_kafka_header_add(headers, h.name, -1, h.value.data(), static_cast<ssize_t>(h.value.size()));
		}
		rd_kafka_resp_err_t err = rd_kafka_producev(
		    rk_, RD_KAFKA_V_RKT(topic),
		    RD_KAFKA_V_KEY(message.has_key ? message.key.data() : nullptr, message.has_key ? message.key.size() : 0),
		    RD_KAFKA_V_VALUE(value, value_size),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_TIMESTAMP(message.timestamp_ms),
		    RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(seq))), RD_KAFKA_V_END);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
		rd_kafka_headers_destroy(headers);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			// Refused before it left the process (too large, bad topic name): as fatal as a failed delivery.
			if (tracked) tracker_->Failed(seq);
			if (fatal_.ok())
				fatal_ = Status::Error(ErrorKind::kInternal,
				                       "Kafka refused a message for topic " + message.topic + ": " + rd_kafka_err2str(err),
				                       std::string("error code ") + rd_kafka_err2name(err),
				                       "Nothing from this message on is confirmed to PostgreSQL; fix the cause "
				                       "(message.max.bytes, topic name) and restart.");
			return fatal_;
		}
		// Back pressure: stop reading WAL until librdkafka has room.
		++queue_full_waits_;
		if (stop.load() != 0) {
			if (tracked) tracker_->Failed(seq);
			return Status::Error(ErrorKind::kInternal, "stopped while waiting for room in the Kafka queue");
		}
		rd_kafka_poll(rk_, 50);
		if (!fatal_.ok()) return fatal_;
	}
}

bool KafkaProducer::WaitAcknowledged(int timeout_ms, const StopFlag* stop) {
	using Clock = std::chrono::steady_clock;
	const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
	while (rd_kafka_outq_len(rk_) > 0 && fatal_.ok() && (stop == nullptr || stop->load() == 0) &&
	       (timeout_ms < 0 || Clock::now() < deadline))
		rd_kafka_poll(rk_, 50);
	return rd_kafka_outq_len(rk_) == 0;
}

}  // namespace flatwal
