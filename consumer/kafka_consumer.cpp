// kafka_consumer.cpp — see kafka_consumer.h.
#include "kafka_consumer.h"

namespace flatwal {

Status ParseKafkaSetting(const std::string& text, KafkaSettings* settings) {
	size_t eq = text.find('=');
	if (eq == std::string::npos || eq == 0)
		return Status::Error(ErrorKind::kInvalidParameter, "-X needs KEY=VALUE, got \"" + text + "\"");
	settings->emplace_back(text.substr(0, eq), text.substr(eq + 1));
	return Status::Ok();
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
	char err[512];
	rd_kafka_conf_t* conf = rd_kafka_conf_new();
	for (const auto& kv : settings) {
		if (rd_kafka_conf_set(conf, kv.first.c_str(), kv.second.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
			rd_kafka_conf_destroy(conf);
			return Status::Error(ErrorKind::kInvalidParameter, err);
		}
	}
	rd_kafka_conf_set_opaque(conf, this);
	rd_kafka_conf_set_rebalance_cb(conf, OnRebalance);
	handle_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);  // owns conf only on success
	if (handle_ == nullptr) {
		rd_kafka_conf_destroy(conf);
		return Status::Error(ErrorKind::kInvalidParameter, err);
	}
	rd_kafka_poll_set_consumer(handle_);
	rd_kafka_topic_partition_list_t* subscription = rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
	for (const std::string& t : topics) rd_kafka_topic_partition_list_add(subscription, t.c_str(), RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t rc = rd_kafka_subscribe(handle_, subscription);
	rd_kafka_topic_partition_list_destroy(subscription);
	if (rc) return Status::Error(ErrorKind::kInvalidParameter, std::string("cannot subscribe: ") + rd_kafka_err2str(rc));
	return Status::Ok();
}

void KafkaConsumer::Close() {
	if (handle_ == nullptr) return;
	rd_kafka_consumer_close(handle_);
	rd_kafka_destroy(handle_);
	handle_ = nullptr;
}

}  // namespace flatwal
