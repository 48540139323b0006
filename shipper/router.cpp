// router.cpp — see router.h.
#include "router.h"

#include "lsn.h"
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

std::string Router::TableTopic(const std::string& schema, const std::string& table) const {
	return options_.topic_prefix + "." + SafeTopicPart(schema) + "." + SafeTopicPart(table);
}

Status Router::RouteChange(const wire::Change& c, std::vector<OutMessage>* out) {
	const wire::ChangeHeader* h = c.header();
	const TableVersion* table = nullptr;
	ChangeKeys keys;
	Status st = catalog_->Describe(c, &table);
	if (st.ok()) st = ChangeKeysOf(c, *table, &keys);
	if (!st.ok()) return st;
	OutMessage m;
	m.topic = TableTopic(table->schema, table->table);
	m.has_key = keys.has_key;
	m.key = std::move(keys.key);
	if (h->op() != wire::Op::Read) m.timestamp_ms = commit_time_ms_;
	m.headers = {{"flatwal.op", OpName(h->op())},
	             {"flatwal.schema", table->schema},
	             {"flatwal.table", table->table},
	             {"flatwal.commit_lsn", LsnText(h->commit_lsn())},
	             {"flatwal.lsn", LsnText(h->lsn())},
	             {"flatwal.seq", std::to_string(h->seq())},
	             {"flatwal.xid", std::to_string(h->xid())},
	             {"flatwal.version", std::to_string(h->version())}};
	if (!keys.old_key.empty()) {
		// The key changed: the change goes under the old key too, then (with
		// tombstones) a tombstone there, so a compacted topic forgets the old
		// key; Debezium does the same. Both copies are one change, with one
		// (commit_lsn, seq): a consumer applies it once.
		OutMessage under_old = m;
		under_old.key = std::move(keys.old_key);
		under_old.headers.emplace_back("flatwal.new_key", m.key);
		m.headers.emplace_back("flatwal.old_key", under_old.key);
		out->push_back(under_old);
		if (options_.tombstones) {
			under_old.tombstone = true;
			out->push_back(std::move(under_old));
		}
	}
	out->push_back(m);
	if (h->op() == wire::Op::Delete && options_.tombstones && m.has_key) {
		m.tombstone = true;
		out->push_back(std::move(m));
	}
	return Status::Ok();
}

void Router::RouteTruncate(const wire::Truncate& t, std::vector<OutMessage>* out) const {
	if (t.tables() == nullptr) return;
	for (const wire::TableRef* ref : *t.tables()) {
		OutMessage m;
		m.topic = TableTopic(flatbuffers::GetString(ref->schema_name()), flatbuffers::GetString(ref->table_name()));
		m.timestamp_ms = commit_time_ms_;
		m.headers = {{"flatwal.op", "truncate"},
		             {"flatwal.commit_lsn", LsnText(t.commit_lsn())},
		             {"flatwal.lsn", LsnText(t.lsn())},
		             {"flatwal.xid", std::to_string(t.xid())}};
		out->push_back(std::move(m));
	}
}

void Router::RouteSchema(const wire::Schema& s, std::vector<OutMessage>* out) {
	catalog_->Learn(s);
	OutMessage m;
	m.topic = SchemasTopic();
	m.has_key = true;
	m.key = flatbuffers::GetString(s.schema_name()) + "." + flatbuffers::GetString(s.table_name()) + ":" +
	        std::to_string(s.version());
	m.headers = {{"flatwal.op", "schema"}, {"flatwal.version", std::to_string(s.version())}};
	out->push_back(std::move(m));
}

void Router::RouteSnapshotMarker(const wire::SnapshotMarker& marker, std::vector<OutMessage>* out) const {
	OutMessage m;
	m.topic = TableTopic(flatbuffers::GetString(marker.schema_name()), flatbuffers::GetString(marker.table_name()));
	bool start = marker.phase() == wire::SnapshotPhase::Start;
	m.headers = {{"flatwal.op", start ? "snapshot_start" : "snapshot_end"},
	             {"flatwal.commit_lsn", LsnText(marker.consistent_lsn())}};
	out->push_back(std::move(m));
}

void Router::RouteMessage(const wire::Message& message, std::vector<OutMessage>* out) const {
	OutMessage m;
	const bool heartbeat = flatbuffers::GetString(message.prefix()) == kHeartbeatMessagePrefix;
	m.topic = heartbeat ? HeartbeatTopic()
	                    : options_.topic_prefix + ".message." + SafeTopicPart(flatbuffers::GetString(message.prefix()));
	m.headers = {{"flatwal.op", heartbeat ? "heartbeat" : "message"},
	             {"flatwal.commit_lsn", LsnText(message.commit_lsn())},
	             {"flatwal.lsn", LsnText(message.lsn())},
	             {"flatwal.xid", std::to_string(message.xid())}};
	out->push_back(std::move(m));
}

void Router::RouteTransaction(bool begin, uint32_t xid, std::vector<OutMessage>* out) const {
	if (!options_.transactions_topic) return;
	OutMessage m;
	m.topic = TransactionsTopic();
	m.has_key = true;
	m.key = std::to_string(xid);
	m.headers = {{"flatwal.op", begin ? "begin" : "commit"}, {"flatwal.xid", m.key}};
	out->push_back(std::move(m));
}

Status Router::Route(const wire::Event& event, std::vector<OutMessage>* out) {
	switch (event.body_type()) {
		case wire::Body::Change: return RouteChange(*event.body_as_Change(), out);
		case wire::Body::Truncate: RouteTruncate(*event.body_as_Truncate(), out); break;
		case wire::Body::Schema: RouteSchema(*event.body_as_Schema(), out); break;
		case wire::Body::SnapshotMarker: RouteSnapshotMarker(*event.body_as_SnapshotMarker(), out); break;
		case wire::Body::Message: RouteMessage(*event.body_as_Message(), out); break;
		case wire::Body::Begin:
			commit_time_ms_ = event.body_as_Begin()->commit_time_micros() / 1000;
			RouteTransaction(true, event.body_as_Begin()->xid(), out);
			break;
		case wire::Body::Commit:
			commit_time_ms_ = 0;
			RouteTransaction(false, event.body_as_Commit()->xid(), out);
			break;
		default: break;  // stream frames: the shipper does not ask for streaming
	}
	return Status::Ok();
}

}  // namespace flatwal
