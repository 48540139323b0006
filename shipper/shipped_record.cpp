// shipped_record.cpp — see shipped_record.h.
#include "shipped_record.h"



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
	// The slot's key lives in one partition, its last record near the end.
	constexpr int64_t kTail = 10000;
	return ReadTopicToEnd(ReaderSettings(config), topic, kTail, 30000, [&](std::string_view key, std::string_view value) {
		ShippedEnd record;
		if (key != slot) return;
		if (value.empty()) {  // a tombstone: the record was deleted on purpose
			*end = ShippedEnd{};
			*found = false;
		} else if (ParseShippedRecord(value, slot, &record)) {
			*end = record;  // later records of the partition replace earlier ones
			*found = true;
		}
	});
}

KafkaSettings ReaderSettings(const ShipperConfig& config) {
	KafkaSettings settings;
	for (const auto& kv : config.kafka)
		if (ConnectionSetting(kv.first)) settings.push_back(kv);
	return settings;
}

}  // namespace flatwal
