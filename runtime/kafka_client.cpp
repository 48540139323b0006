// kafka_client.cpp — see kafka_client.h.
#include "kafka_client.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "log.h"
#include "secrets.h"

namespace flatwal {
namespace {

void LogKafka(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
	// syslog levels: 0-3 errors, 4 warnings, 5-6 notices and information, 7 debugging.
	LogLevel ours = level <= 3 ? LogLevel::kError : level == 4 ? LogLevel::kWarning : level <= 6 ? LogLevel::kInfo : LogLevel::kDebug;
	Log(ours, message, {{"source", "librdkafka"}, {"facility", facility}, {"client", rd_kafka_name(rk)}});
}

}  // namespace

Status ParseKafkaSetting(const std::string& text, KafkaSettings* settings) {
	size_t eq = text.find('=');
	if (eq == std::string::npos || eq == 0)
		return Status::Error(ErrorKind::kInvalidParameter, "-X needs KEY=VALUE", "The argument was \"" + text + "\".",
		                     "For example: -X security.protocol=ssl");
	Status st = RefuseSecretOnCommandLine(text.substr(0, eq));
	if (!st.ok()) return st;
	settings->emplace_back(text.substr(0, eq), text.substr(eq + 1));
	return Status::Ok();
}

Status NewKafkaHandle(rd_kafka_type_t type, const KafkaSettings& settings,
                      const std::function<void(rd_kafka_conf_t*)>& prepare, rd_kafka_t** handle) {
	char err[512];
	rd_kafka_conf_t* conf = rd_kafka_conf_new();
	for (const auto& kv : settings) {
		if (rd_kafka_conf_set(conf, kv.first.c_str(), kv.second.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
			rd_kafka_conf_destroy(conf);
			return Status::Error(ErrorKind::kInvalidParameter, "invalid Kafka setting " + kv.first, err,
			                     "Kafka settings (-X, the config file's [kafka]) are librdkafka properties "
			                     "(see its CONFIGURATION.md).");
		}
	}
	rd_kafka_conf_set_log_cb(conf, LogKafka);
	if (prepare) prepare(conf);
	*handle = rd_kafka_new(type, conf, err, sizeof err);  // owns conf only on success
	if (*handle == nullptr) {
		rd_kafka_conf_destroy(conf);
		return Status::Error(ErrorKind::kInvalidParameter, err);
	}
	return Status::Ok();
}

void CloseKafkaConsumer(rd_kafka_t** handle) {
	if (*handle == nullptr) return;
	rd_kafka_consumer_close(*handle);
	rd_kafka_destroy(*handle);
	*handle = nullptr;
}

void KafkaConsumer::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                                void* opaque) {
	auto* self = static_cast<KafkaConsumer*>(opaque);
	if (self->rebalance_) return self->rebalance_(rk, err, partitions);
	rd_kafka_assign(rk, err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? partitions : nullptr);
}

Status KafkaConsumer::Open(const KafkaSettings& settings, const std::vector<std::string>& topics, Rebalance rebalance) {
	Close();
	rebalance_ = std::move(rebalance);
	Status st = NewKafkaHandle(RD_KAFKA_CONSUMER, settings,
	                           [this](rd_kafka_conf_t* conf) {
		                           rd_kafka_conf_set_opaque(conf, this);
		                           rd_kafka_conf_set_rebalance_cb(conf, OnRebalance);
	                           },
	                           &handle_);
	if (!st.ok()) return st;
	rd_kafka_poll_set_consumer(handle_);
	rd_kafka_topic_partition_list_t* subscription = rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
	for (const std::string& t : topics) rd_kafka_topic_partition_list_add(subscription, t.c_str(), RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t rc = rd_kafka_subscribe(handle_, subscription);
	rd_kafka_topic_partition_list_destroy(subscription);
	if (rc) return Status::Error(ErrorKind::kInvalidParameter, std::string("cannot subscribe: ") + rd_kafka_err2str(rc));
	return Status::Ok();
}

void KafkaConsumer::Close() { CloseKafkaConsumer(&handle_); }

Status ReadTopicToEnd(const KafkaSettings& settings, const std::string& topic, int64_t tail, int timeout_ms,
                      const TopicRecord& record) {
	KafkaSettings reader = settings;
	reader.emplace_back("enable.auto.commit", "false");
	reader.emplace_back("enable.partition.eof", "true");
	reader.emplace_back("group.id", "flatwal-topic-reader");  // never joined: partitions are assigned
	rd_kafka_t* raw = nullptr;
	Status st = NewKafkaHandle(RD_KAFKA_CONSUMER, reader, nullptr, &raw);
	if (!st.ok()) return st;
	std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> rk(raw, &rd_kafka_destroy);
	const rd_kafka_metadata_t* metadata = nullptr;
	std::unique_ptr<rd_kafka_topic_t, decltype(&rd_kafka_topic_destroy)> handle(
	    rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr), &rd_kafka_topic_destroy);
	rd_kafka_resp_err_t err = rd_kafka_metadata(rk.get(), 0, handle.get(), &metadata, timeout_ms);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		return Status::Error(ErrorKind::kUnavailable, "cannot read the metadata of " + topic + ": " + rd_kafka_err2str(err));
	std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> md(metadata, &rd_kafka_metadata_destroy);
	if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();  // no topic
	std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)> assignment(
	    rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt), &rd_kafka_topic_partition_list_destroy);
	int waiting = 0;
	for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
		const int32_t partition = md->topics[0].partitions[i].id;
		int64_t low = 0, high = 0;
		err = rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), partition, &low, &high, timeout_ms);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
			return Status::Error(ErrorKind::kUnavailable, "cannot read the offsets of " + topic + ": " + rd_kafka_err2str(err));
		if (high <= low) continue;
		rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), partition)->offset =
		    tail > 0 ? std::max(low, high - tail) : low;
		++waiting;
	}
	if (waiting == 0) return Status::Ok();
	if ((err = rd_kafka_assign(rk.get(), assignment.get())) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return Status::Error(ErrorKind::kUnavailable, "cannot read " + topic + ": " + rd_kafka_err2str(err));
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
	while (waiting > 0) {
		if (std::chrono::steady_clock::now() > deadline)
			return Status::Error(ErrorKind::kUnavailable,
			                     "reading " + topic + " took more than " + std::to_string(timeout_ms / 1000) + " s");
		rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 100);
		if (m == nullptr) continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			--waiting;
		else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
			record(std::string_view(static_cast<const char*>(m->key), m->key != nullptr ? m->key_len : 0),
			       std::string_view(static_cast<const char*>(m->payload), m->payload != nullptr ? m->len : 0));
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk.get());
	return Status::Ok();
}

}  // namespace flatwal
