// router.cpp — see router.h.
#include "router.h"

#include <cstdio>

namespace flatwal {
namespace {

std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

const char* OpName(wire::Op op) {
	switch (op) {
		case wire::Op::Insert: return "insert";
		case wire::Op::Update: return "update";
		case wire::Op::Delete: return "delete";
		case wire::Op::Read: return "read";
	}
	return "unknown";
}

}  // namespace

std::string SafeTopicPart(const std::string& name) {
	std::string out = name;
	for (char& c : out) {
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		          c == '_' || c == '-';
		if (!ok) c = '_';
	}
	return out;
}

std::string LsnText(uint64_t lsn) {
	char buf[24];
	snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32), static_cast<unsigned>(lsn));
	return buf;
}

std::string Router::TableTopic(const flatbuffers::String* schema, const flatbuffers::String* table) const {
	return options_.topic_prefix + "." + SafeTopicPart(Str(schema)) + "." + SafeTopicPart(Str(table));
}

void Router::Route(const wire::Event& event, std::vector<OutMessage>* out) const {
	switch (event.body_type()) {
		case wire::Body::Change: {
			const wire::Change* c = event.body_as_Change();
			OutMessage m;
			m.topic = TableTopic(c->schema_name(), c->table_name());
			if (c->key() != nullptr) {
				m.has_key = true;
				m.key.assign(reinterpret_cast<const char*>(c->key()->data()), c->key()->size());
			}
			m.headers = {{"flatwal.op", OpName(c->op())},
			             {"flatwal.commit_lsn", LsnText(c->commit_lsn())},
			             {"flatwal.lsn", LsnText(c->lsn())},
			             {"flatwal.seq", std::to_string(c->seq())},
			             {"flatwal.xid", std::to_string(c->xid())},
			             {"flatwal.version", std::to_string(c->version())}};
			out->push_back(m);
			if (c->op() == wire::Op::Delete && options_.tombstones && m.has_key) {
				m.tombstone = true;
				out->push_back(std::move(m));
			}
			return;
		}
		case wire::Body::Truncate: {
			const wire::Truncate* t = event.body_as_Truncate();
			if (t->tables() == nullptr) return;
			for (const wire::TableRef* ref : *t->tables()) {
				OutMessage m;
				m.topic = TableTopic(ref->schema_name(), ref->table_name());
				m.headers = {{"flatwal.op", "truncate"},
				             {"flatwal.commit_lsn", LsnText(t->commit_lsn())},
				             {"flatwal.lsn", LsnText(t->lsn())},
				             {"flatwal.xid", std::to_string(t->xid())}};
				out->push_back(std::move(m));
			}
			return;
		}
		case wire::Body::Schema: {
			const wire::Schema* s = event.body_as_Schema();
			OutMessage m;
			m.topic = SchemasTopic();
			m.has_key = true;
			m.key = Str(s->schema_name()) + "." + Str(s->table_name()) + ":" + std::to_string(s->version());
			m.headers = {{"flatwal.op", "schema"}, {"flatwal.version", std::to_string(s->version())}};
			out->push_back(std::move(m));
			return;
		}
		case wire::Body::SnapshotMarker: {
			const wire::SnapshotMarker* mk = event.body_as_SnapshotMarker();
			OutMessage m;
			m.topic = TableTopic(mk->schema_name(), mk->table_name());
			bool start = mk->phase() == wire::SnapshotPhase::Start;
			m.headers = {{"flatwal.op", start ? "snapshot_start" : "snapshot_end"},
			             {"flatwal.commit_lsn", LsnText(mk->consistent_lsn())}};
			out->push_back(std::move(m));
			return;
		}
		case wire::Body::Message: {
			const wire::Message* msg = event.body_as_Message();
			OutMessage m;
			m.topic = options_.topic_prefix + ".message." + SafeTopicPart(Str(msg->prefix()));
			m.headers = {{"flatwal.op", "message"},
			             {"flatwal.commit_lsn", LsnText(msg->commit_lsn())},
			             {"flatwal.lsn", LsnText(msg->lsn())},
			             {"flatwal.xid", std::to_string(msg->xid())}};
			out->push_back(std::move(m));
			return;
		}
		case wire::Body::Begin:
		case wire::Body::Commit: {
			if (!options_.transactions_topic) return;
			bool begin = event.body_type() == wire::Body::Begin;
			uint32_t xid = begin ? event.body_as_Begin()->xid() : event.body_as_Commit()->xid();
			OutMessage m;
			m.topic = TransactionsTopic();
			m.has_key = true;
			m.key = std::to_string(xid);
			m.headers = {{"flatwal.op", begin ? "begin" : "commit"}, {"flatwal.xid", m.key}};
			out->push_back(std::move(m));
			return;
		}
		default:
			return;  // stream frames: the shipper does not ask for streaming
	}
}

}  // namespace flatwal
