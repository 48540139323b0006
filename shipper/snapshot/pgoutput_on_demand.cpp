// pgoutput_on_demand.cpp — see pgoutput_on_demand.h.
#include "pgoutput_on_demand.h"

#include <cstdlib>

#include "lsn.h"
#include "published_table.h"
#include "snapshot_plan.h"
#include "text_values.h"

namespace flatwal {
namespace {

// ChunkRead::table's columns.
enum TableColumn { kRelid, kSchema, kName, kReplicaIdentity, kPartitioned, kQualified, kColumnList };

}  // namespace

std::string SignalTableOid(const std::string& name) {
	return "coalesce((SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	       "WHERE c.relkind IN ('r', 'p') AND (" + name + " IN (pg_catalog.quote_ident(n.nspname) || '.' || "
	       "pg_catalog.quote_ident(c.relname), n.nspname || '.' || c.relname) OR (" + name +
	       " IN (pg_catalog.quote_ident(c.relname), c.relname) AND pg_catalog.pg_table_is_visible(c.oid))) "
	       "ORDER BY c.oid LIMIT 1), 0)";
}

std::string PgoutputOnDemand::UnfinishedRequests() const {
	// A name that resolves to no table becomes relid 0, which is skipped and said.
	return "SELECT id, " + SignalTableOid("table_name") + " FROM " + signal_table_ + " WHERE state <> 'done' ORDER BY id";
}

std::string PgoutputOnDemand::RequestState(int64_t id, uint32_t relid) const {
	return "SELECT r.state, n.nspname, c.relname, p.pubname IS NOT NULL, pg_catalog.pg_current_snapshot()::text "
	       "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	       "LEFT JOIN pg_catalog.pg_publication_tables p ON p.pubname = " + publication_ +
	       " AND p.schemaname = n.nspname AND p.tablename = c.relname "
	       "LEFT JOIN " + signal_table_ + " r ON r.id = " + std::to_string(id) +
	       " WHERE c.oid = " + std::to_string(relid);
}

std::string PgoutputOnDemand::MarkRunning(int64_t id) const {
	return "UPDATE " + signal_table_ + " SET state = 'running' WHERE id = " + std::to_string(id);
}

std::string PgoutputOnDemand::MarkDone(int64_t id, uint64_t rows) const {
	return "UPDATE " + signal_table_ + " SET state = 'done', rows_done = " + std::to_string(rows) +
	       ", finished_at = now() WHERE id = " + std::to_string(id);
}

std::string PgoutputOnDemand::SplitFacts(uint32_t relid) const { return PgoutputSplitFactsSql(relid); }

Status PgoutputOnDemand::ReadChunk(SideSession& session, const ChunkRequest& chunk, ChunkRead* read) const {
	// The text the stream's values come in, which Frames() reads.
	Status st = session.Exec(kTextSessionSetup);
	if (st.ok())
		st = session.Exec(std::string("SELECT c.oid, n.nspname, c.relname, c.relreplident, c.relkind = 'p', "
		                              "pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), ") +
		                      (column_lists_ ? "p.attnames::text" : "NULL") +
		                      " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		                      "JOIN pg_catalog.pg_publication_tables p ON p.pubname = " + publication_ +
		                      " AND p.schemaname = n.nspname AND p.tablename = c.relname WHERE c.oid = " +
		                      std::to_string(chunk.relid),
		                  &read->table);
	if (!st.ok()) return st;
	if (read->table.rows() == 0)
		return Status::Error(ErrorKind::kRefused,
		                     "relation " + std::to_string(chunk.relid) + " is no longer in the publication",
		                     "", "Add it again (ALTER PUBLICATION ... ADD TABLE), or mark its request done in the signal table.");
	const PgResult& t = read->table;
	st = session.Exec(PublishedColumnsQuery(chunk.relid, t.is_null(0, kColumnList)
	                                                         ? "NULL"
	                                                         : session.QuoteLiteral(t.text(0, kColumnList)) + "::name[]"),
	                  &read->columns);
	if (!st.ok()) return st;
	const std::string schema = t.text(0, kSchema), name = t.text(0, kName);
	PublishedColumns published;
	ReadPublishedColumns(read->columns, chunk.relid, schema, name, t.text(0, kReplicaIdentity)[0], &published);
	if (published.keys.empty())
		return Status::Error(ErrorKind::kRefused, "cannot snapshot " + schema + "." + name + " in chunks: it has no key",
		                     "", "Give it a primary key (or REPLICA IDENTITY USING INDEX).");
	const std::string qualified = t.text(0, kQualified);
	// A bound is a message key ([42], [7,"eu"]) made a row of the table, so it
	// compares as the key's own types do.
	std::string key_names = "ARRAY[";
	for (size_t i = 0; i < published.keys.size(); ++i)
		key_names += (i > 0 ? ", " : "") + session.QuoteLiteral(published.keys[i]);
	key_names += "]::text[]";
	std::string where;
	auto bound = [&](const char* op, const std::string& key) {
		if (key.empty()) return;
		where += std::string(where.empty() ? " WHERE " : " AND ") + "(" + published.quoted_keys + ") " + op +
		         " (SELECT " + published.quoted_keys + " FROM pg_catalog.jsonb_populate_record(NULL::" + qualified +
		         ", (SELECT pg_catalog.jsonb_object_agg(k, " + session.QuoteLiteral(key) +
		         "::jsonb -> (i::int - 1)) FROM pg_catalog.unnest(" + key_names + ") WITH ORDINALITY AS u(k, i))))";
	};
	bound(">", chunk.after_key);
	bound("<", chunk.before_key);
	// A partitioned table is read with its partitions (its rows live there); any other without its children.
	return session.Exec("SELECT " + published.select + " FROM " + (t.text(0, kPartitioned)[0] == 't' ? "" : "ONLY ") +
	                        qualified + where + " ORDER BY " + published.quoted_keys + " LIMIT " + std::to_string(chunk.rows),
	                    &read->rows);
}

Status PgoutputOnDemand::Frames(SideSession& /*control*/, const ChunkRead& read, std::vector<std::string>* frames,
                                bool* retry) {
	*retry = false;
	const PgResult& t = read.table;
	const uint32_t relid = static_cast<uint32_t>(std::strtoul(t.text(0, kRelid), nullptr, 10));
	const std::string schema = t.text(0, kSchema), name = t.text(0, kName);
	PublishedColumns published;
	ReadPublishedColumns(read.columns, relid, schema, name, t.text(0, kReplicaIdentity)[0], &published);
	Status st = frames_->OnDemandTable(published.relation);
	if (!st.ok()) return st;
	uint64_t low = 0;
	if (!ParseLsn(read.low_lsn, &low))
		return Status::Error(ErrorKind::kInvalidData, "pg_logical_emit_message() returned no LSN", read.low_lsn);
	std::vector<pgoutput::Value> values(published.relation.columns.size());
	for (int i = 0; i < read.rows.rows(); ++i) {
		ReadPublishedRow(read.rows, i, &values);
		std::string frame;
		st = frames_->OnDemandRow(relid, low, static_cast<uint32_t>(i + 1), values, &frame);
		if (!st.ok())
			return Status::Error(st.kind(), "on-demand snapshot of " + schema + "." + name + ": " + st.message(), st.detail(),
			                     st.hint());
		frames->push_back(std::move(frame));
	}
	return Status::Ok();
}

}  // namespace flatwal
