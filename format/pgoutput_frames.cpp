// pgoutput_frames.cpp — see pgoutput_frames.h. Each frame is built as the
// plugin's encoder builds it (plugin/encoder.cpp): the same fields, old-image
// kinds and sequence numbers.
#include "pgoutput_frames.h"

#include <algorithm>

#include "frame_builder.h"
#include "frames.h"

namespace flatwal {
namespace {

// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
constexpr int64_t kPostgresEpochMicros = 946684800LL * 1000000LL;

wire::ReplicaIdentity IdentityOf(char replica_identity) {
	switch (replica_identity) {
		case 'n': return wire::ReplicaIdentity::Nothing;
		case 'f': return wire::ReplicaIdentity::Full;
		case 'i': return wire::ReplicaIdentity::Index;
		default: return wire::ReplicaIdentity::Default;
	}
}

}  // namespace

std::string SchemaShape(const wire::Schema& schema) {
	// The table's name too: a rename is a new version, as the plugin numbers it.
	std::string shape(1, static_cast<char>(schema.replica_identity()));
	for (const flatbuffers::String* name : {schema.schema_name(), schema.table_name()}) {
		if (name != nullptr) shape += name->str();
		shape.push_back('\0');
	}
	if (schema.columns() == nullptr) return shape;
	for (const wire::Column* c : *schema.columns()) {
		shape += c->name() != nullptr ? c->name()->str() : std::string();
		shape.push_back('\0');
		shape += std::to_string(c->type_oid()) + ' ' + std::to_string(c->typmod()) + ' ' +
		         std::to_string(c->base_type_oid()) + ' ' + (c->not_null() ? 'n' : '-') + (c->key() ? 'k' : '-') + ' ' + std::to_string(c->attnum()) +
		         (c->missing_text() != nullptr ? " =" + c->missing_text()->str() : std::string());
		shape.push_back('\0');
	}
	return shape;
}

void PgoutputFrames::Know(const wire::Schema& schema) {
	if (schema.version() != 0) versions_[schema.relid()].emplace(SchemaShape(schema), schema.version());
}

Status PgoutputFrames::Finish(wire::Body type, flatbuffers::Offset<void> body) {
	FinishEvent(&builder_, type, body, timeline_);
	return emit_(builder_.GetBufferPointer(), builder_.GetSize());
}

Status PgoutputFrames::DescribeTable(const pgoutput::Relation& relation, Table* out) {
	Status st = facts_(relation, &column_facts_);
	if (!st.ok()) return st;
	if (column_facts_.size() != relation.columns.size())
		return Status::Error(ErrorKind::kInternal, "the catalog described " + std::to_string(column_facts_.size()) +
		                                               " columns of a relation with " +
		                                               std::to_string(relation.columns.size()));
	Table& table = *out;
	table.relid = relation.relid;
	table.schema = relation.schema.empty() ? "pg_catalog" : std::string(relation.schema);
	table.name = std::string(relation.table);
	table.replica_identity = relation.replica_identity;
	table.columns.clear();
	table.any_identity = false;
	// The key is the replica identity's columns, as the plugin takes it, but
	// for FULL and NOTHING (every column, or none) it is the primary key.
	const bool key_is_identity = relation.replica_identity == 'd' || relation.replica_identity == 'i';
	auto build = [&](uint32_t version) {
		builder_.Clear();
		std::vector<flatbuffers::Offset<wire::Column>> columns;
		std::vector<uint16_t> keys;
		for (size_t i = 0; i < relation.columns.size(); ++i) {
			const pgoutput::RelationColumn& c = relation.columns[i];
			const ColumnFacts& f = column_facts_[i];
			const bool key = key_is_identity ? c.key : f.primary_key;
			if (key) keys.push_back(static_cast<uint16_t>(i));
			auto name = builder_.CreateString(c.name.data(), c.name.size());
			auto type_name = builder_.CreateString(f.type_name);
			flatbuffers::Offset<flatbuffers::String> missing = 0;
			if (f.has_missing) missing = builder_.CreateString(f.missing_text);
			columns.push_back(wire::CreateColumn(builder_, name, c.type_oid, type_name, f.base_type_oid, c.typmod,
			                                     f.not_null, key, false, f.attnum, missing));
		}
		auto columns_off = builder_.CreateVector(columns);
		auto keys_off = builder_.CreateVector(keys);
		auto schema = builder_.CreateString(table.schema);
		auto name = builder_.CreateString(table.name);
		return wire::CreateSchema(builder_, relation.relid, schema, name, version, IdentityOf(relation.replica_identity),
		                          columns_off, keys_off, 0);
	};
	// The shape decides the version: built once to compare, then with its number.
	builder_.Finish(build(0));
	const std::string shape = SchemaShape(*flatbuffers::GetRoot<wire::Schema>(builder_.GetBufferPointer()));
	std::map<std::string, uint32_t>& known = versions_[relation.relid];
	auto found = known.find(shape);
	if (found == known.end()) {
		uint32_t last = 0;
		for (const auto& entry : known) last = std::max(last, entry.second);
		found = known.emplace(shape, last + 1).first;
	}
	table.version = found->second;
	for (size_t i = 0; i < relation.columns.size(); ++i) {
		Column column;
		column.name = std::string(relation.columns[i].name);
		column.type_oid = relation.columns[i].type_oid;
		column.typmod = relation.columns[i].typmod;
		column.identity = relation.columns[i].key;
		column.text = column_facts_[i].text;
		table.any_identity |= column.identity;
		table.columns.push_back(std::move(column));
	}
	// Built again with its number: the frame the table's rows go after.
	FinishEvent(&builder_, wire::Body::Schema, build(table.version).Union(), timeline_);
	table.schema_frame.assign(builder_.GetBufferPointer(), builder_.GetBufferPointer() + builder_.GetSize());
	return Status::Ok();
}

Status PgoutputFrames::OnRelation(const pgoutput::Relation& relation) {
	Table& table = tables_[relation.relid];
	const std::vector<uint8_t> shipped = table.schema_shipped ? table.schema_frame : std::vector<uint8_t>();
	const Table before = table;
	Status st = DescribeTable(relation, &table);
	if (!st.ok()) return st;
	if (on_breaking_ && before.version != 0 && before.version != table.version) {
		const std::string what = BreakingChanges(before, table);
		if (!what.empty()) on_breaking_(table.schema + "." + table.name, table.version, what);
	}
	table.signal = IsSignalTable(table.schema, table.name);
	// Sent before the table's first change: pgoutput also describes a
	// partition whose changes it publishes as its root's, and that one never
	// has a change of its own. A root's Relation comes again before each
	// partition's first change: the same frame is not sent twice.
	table.schema_shipped = !shipped.empty() && shipped == table.schema_frame;
	return Status::Ok();
}

std::string PgoutputFrames::BreakingChanges(const Table& before, const Table& after) {
	std::string dropped, retyped;
	std::string old_key, new_key;
	for (const Column& c : before.columns) {
		if (c.identity) old_key += (old_key.empty() ? "" : ", ") + c.name;
		auto same = std::find_if(after.columns.begin(), after.columns.end(), [&c](const Column& n) { return n.name == c.name; });
		if (same == after.columns.end()) dropped += (dropped.empty() ? "" : ", ") + c.name;
		else if (same->type_oid != c.type_oid || same->typmod != c.typmod) retyped += (retyped.empty() ? "" : ", ") + c.name;
	}
	for (const Column& c : after.columns)
		if (c.identity) new_key += (new_key.empty() ? "" : ", ") + c.name;
	// Under FULL or NOTHING the identity flags say nothing of the key.
	auto keyed_by_identity = [](const Table& t) { return t.replica_identity == 'd' || t.replica_identity == 'i'; };
	if (!keyed_by_identity(before) || !keyed_by_identity(after)) old_key = new_key;
	std::string what;
	if (!dropped.empty()) what += "dropped or renamed: " + dropped;
	if (!retyped.empty()) what += (what.empty() ? "" : "; ") + std::string("retyped: ") + retyped;
	if (old_key != new_key) what += (what.empty() ? "" : "; ") + std::string("key (") + old_key + ") became (" + new_key + ")";
	return what;
}

Status PgoutputFrames::OnDemandTable(const pgoutput::Relation& relation) {
	Table& table = on_demand_tables_[relation.relid];
	const std::vector<uint8_t> emitted = table.schema_frame;
	Status st = DescribeTable(relation, &table);
	if (!st.ok() || table.schema_frame == emitted) return st;
	st = emit_(table.schema_frame.data(), table.schema_frame.size());
	if (!st.ok()) table.schema_frame.clear();  // emitted again with the next chunk
	return st;
}

Status PgoutputFrames::OnDemandRow(uint32_t relid, uint64_t commit_lsn, uint32_t seq,
                                   const std::vector<pgoutput::Value>& values, std::string* frame) {
	auto it = on_demand_tables_.find(relid);
	if (it == on_demand_tables_.end())
		return Status::Error(ErrorKind::kInternal, "an on-demand snapshot row of relation " + std::to_string(relid) +
		                                               " before its table");
	builder_.Clear();
	flatbuffers::Offset<wire::Row> row = 0;
	Status st = PackRow(it->second, values, false, &row);
	if (!st.ok()) return st;
	wire::ChangeHeader header(0, commit_lsn, 0, 0, seq, relid, it->second.version, wire::Op::Read, wire::OldImage::None);
	FinishEvent(&builder_, wire::Body::Change, wire::CreateChange(builder_, &header, row, 0).Union(), timeline_);
	frame->assign(reinterpret_cast<const char*>(builder_.GetBufferPointer()), builder_.GetSize());
	return Status::Ok();
}

Status PgoutputFrames::PackRow(const Table& table, const std::vector<pgoutput::Value>& values, bool identity_only,
                               flatbuffers::Offset<wire::Row>* out) {
	if (values.size() != table.columns.size())
		return Status::Error(ErrorKind::kInvalidData,
		                     "a pgoutput row of " + table.schema + "." + table.name + " has " + std::to_string(values.size()) +
		                         " columns, its Relation message " + std::to_string(table.columns.size()));
	row_.Clear();
	for (size_t i = 0; i < values.size(); ++i) {
		const pgoutput::Value& v = values[i];
		if (identity_only && !table.columns[i].identity) {
			row_.AddAbsent();
		} else if (v.format == 'n') {
			row_.AddNull();
		} else if (v.format == 'u') {
			row_.AddUnchanged();
		} else if (v.format == 't') {
			Status st = AddTextValue(table.columns[i].text, v.data, &row_, &elements_);
			if (!st.ok())
				return Status::Error(st.kind(), "column \"" + table.columns[i].name + "\" of " + table.schema + "." +
				                                    table.name + ": " + st.message(),
				                     st.detail(), st.hint());
		} else {
			return Status::Error(ErrorKind::kNotSupported, "the pgoutput stream sent a binary value",
			                     "flatwal-shipper reads values in text form and does not ask for binary.");
		}
	}
	*out = row_.Finish();
	return Status::Ok();
}

Status PgoutputFrames::TableForChange(uint32_t relid, Table** table) {
	auto it = tables_.find(relid);
	if (it == tables_.end())
		return Status::Error(ErrorKind::kInvalidData,
		                     "a pgoutput change of relation " + std::to_string(relid) + " before its Relation message");
	*table = &it->second;
	if ((*table)->schema_shipped) return Status::Ok();
	Status st = emit_((*table)->schema_frame.data(), (*table)->schema_frame.size());
	if (st.ok()) (*table)->schema_shipped = true;
	return st;
}

Status PgoutputFrames::OnSnapshotRow(uint32_t relid, uint64_t consistent_lsn, uint32_t seq,
                                     const std::vector<pgoutput::Value>& values) {
	Table* table = nullptr;
	Status st = TableForChange(relid, &table);
	if (!st.ok()) return st;
	builder_.Clear();
	flatbuffers::Offset<wire::Row> row = 0;
	st = PackRow(*table, values, false, &row);
	if (!st.ok()) return st;
	wire::ChangeHeader header(0, consistent_lsn, 0, 0, seq, relid, table->version, wire::Op::Read, wire::OldImage::None);
	return Finish(wire::Body::Change, wire::CreateChange(builder_, &header, row, 0).Union());
}

Status PgoutputFrames::OnChange(uint64_t lsn, const pgoutput::Change& change) {
	auto described = tables_.find(change.relid);
	if (!in_transaction_ && described != tables_.end())
		return Status::Error(ErrorKind::kInvalidData, "a pgoutput change outside a transaction");
	if (described != tables_.end() && described->second.signal) {
		if (change.type != pgoutput::Type::kInsert) return Status::Ok();  // the shipper's own notes on its requests
		std::vector<std::string> names;
		for (const Column& c : described->second.columns) names.push_back(c.name);
		if (names.size() != change.new_values.size())
			return Status::Error(ErrorKind::kInvalidData, "a pgoutput row of the signal table does not match its Relation message");
		return on_signal_(names, change.new_values);
	}
	Table* found = nullptr;
	Status st = TableForChange(change.relid, &found);
	if (!st.ok()) return st;
	const Table& table = *found;
	builder_.Clear();
	flatbuffers::Offset<wire::Row> before = 0, after = 0;
	wire::Op op = wire::Op::Insert;
	wire::OldImage old_image = wire::OldImage::None;
	if (change.type != pgoutput::Type::kDelete) st = PackRow(table, change.new_values, false, &after);
	if (!st.ok()) return st;
	if (change.type != pgoutput::Type::kInsert) {
		op = change.type == pgoutput::Type::kUpdate ? wire::Op::Update : wire::Op::Delete;
		if (change.old_kind == 'O') {
			st = PackRow(table, change.old_values, false, &before);
			old_image = wire::OldImage::Full;
		} else if (change.old_kind == 'K') {
			st = PackRow(table, change.old_values, true, &before);
			old_image = wire::OldImage::Key;
		} else {
			// PostgreSQL logs the old key only when the update changed it.
			old_image = table.any_identity ? wire::OldImage::KeyUnchanged : wire::OldImage::Unavailable;
		}
		if (!st.ok()) return st;
	}
	wire::ChangeHeader header(lsn, commit_lsn_, xid_, 0, ++seq_, table.relid, table.version, op, old_image);
	return Finish(wire::Body::Change, wire::CreateChange(builder_, &header, after, before).Union());
}

Status PgoutputFrames::OnTruncate(uint64_t lsn, const pgoutput::Truncate& truncate) {
	builder_.Clear();
	std::vector<flatbuffers::Offset<wire::TableRef>> refs;
	for (uint32_t relid : truncate.relids) {
		auto it = tables_.find(relid);
		if (it == tables_.end())
			return Status::Error(ErrorKind::kInvalidData,
			                     "a pgoutput truncate of relation " + std::to_string(relid) + " before its Relation message");
		if (it->second.signal) continue;
		auto schema = builder_.CreateString(it->second.schema);
		auto name = builder_.CreateString(it->second.name);
		refs.push_back(wire::CreateTableRef(builder_, relid, schema, name, 0));
	}
	if (refs.empty()) return Status::Ok();  // the signal table's alone
	auto refs_off = builder_.CreateVector(refs);
	return Finish(wire::Body::Truncate, wire::CreateTruncate(builder_, xid_, lsn, commit_lsn_, refs_off,
	                                                         truncate.cascade, truncate.restart_identity)
	                                        .Union());
}

Status PgoutputFrames::OnMessage(uint64_t wal_start, const uint8_t* data, size_t size) {
	Status st = pgoutput::Decode(data, size, false, &decoded_);
	if (!st.ok()) return st;
	switch (decoded_.type) {
		case pgoutput::Type::kBegin: {
			if (in_transaction_) return Status::Error(ErrorKind::kInvalidData, "a pgoutput Begin inside a transaction");
			in_transaction_ = true;
			xid_ = decoded_.begin.xid;
			commit_lsn_ = decoded_.begin.final_lsn;
			seq_ = 0;
			builder_.Clear();
			return Finish(wire::Body::Begin,
			              wire::CreateBegin(builder_, xid_, commit_lsn_, decoded_.begin.commit_time_pg + kPostgresEpochMicros)
			                  .Union());
		}
		case pgoutput::Type::kCommit: {
			if (!in_transaction_) return Status::Error(ErrorKind::kInvalidData, "a pgoutput Commit outside a transaction");
			in_transaction_ = false;
			builder_.Clear();
			const pgoutput::Commit& c = decoded_.commit;
			return Finish(wire::Body::Commit, wire::CreateCommit(builder_, xid_, c.commit_lsn, c.end_lsn,
			                                                     c.commit_time_pg + kPostgresEpochMicros)
			                                      .Union());
		}
		case pgoutput::Type::kRelation: return OnRelation(decoded_.relation);
		case pgoutput::Type::kInsert:
		case pgoutput::Type::kUpdate:
		case pgoutput::Type::kDelete: return OnChange(wal_start, decoded_.change);
		case pgoutput::Type::kTruncate:
			if (!in_transaction_) return Status::Error(ErrorKind::kInvalidData, "a pgoutput Truncate outside a transaction");
			return OnTruncate(wal_start, decoded_.truncate);
		case pgoutput::Type::kMessage: {
			const pgoutput::Message& m = decoded_.message;
			if (m.transactional && !in_transaction_)
				return Status::Error(ErrorKind::kInvalidData, "a transactional pgoutput Message outside a transaction");
			builder_.Clear();
			auto prefix = builder_.CreateString(m.prefix.data(), m.prefix.size());
			auto content = builder_.CreateVector(reinterpret_cast<const uint8_t*>(m.content.data()), m.content.size());
			return Finish(wire::Body::Message,
			              wire::CreateMessage(builder_, m.transactional ? xid_ : 0, m.lsn,
			                                  m.transactional ? commit_lsn_ : 0, m.transactional, prefix, content)
			                  .Union());
		}
		case pgoutput::Type::kType:    // names a user-defined type; the catalog facts describe it
		case pgoutput::Type::kOrigin:  // replication origins are not carried
			return Status::Ok();
		default:
			return Status::Error(ErrorKind::kNotSupported,
			                     std::string("the pgoutput stream sent a ") + pgoutput::TypeName(decoded_.type) + " message");
	}
}

}  // namespace flatwal
