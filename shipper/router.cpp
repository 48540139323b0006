// router.cpp — see router.h.
#include "router.h"

#include <chrono>
#include <cstring>

#include "lsn.h"
#include "number_text.h"
#include "wire_names.h"

namespace flatwal {

std::string SafeTopicPart(const std::string& name) {
	std::string out = name;
	for (char& c : out) {
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		          c == '_' || c == '-';
		if (!ok) c = '_';
	}
	return out;
}

const char* HeaderSetName(HeaderSet set) {
	switch (set) {
		case HeaderSet::kFormatDefault: return "default";
		case HeaderSet::kMinimal: return "minimal";
		case HeaderSet::kFull: return "full";
		case HeaderSet::kNone: return "none";
	}
	return "?";
}

Router::Router(RouterOptions options, TableCatalog* catalog)
    : options_(std::move(options)), headers_(EffectiveHeaders(options_.format, options_.headers)), catalog_(catalog) {
	if (options_.format == OutputFormat::kDebeziumJson)
		debezium_.reset(new DebeziumEncoder(options_.debezium, options_.topic_prefix, options_.database));
}

std::string Router::TableTopic(const std::string& schema, const std::string& table) const {
	return options_.topic_prefix + "." + SafeTopicPart(schema) + "." + SafeTopicPart(table);
}

void OutMessage::Reset() {
	topic.clear();
	has_key = false;
	key.clear();
	tombstone = false;
	rendered = false;
	value.clear();
	timestamp_ms = 0;
	header_count = 0;
}

std::string& OutMessage::AddHeader(const char* name) {
	if (header_count == headers.size()) headers.emplace_back();
	MessageHeader& h = headers[header_count++];
	h.name = name;
	h.value.clear();
	return h.value;
}

const std::string* OutMessage::FindHeader(const char* name) const {
	for (size_t i = 0; i < header_count; ++i)
		if (std::strcmp(headers[i].name, name) == 0) return &headers[i].value;
	return nullptr;
}

OutMessage& RoutedMessages::Add() {
	if (size_ == slots_.size()) slots_.emplace_back();
	OutMessage& m = slots_[size_++];
	m.Reset();
	return m;
}

namespace {

int64_t WallClockMicros() {
	return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
	    .count();
}


}  // namespace

Status Router::RouteChange(const wire::Change& c, RoutedMessages* out) {
	const wire::ChangeHeader* h = c.header();
	const TableVersion* table = nullptr;
	Status st = catalog_->Describe(c, &table);
	if (st.ok()) st = ChangeKeysOf(c, *table, &keys_);
	if (!st.ok()) return st;
	if (table != topic_table_) {
		table_topic_ = TableTopic(table->schema, table->table);
		topic_table_ = table;
	}
	if (debezium_) return RouteDebeziumChange(c, *table, out);
	// The key changed: the change goes under the old key too, then (with
	// tombstones) a tombstone there, so a compacted topic forgets the old
	// key; Debezium does the same. Both copies are one change, with one
	// (commit_lsn, seq): a consumer applies it once.
	const bool key_moved = !keys_.old_key.empty();
	auto fill = [&](OutMessage& m, bool under_old_key, bool tombstone) {
		m.topic = table_topic_;
		m.has_key = keys_.has_key;
		m.key = under_old_key ? keys_.old_key : keys_.key;
		m.tombstone = tombstone;
		if (h->op() != wire::Op::Read) m.timestamp_ms = commit_time_ms_;
		AddChangeHeaders(*h, *table, under_old_key, key_moved, keys_, &m);
	};
	if (key_moved) {
		fill(out->Add(), true, false);
		if (options_.tombstones) fill(out->Add(), true, true);
	}
	fill(out->Add(), false, false);
	if (h->op() == wire::Op::Delete && options_.tombstones && keys_.has_key) fill(out->Add(), false, true);
	return Status::Ok();
}

bool Router::AddLeadHeaders(const char* op, const std::string* schema, const std::string* table,
                            OutMessage* m) const {
	if (headers_ == HeaderSet::kNone) return false;
	m->AddHeader(kHeaderOp, op);
	if (headers_ == HeaderSet::kMinimal && schema != nullptr) {
		std::string& relation = m->AddHeader(kHeaderRelation);
		relation.append(*schema).push_back('.');
		relation.append(*table);
	}
	return headers_ == HeaderSet::kFull;
}

void Router::AddChangeHeaders(const wire::ChangeHeader& h, const TableVersion& table, bool under_old_key,
                              bool key_moved, const ChangeKeys& keys, OutMessage* m) const {
	if (AddLeadHeaders(OpName(h.op()), &table.schema, &table.table, m)) {
		m->AddHeader(kHeaderSchema, table.schema);
		m->AddHeader(kHeaderTable, table.table);
		AddCommitHeaders(h.commit_lsn(), m);
		AppendLsn(h.lsn(), &m->AddHeader(kHeaderLsn));
		AppendDecimal(h.seq(), &m->AddHeader(kHeaderSeq));
		AppendDecimal(h.xid(), &m->AddHeader(kHeaderXid));
		AppendDecimal(h.version(), &m->AddHeader(kHeaderVersion));
	}
	// The sink needs to tell the old-key copy from the new-key record: the
	// flatbuffers format carries these under every set.
	if (debezium_ && headers_ == HeaderSet::kNone) return;
	if (under_old_key) m->AddHeader(kHeaderNewKey, keys.key);
	else if (key_moved) m->AddHeader(kHeaderOldKey, keys.old_key);
}

void Router::RouteTruncate(const wire::Truncate& t, RoutedMessages* out) const {
	if (t.tables() == nullptr) return;
	for (const wire::TableRef* ref : *t.tables()) {
		// A partition truncated on its own goes where its rows went: to its
		// partitioned table's topic, under an op that says only its rows are gone.
		const wire::TableRef* published = ref->partition_of() != nullptr ? ref->partition_of() : ref;
		const std::string schema = flatbuffers::GetString(published->schema_name());
		const std::string table = flatbuffers::GetString(published->table_name());
		OutMessage& m = out->Add();
		m.topic = TableTopic(schema, table);
		m.timestamp_ms = commit_time_ms_;
		m.has_key = true;  // a compacted topic refuses records without a key
		m.key = kTruncateKey;
		AddTruncateHeaders(t, ref->partition_of() != nullptr ? "partition_truncate" : "truncate", schema, table, &m);
	}
}

void Router::AddCommitHeaders(uint64_t commit_lsn, OutMessage* m) const {
	AppendLsn(commit_lsn, &m->AddHeader(kHeaderCommitLsn));
	AppendDecimal(timeline_, &m->AddHeader(kHeaderTimeline));
}

void Router::AddTruncateHeaders(const wire::Truncate& t, const char* op, const std::string& schema,
                                const std::string& table, OutMessage* m) const {
	if (!AddLeadHeaders(op, &schema, &table, m)) return;
	AddCommitHeaders(t.commit_lsn(), m);
	AppendLsn(t.lsn(), &m->AddHeader(kHeaderLsn));
	AppendDecimal(t.xid(), &m->AddHeader(kHeaderXid));
}

void Router::RouteSchema(const wire::Schema& s, RoutedMessages* out) {
	catalog_->Learn(s);
	topic_table_ = nullptr;  // Learn may have renamed the version the topic was built for
	if (debezium_) debezium_->Forget();  // ... or changed its columns
	OutMessage& m = out->Add();
	m.topic = SchemasTopic();
	m.has_key = true;
	const std::string schema = flatbuffers::GetString(s.schema_name());
	const std::string table = flatbuffers::GetString(s.table_name());
	m.key = schema + "." + table + ":" + std::to_string(s.version());
	if (AddLeadHeaders("schema", &schema, &table, &m)) AppendDecimal(s.version(), &m.AddHeader(kHeaderVersion));
}

void Router::RouteSnapshotMarker(const wire::SnapshotMarker& marker, RoutedMessages* out) const {
	const std::string schema = flatbuffers::GetString(marker.schema_name());
	const std::string table = flatbuffers::GetString(marker.table_name());
	OutMessage& m = out->Add();
	m.topic = TableTopic(schema, table);
	m.has_key = true;
	m.key = kSnapshotMarkerKey;
	const char* op = marker.phase() == wire::SnapshotPhase::Start ? "snapshot_start" : "snapshot_end";
	if (AddLeadHeaders(op, &schema, &table, &m)) AddCommitHeaders(marker.consistent_lsn(), &m);
}

void Router::RouteMessage(const wire::Message& message, RoutedMessages* out) const {
	OutMessage& m = out->Add();
	const bool heartbeat = flatbuffers::GetString(message.prefix()) == kHeartbeatMessagePrefix;
	m.topic = heartbeat ? HeartbeatTopic()
	                    : options_.topic_prefix + kMessageTopicInfix + SafeTopicPart(flatbuffers::GetString(message.prefix()));
	m.has_key = true;
	if (heartbeat) m.key = kHeartbeatKey;
	else m.key = flatbuffers::GetString(message.prefix());
	if (!AddLeadHeaders(heartbeat ? "heartbeat" : "message", nullptr, nullptr, &m)) return;
	AddCommitHeaders(message.commit_lsn(), &m);
	AppendLsn(message.lsn(), &m.AddHeader(kHeaderLsn));
	AppendDecimal(message.xid(), &m.AddHeader(kHeaderXid));
}

void Router::RouteTransaction(bool begin, uint32_t xid, RoutedMessages* out) const {
	if (!options_.transactions_topic) return;
	OutMessage& m = out->Add();
	m.topic = TransactionsTopic();
	m.has_key = true;
	AppendDecimal(xid, &m.key);
	if (AddLeadHeaders(begin ? "begin" : "commit", nullptr, nullptr, &m)) m.AddHeader(kHeaderXid, m.key);
}

Status Router::Route(const wire::Event& event, RoutedMessages* out) {
	timeline_ = event.timeline();
	if (debezium_) now_micros_ = options_.now_micros ? options_.now_micros() : WallClockMicros();
	switch (event.body_type()) {
		case wire::Body::Change: return RouteChange(*event.body_as_Change(), out);
		case wire::Body::Truncate:
			if (debezium_) RouteDebeziumTruncate(*event.body_as_Truncate(), out);
			else RouteTruncate(*event.body_as_Truncate(), out);
			break;
		case wire::Body::Schema: RouteSchema(*event.body_as_Schema(), out); break;
		case wire::Body::SnapshotMarker:
			if (debezium_) FollowSnapshot(*event.body_as_SnapshotMarker(), out);
			else RouteSnapshotMarker(*event.body_as_SnapshotMarker(), out);
			break;
		case wire::Body::Message:
			if (debezium_ && flatbuffers::GetString(event.body_as_Message()->prefix()) != kHeartbeatMessagePrefix)
				RouteDebeziumMessage(*event.body_as_Message(), out);
			else
				RouteMessage(*event.body_as_Message(), out);
			break;
		case wire::Body::Begin:
			commit_time_ms_ = event.body_as_Begin()->commit_time_micros() / 1000;
			commit_time_micros_ = event.body_as_Begin()->commit_time_micros();
			RouteTransaction(true, event.body_as_Begin()->xid(), out);
			if (debezium_) BeginDebeziumTransaction(*event.body_as_Begin(), out);
			break;
		case wire::Body::Commit:
			commit_time_ms_ = 0;
			RouteTransaction(false, event.body_as_Commit()->xid(), out);
			if (debezium_) EndDebeziumTransaction(out);
			commit_time_micros_ = 0;
			break;
		default: break;  // stream frames: the shipper does not ask for streaming
	}
	return Status::Ok();
}

}  // namespace flatwal
