// dead_letters.cpp — see dead_letters.h.
#include "dead_letters.h"

#include "kafka_contract.h"

namespace flatwal {
namespace {

// Settings given with -X for the sink's consumer that a producer warns about.
bool IsConsumerSetting(const std::string& key) {
	static const char* const kConsumerOnly[] = {"group.id", "session.timeout.ms", "heartbeat.interval.ms",
	                                             "max.poll.interval.ms", "auto.offset.reset", "enable.auto.commit",
	                                             "enable.auto.offset.store", "partition.assignment.strategy",
	                                             "fetch.min.bytes", "fetch.wait.max.ms", "isolation.level"};
	for (const char* k : kConsumerOnly)
		if (key == k) return true;
	return false;
}

}  // namespace

DeadLetters::~DeadLetters() {
	if (producer_ == nullptr) return;
	rd_kafka_flush(producer_, 5000);
	rd_kafka_destroy(producer_);
}

void DeadLetters::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
	auto* self = static_cast<DeadLetters*>(opaque);
	if (m->err) {
		++self->failed_;
		self->last_error_ = rd_kafka_err2str(m->err);
	} else {
		++self->written_;
	}
}

Status DeadLetters::Open(const KafkaSettings& settings, std::string topic) {
	topic_ = std::move(topic);
	KafkaSettings all = {{"enable.idempotence", "true"}, {"acks", "all"}};
	for (const auto& kv : settings)
		if (!IsConsumerSetting(kv.first)) all.push_back(kv);  // -X is written for the sink's consumer
	return NewKafkaHandle(RD_KAFKA_PRODUCER, all,
	                      [this](rd_kafka_conf_t* conf) {
		                      rd_kafka_conf_set_opaque(conf, this);
		                      rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
	                      },
	                      &producer_);
}

Status DeadLetters::Add(const rd_kafka_message_t* m, const std::string& reason) {
	rd_kafka_headers_t* headers = nullptr;
	rd_kafka_headers_t* original = nullptr;
	headers = rd_kafka_message_headers(m, &original) == RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_headers_copy(original)
	                                                                              : rd_kafka_headers_new(4);
	const std::string partition = std::to_string(m->partition), offset = std::to_string(m->offset);
	const char* source = rd_kafka_topic_name(m->rkt);
	rd_kafka_header_add(headers, kHeaderDeadLetterReason, -1, reason.data(), static_cast<ssize_t>(reason.size()));
	rd_kafka_header_add(headers, kHeaderDeadLetterTopic, -1, source, -1);
	rd_kafka_header_add(headers, kHeaderDeadLetterPartition, -1, partition.data(), static_cast<ssize_t>(partition.size()));
	rd_kafka_header_add(headers, kHeaderDeadLetterOffset, -1, offset.data(), static_cast<ssize_t>(offset.size()));
	rd_kafka_resp_err_t rc = rd_kafka_producev(
	    producer_, RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	    RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len), RD_KAFKA_V_HEADERS(headers),
	    RD_KAFKA_V_END);
	if (rc) {
		rd_kafka_headers_destroy(headers);
		return Status::Error(ErrorKind::kUnavailable, std::string("cannot queue a dead letter: ") + rd_kafka_err2str(rc));
	}
	++queued_;
	return Status::Ok();
}

Status DeadLetters::Flush(int timeout_ms) {
	if (queued_ == 0) return Status::Ok();
	rd_kafka_flush(producer_, timeout_ms);
	if (rd_kafka_outq_len(producer_) > 0 || failed_ > 0) {
		std::string error = failed_ > 0 ? last_error_ : "not acknowledged in time";
		failed_ = 0;
		queued_ = 0;
		return Status::Error(ErrorKind::kUnavailable, "dead letters not written to " + topic_ + ": " + error);
	}
	queued_ = 0;
	return Status::Ok();
}

}  // namespace flatwal
