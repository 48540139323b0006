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

Status Router::Route(const wire::Event& event, std::vector<OutMessage>* out) {
	switch (event.body_type()) {
		case wire::Body::Change: {
			const wire::Change* c = event.body_as_Change();
			const wire::ChangeHeader* h = c->header();
			const TableVersion* table = nullptr;
			ChangeKeys keys;
			Status st = catalog_->Describe(*c, &table);
			if (st.ok()) st = ChangeKeysOf(*c, *table, &keys);
			if (!st.ok()) return st;
			OutMessage m;
			m.topic = TableTopic(table->schema, table->table);
			m.has_key = keys.has_key;
			m.key = std::move(keys.key);
			m.headers = {{"flatwal.op", OpName(h->op())},
			             {"flatwal.schema", table->schema},
			             {"flatwal.table", table->table},
			             {"flatwal.commit_lsn", LsnText(h->commit_lsn())},
			             {"flatwal.lsn", LsnText(h->lsn())},
			             {"flatwal.seq", std::to_string(h->seq())},
			             {"flatwal.xid", std::to_string(h->xid())},
			             {"flatwal.version", std::to_string(h->version())}};
			out->push_back(m);
			if (h->op() == wire::Op::Delete && options_.tombstones && m.has_key) {
				m.tombstone = true;
				out->push_back(std::move(m));
			}
			return Status::Ok();
		}
		case wire::Body::Truncate: {
			const wire::Truncate* t = event.body_as_Truncate();
			if (t->tables() == nullptr) return Status::Ok();
			for (const wire::TableRef* ref : *t->tables()) {
				OutMessage m;
				m.topic = TableTopic(flatbuffers::GetString(ref->schema_name()), flatbuffers::GetString(ref->table_name()));
				m.headers = {{"flatwal.op", "truncate"},
				             {"flatwal.commit_lsn", LsnText(t->commit_lsn())},
				             {"flatwal.lsn", LsnText(t->lsn())},
				             {"flatwal.xid", std::to_string(t->xid())}};
				out->push_back(std::move(m));
			}
			return Status::Ok();
		}
		case wire::Body::Schema: {
			const wire::Schema* s = event.body_as_Schema();
			catalog_->Learn(*s);
			OutMessage m;
			m.topic = SchemasTopic();
			m.has_key = true;
			m.key = flatbuffers::GetString(s->schema_name()) + "." + flatbuffers::GetString(s->table_name()) + ":" + std::to_string(s->version());
			m.headers = {{"flatwal.op", "schema"}, {"flatwal.version", std::to_string(s->version())}};
			out->push_back(std::move(m));
			return Status::Ok();
		}
		case wire::Body::SnapshotMarker: {
			const wire::SnapshotMarker* mk = event.body_as_SnapshotMarker();
			OutMessage m;
			m.topic = TableTopic(flatbuffers::GetString(mk->schema_name()), flatbuffers::GetString(mk->table_name()));
			bool start = mk->phase() == wire::SnapshotPhase::Start;
			m.headers = {{"flatwal.op", start ? "snapshot_start" : "snapshot_end"},
			             {"flatwal.commit_lsn", LsnText(mk->consistent_lsn())}};
			out->push_back(std::move(m));
			return Status::Ok();
		}
		case wire::Body::Message: {
			const wire::Message* msg = event.body_as_Message();
			OutMessage m;
			m.topic = options_.topic_prefix + ".message." + SafeTopicPart(flatbuffers::GetString(msg->prefix()));
			m.headers = {{"flatwal.op", "message"},
			             {"flatwal.commit_lsn", LsnText(msg->commit_lsn())},
			             {"flatwal.lsn", LsnText(msg->lsn())},
			             {"flatwal.xid", std::to_string(msg->xid())}};
			out->push_back(std::move(m));
			return Status::Ok();
		}
		case wire::Body::Begin:
		case wire::Body::Commit: {
			if (!options_.transactions_topic) return Status::Ok();
			bool begin = event.body_type() == wire::Body::Begin;
			uint32_t xid = begin ? event.body_as_Begin()->xid() : event.body_as_Commit()->xid();
			OutMessage m;
			m.topic = TransactionsTopic();
			m.has_key = true;
			m.key = std::to_string(xid);
			m.headers = {{"flatwal.op", begin ? "begin" : "commit"}, {"flatwal.xid", m.key}};
			out->push_back(std::move(m));
			return Status::Ok();
		}
		default:
			return Status::Ok();  // stream frames: the shipper does not ask for streaming
	}
}

}  // namespace flatwal
