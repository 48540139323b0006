// pgoutput_snapshot.cpp — see pgoutput_snapshot.h.
#include "pgoutput_snapshot.h"

#include <cstdlib>
#include <vector>

#include "frame_builder.h"
#include "log.h"
#include "lsn.h"
#include "text_values.h"

namespace flatwal {
namespace {

constexpr char kPurpose[] = "flatwal-shipper snapshot";
constexpr int kFetchRows = 1000;

}  // namespace

Status PgoutputSnapshot::Run(const std::string& snapshot_name, uint64_t consistent_lsn) {
	Status st = reader_.Connect(config_.conninfo, PgSession::Kind::kSql, kPurpose);
	if (st.ok()) st = reader_.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (st.ok()) st = reader_.Exec("SET TRANSACTION SNAPSHOT " + reader_.QuoteLiteral(snapshot_name));
	if (st.ok()) st = reader_.Exec(kTextSessionSetup);  // the text the stream's values come in
	PgResult r;
	// The publication's tables as the stream names them (the roots, with
	// publish_via_partition_root), with their column lists (PostgreSQL 15).
	const bool column_lists = reader_.conn() != nullptr && PQserverVersion(reader_.conn()) >= 150000;
	if (st.ok())
		st = reader_.Exec(std::string("SELECT c.oid, n.nspname, c.relname, c.relreplident, c.relkind = 'p', ") +
		                      (column_lists ? "p.attnames::text" : "NULL") +
		                      " FROM pg_catalog.pg_publication_tables p "
		                      "JOIN pg_catalog.pg_namespace n ON n.nspname = p.schemaname "
		                      "JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename "
		                      "WHERE p.pubname = " + reader_.QuoteLiteral(config_.publication) + " ORDER BY 1",
		                  &r);
	if (!st.ok()) return st;
	std::vector<Table> tables;
	for (int i = 0; i < r.rows(); ++i) {
		Table t;
		t.relid = static_cast<uint32_t>(std::strtoul(r.text(i, 0), nullptr, 10));
		t.schema = r.text(i, 1);
		t.name = r.text(i, 2);
		t.replica_identity = r.text(i, 3)[0];
		t.partitioned = r.text(i, 4)[0] == 't';
		if (!r.is_null(i, 5)) t.column_list = r.text(i, 5);
		tables.push_back(std::move(t));
	}
	Log(LogLevel::kInfo, "snapshot started",
	    {{"slot", config_.slot}, {"publication", config_.publication}, {"tables", std::to_string(tables.size())},
	     {"consistent_lsn", LsnText(consistent_lsn)}});
	for (const Table& t : tables) {
		st = ReadTable(t, consistent_lsn);
		if (!st.ok()) return st;
	}
	return reader_.Exec("COMMIT");
}

Status PgoutputSnapshot::ReadTable(const Table& t, uint64_t consistent_lsn) {
	// The columns as the table's Relation message lists them: no dropped or
	// generated ones, those of the column list only; the replica identity's
	// flagged as pgoutput flags them.
	PgResult columns;
	Status st = reader_.Exec(
	    "SELECT a.attname, a.atttypid, a.atttypmod, "
	    "CASE c.relreplident WHEN 'f' THEN true WHEN 'n' THEN false ELSE EXISTS (SELECT 1 FROM pg_catalog.pg_index i "
	    "WHERE i.indrelid = a.attrelid AND a.attnum = ANY (i.indkey) AND "
	    "CASE c.relreplident WHEN 'd' THEN i.indisprimary ELSE i.indisreplident END) END, "
	    "EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary "
	    "AND a.attnum = ANY (i.indkey)) "
	    "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
	    "WHERE a.attrelid = " + std::to_string(t.relid) + " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''" +
	        (t.column_list.empty() ? "" : " AND a.attname = ANY (" + reader_.QuoteLiteral(t.column_list) + "::name[])") +
	        " ORDER BY a.attnum",
	    &columns);
	if (!st.ok()) return st;
	pgoutput::Relation relation;
	relation.relid = t.relid;
	relation.schema = t.schema;
	relation.table = t.name;
	relation.replica_identity = t.replica_identity;
	std::string select, order_by;
	const bool key_is_identity = t.replica_identity == 'd' || t.replica_identity == 'i';
	for (int i = 0; i < columns.rows(); ++i) {
		pgoutput::RelationColumn c;
		c.name = std::string_view(columns.text(i, 0), columns.length(i, 0));
		c.type_oid = static_cast<uint32_t>(std::strtoul(columns.text(i, 1), nullptr, 10));
		c.typmod = static_cast<int32_t>(std::strtol(columns.text(i, 2), nullptr, 10));
		c.key = columns.text(i, 3)[0] == 't';
		relation.columns.push_back(c);
		const std::string quoted = reader_.QuoteIdentifier(columns.text(i, 0));
		select += (select.empty() ? "" : ", ") + quoted;
		// Rows in the order of the table's key, numbered as the plugin's snapshot numbers them.
		if (key_is_identity ? c.key : columns.text(i, 4)[0] == 't') order_by += (order_by.empty() ? "" : ", ") + quoted;
	}
	if (select.empty()) select = "NULL";  // a table of no columns still has rows
	st = frames_->OnSnapshotTable(relation);
	if (st.ok()) st = EmitMarker(t, true, consistent_lsn, 0);
	const std::string qualified = reader_.QuoteIdentifier(t.schema) + "." + reader_.QuoteIdentifier(t.name);
	if (st.ok())
		st = reader_.Exec("DECLARE flatwal_snapshot NO SCROLL CURSOR FOR SELECT " + select + " FROM " +
		                  (t.partitioned ? "" : "ONLY ") + qualified + (order_by.empty() ? "" : " ORDER BY " + order_by));
	if (!st.ok()) return st;
	uint64_t rows = 0;
	std::vector<pgoutput::Value> values(relation.columns.size());
	for (;;) {
		if (stop_->load() != 0) return Status::Error(ErrorKind::kUnavailable, "stopped during the snapshot");
		PgResult batch;
		st = reader_.Exec("FETCH " + std::to_string(kFetchRows) + " FROM flatwal_snapshot", &batch);
		if (!st.ok()) return st;
		if (batch.rows() == 0) break;
		for (int i = 0; i < batch.rows(); ++i) {
			for (size_t c = 0; c < values.size(); ++c) {
				const int column = static_cast<int>(c);
				values[c].format = batch.is_null(i, column) ? 'n' : 't';
				values[c].data = std::string_view(batch.text(i, column), batch.length(i, column));
			}
			st = frames_->OnSnapshotRow(t.relid, consistent_lsn, static_cast<uint32_t>(++rows), values);
			if (!st.ok()) return Status::Error(st.kind(), "snapshot of " + qualified + ": " + st.message(), st.detail(), st.hint());
		}
	}
	st = reader_.Exec("CLOSE flatwal_snapshot");
	if (st.ok()) st = EmitMarker(t, false, consistent_lsn, rows);
	if (!st.ok()) return st;
	rows_ += rows;
	Log(LogLevel::kInfo, "snapshot of table done", {{"table", t.schema + "." + t.name}, {"rows", std::to_string(rows)}});
	return Status::Ok();
}

Status PgoutputSnapshot::EmitMarker(const Table& t, bool start, uint64_t consistent_lsn, uint64_t rows) {
	flatbuffers::FlatBufferBuilder b(256);
	BuildSnapshotMarker({t.relid, t.schema, t.name, start ? wire::SnapshotPhase::Start : wire::SnapshotPhase::End,
	                     consistent_lsn, rows, resync_, timeline_},
	                    &b);
	return emit_(b.GetBufferPointer(), b.GetSize());
}

}  // namespace flatwal
