// schema_registry.cpp — see schema_registry.h.
#include "schema_registry.h"

#include <algorithm>

#include "frame_reader.h"
#include "log.h"

namespace flatwal {

SchemaRegistry::~SchemaRegistry() { CloseKafkaConsumer(&consumer_); }

Status SchemaRegistry::Open(const KafkaSettings& settings, std::string topic) {
	topic_ = std::move(topic);
	KafkaSettings all = settings;
	// Read by assignment, never committed: every start reads the whole (compacted) topic.
	all.insert(all.end(), {{"group.id", "flatwal-sink-schemas"}, {"enable.auto.commit", "false"},
	                       {"enable.partition.eof", "false"}, {"auto.offset.reset", "earliest"}});
	return NewKafkaHandle(RD_KAFKA_CONSUMER, all, nullptr, &consumer_);
}

Status SchemaRegistry::Assign(int partitions) {
	next_offsets_.resize(static_cast<size_t>(partitions), RD_KAFKA_OFFSET_BEGINNING);
	rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
	for (int p = 0; p < partitions; ++p)
		rd_kafka_topic_partition_list_add(list, topic_.c_str(), p)->offset = next_offsets_[static_cast<size_t>(p)];
	rd_kafka_resp_err_t rc = rd_kafka_assign(consumer_, list);
	rd_kafka_topic_partition_list_destroy(list);
	if (rc) return Status::Error(ErrorKind::kUnavailable, std::string("cannot read ") + topic_ + ": " + rd_kafka_err2str(rc));
	return Status::Ok();
}

Status SchemaRegistry::CatchUp(std::chrono::milliseconds timeout) {
	auto deadline = std::chrono::steady_clock::now() + timeout;
	int timeout_ms = static_cast<int>(timeout.count());
	rd_kafka_topic_t* topic = rd_kafka_topic_new(consumer_, topic_.c_str(), nullptr);
	const rd_kafka_metadata_t* metadata = nullptr;
	rd_kafka_resp_err_t rc = rd_kafka_metadata(consumer_, 0, topic, &metadata, timeout_ms);
	rd_kafka_topic_destroy(topic);
	if (rc) return Status::Error(ErrorKind::kUnavailable, std::string("cannot read the metadata of ") + topic_ + ": " + rd_kafka_err2str(rc));
	int partitions = metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR
	                     ? metadata->topics[0].partition_cnt
	                     : 0;
	rd_kafka_metadata_destroy(metadata);
	if (partitions == 0) return Status::Ok();  // no schema written yet
	if (static_cast<size_t>(partitions) != next_offsets_.size()) {
		Status st = Assign(partitions);
		if (!st.ok()) return st;
	}
	// The start and end of each partition as of now (a partition never written to has start = end).
	std::vector<int64_t> starts(static_cast<size_t>(partitions)), ends(static_cast<size_t>(partitions));
	for (int p = 0; p < partitions; ++p) {
		rc = rd_kafka_query_watermark_offsets(consumer_, topic_.c_str(), p, &starts[static_cast<size_t>(p)],
		                                      &ends[static_cast<size_t>(p)], timeout_ms);
		if (rc) return Status::Error(ErrorKind::kUnavailable, std::string("cannot read the end of ") + topic_ + ": " + rd_kafka_err2str(rc));
	}
	auto behind = [&] {
		for (size_t p = 0; p < ends.size(); ++p)
			if (std::max(next_offsets_[p], starts[p]) < ends[p]) return true;
		return false;
	};
	FrameScratch scratch;
	while (behind()) {
		if (std::chrono::steady_clock::now() >= deadline)
			return Status::Error(ErrorKind::kUnavailable, "timed out reading " + topic_);
		rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, 100);
		if (m == nullptr) continue;
		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->partition >= 0 && m->partition < partitions) {
			next_offsets_[static_cast<size_t>(m->partition)] = m->offset + 1;
			const wire::Event* event = nullptr;
			Status st = m->payload != nullptr
			                ? ReadFrame(static_cast<const uint8_t*>(m->payload), m->len, &scratch, &event)
			                : Status::Error(ErrorKind::kInvalidParameter, "tombstone");
			if (st.ok() && event->body_type() == wire::Body::Schema) {
				Learn(*event->body_as_Schema());
			} else if (m->payload != nullptr) {
				Log(LogLevel::kWarning, "skipping a message of the schemas topic that is not a Schema frame",
				    {{"topic", topic_}, {"partition", std::to_string(m->partition)}, {"offset", std::to_string(m->offset)},
				     {"error", st.message()}});
			}
		} else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			Log(LogLevel::kWarning, "reading the schemas topic", {{"error", rd_kafka_message_errstr(m)}});
		}
		rd_kafka_message_destroy(m);
	}
	return Status::Ok();
}

}  // namespace flatwal
