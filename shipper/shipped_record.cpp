// shipped_record.cpp — see shipped_record.h.
#include "shipped_record.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>

#include "json_string.h"
#include "kafka_client.h"
#include "lsn.h"

namespace flatwal {
namespace {

// The properties a reader needs from the shipper's: where the brokers are
// and how to reach them (a producer's own settings would only be warned about).
bool ConnectionSetting(const std::string& key) {
	for (const char* prefix : {"bootstrap.servers", "security.", "sasl.", "ssl.", "socket.", "broker.", "api.version",
	                           "metadata.", "client."})
		if (key.rfind(prefix, 0) == 0) return true;
	return false;
}

// The text after `"name":` up to the next comma or brace.
std::string_view Field(std::string_view json, std::string_view name) {
	const std::string quoted = "\"" + std::string(name) + "\":";
	const size_t at = json.find(quoted);
	if (at == std::string_view::npos) return {};
	const size_t start = at + quoted.size();
	const size_t end = json.find_first_of(",}", start);
	return end == std::string_view::npos ? std::string_view() : json.substr(start, end - start);
}

struct HandleCloser {
	void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};

}  // namespace

std::string ShippedRecordValue(const std::string& slot, const ShippedEnd& end) {
	std::string value = "{\"slot\":";
	AppendJsonString(slot.data(), slot.size(), &value);
	value += ",\"timeline\":" + std::to_string(end.timeline) + ",\"end_lsn\":\"" + LsnText(end.end_lsn) + "\"}";
	return value;
}

bool ParseShippedRecord(std::string_view value, const std::string& slot, ShippedEnd* end) {
	std::string quoted_slot;
	AppendJsonString(slot.data(), slot.size(), &quoted_slot);
	const std::string_view timeline = Field(value, "timeline"), lsn = Field(value, "end_lsn");
	if (Field(value, "slot") != quoted_slot || timeline.empty() || timeline.size() > 10 || lsn.size() < 3 ||
	    lsn.front() != '"' || lsn.back() != '"')
		return false;
	uint64_t t = 0;
	for (char c : timeline) {
		if (c < '0' || c > '9') return false;
		t = t * 10 + static_cast<uint64_t>(c - '0');
	}
	ShippedEnd parsed;
	if (t == 0 || t > UINT32_MAX || !ParseLsn(lsn.substr(1, lsn.size() - 2), &parsed.end_lsn)) return false;
	parsed.timeline = static_cast<uint32_t>(t);
	*end = parsed;
	return true;
}

Status ReadShippedRecord(const ShipperConfig& config, const std::string& topic, const std::string& slot,
                         ShippedEnd* end, bool* found) {
	*found = false;
	KafkaSettings settings;
	for (const auto& kv : config.kafka)
		if (ConnectionSetting(kv.first)) settings.push_back(kv);
	settings.emplace_back("enable.auto.commit", "false");
	settings.emplace_back("enable.partition.eof", "true");
	settings.emplace_back("group.id", "flatwal-shipper-shipped-record");  // never joined: partitions are assigned
	rd_kafka_t* raw = nullptr;
	Status st = NewKafkaHandle(RD_KAFKA_CONSUMER, settings, nullptr, &raw);
	if (!st.ok()) return st;
	std::unique_ptr<rd_kafka_t, HandleCloser> rk(raw);
	constexpr int kTimeoutMs = 30000;
	const rd_kafka_metadata_t* metadata = nullptr;
	std::unique_ptr<rd_kafka_topic_t, decltype(&rd_kafka_topic_destroy)> handle(
	    rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr), &rd_kafka_topic_destroy);
	rd_kafka_resp_err_t err = rd_kafka_metadata(rk.get(), 0, handle.get(), &metadata, kTimeoutMs);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		return Status::Error(ErrorKind::kUnavailable, "cannot read the metadata of " + topic + ": " + rd_kafka_err2str(err));
	std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> md(metadata, &rd_kafka_metadata_destroy);
	if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();  // no topic: no record
	// The last records of each partition: the slot's key lives in one, its last record near the end.
	constexpr int64_t kTail = 10000;
	std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)> assignment(
	    rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt), &rd_kafka_topic_partition_list_destroy);
	int waiting = 0;
	for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
		const int32_t partition = md->topics[0].partitions[i].id;
		int64_t low = 0, high = 0;
		err = rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), partition, &low, &high, kTimeoutMs);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
			return Status::Error(ErrorKind::kUnavailable, "cannot read the offsets of " + topic + ": " + rd_kafka_err2str(err));
		if (high <= low) continue;
		rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), partition)->offset = std::max(low, high - kTail);
		++waiting;
	}
	if (waiting == 0) return Status::Ok();
	if ((err = rd_kafka_assign(rk.get(), assignment.get())) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return Status::Error(ErrorKind::kUnavailable, "cannot read " + topic + ": " + rd_kafka_err2str(err));
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
	while (waiting > 0) {
		if (std::chrono::steady_clock::now() > deadline)
			return Status::Error(ErrorKind::kUnavailable, "reading " + topic + " took more than 30 s");
		rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 100);
		if (m == nullptr) continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			--waiting;
		} else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->key_len == slot.size() &&
		           std::string_view(static_cast<const char*>(m->key), m->key_len) == slot && m->payload != nullptr) {
			ShippedEnd record;
			if (ParseShippedRecord(std::string_view(static_cast<const char*>(m->payload), m->len), slot, &record)) {
				*end = record;  // later records of the partition replace earlier ones
				*found = true;
			}
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk.get());
	return Status::Ok();
}

}  // namespace flatwal
