// kafka_client.cpp — see kafka_client.h.
#include "kafka_client.h"

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

}  // namespace flatwal
