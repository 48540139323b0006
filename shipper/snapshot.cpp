// snapshot.cpp — see snapshot.h.
#include "snapshot.h"

#include <chrono>
#include <vector>

#include "frame_builder.h"
#include "log.h"
#include "lsn.h"
#include "wire.h"

namespace flatwal {
namespace {

constexpr int kFetchRows = 5000;

constexpr char kPurpose[] = "flatwal-shipper snapshot";

// Splits PostgreSQL's text form of a text[] ({a,"b c"}) into names.
std::vector<std::string> ParseTextArray(const std::string& text) {
	std::vector<std::string> out;
	std::string item;
	bool quoted = false, any = false;
	for (size_t i = 1; i + 1 < text.size(); ++i) {
		char c = text[i];
		if (quoted) {
			if (c == '\\' && i + 2 < text.size()) item.push_back(text[++i]);
			else if (c == '"') quoted = false;
			else item.push_back(c);
		} else if (c == '"') {
			quoted = any = true;
		} else if (c == ',') {
			out.push_back(item);
			item.clear();
		} else {
			item.push_back(c);
			any = true;
		}
	}
	if (any || !item.empty()) out.push_back(item);
	return out;
}

}  // namespace

Status InitialSnapshot::Interrupted(const std::string& conninfo, const std::string& slot, bool* interrupted) {
	PgSession session;
	Status st = session.Connect(conninfo, PgSession::Kind::kSql, kPurpose);
	if (!st.ok()) return st;
	PgResult r;
	st = session.Exec("SELECT count(*) FILTER (WHERE state <> 'done') FROM flatwal.snapshot_progress WHERE slot_name = " +
	                      session.QuoteLiteral(slot),
	                  &r);
	if (!st.ok())
		return st.retriable() ? st
		                      : Status::Error(ErrorKind::kRefused, "cannot read flatwal.snapshot_progress: " + st.message(),
		                                      st.detail(), "Is the flatwal extension installed and up to date in this database?");
	*interrupted = std::string(r.text(0, 0)) != "0";
	return Status::Ok();
}

Status InitialSnapshot::Prepare() {
	Status st = progress_.Connect(conninfo_, PgSession::Kind::kSql, kPurpose);
	if (!st.ok()) return st;
	std::string slot = progress_.QuoteLiteral(slot_);
	st = progress_.Exec("DELETE FROM flatwal.snapshot_progress WHERE slot_name = " + slot);
	if (!st.ok()) return st;
	return progress_.Exec(
	    "INSERT INTO flatwal.snapshot_progress (slot_name, relid, table_name, state) "
	    "SELECT " + slot + ", s.relid, s.relid::regclass::text, 'pending' FROM flatwal.source_tables s "
	    "WHERE s.capture_enabled AND s.table_set = " + progress_.QuoteLiteral(table_set_));
}

Status InitialSnapshot::EmitMarker(const Table& table, bool start, uint64_t consistent_lsn, uint64_t rows) {
	flatbuffers::FlatBufferBuilder b(256);
	BuildSnapshotMarker({table.relid, table.schema, table.name,
	                     start ? wire::SnapshotPhase::Start : wire::SnapshotPhase::End, consistent_lsn, rows},
	                    &b);
	return emit_(b.GetBufferPointer(), b.GetSize());
}

Status InitialSnapshot::Run(const std::string& snapshot_name, uint64_t consistent_lsn) {
	Status st = reader_.Connect(conninfo_, PgSession::Kind::kSql, kPurpose);
	PgResult r;
	if (st.ok()) st = reader_.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (st.ok()) st = reader_.Exec("SET TRANSACTION SNAPSHOT " + reader_.QuoteLiteral(snapshot_name));
	if (st.ok())
		st = reader_.Exec(
		    "SELECT s.relid::oid, n.nspname, c.relname, s.key_columns, "
		    "CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(greatest(l.reltuples, 0)), 0) "
		    "FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid WHERE t.isleaf) "
		    "ELSE greatest(c.reltuples, 0) END::bigint, c.relkind = 'p' "
		    "FROM flatwal.source_tables s JOIN pg_class c ON c.oid = s.relid "
		    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE s.capture_enabled AND s.table_set = " +
		        reader_.QuoteLiteral(table_set_) + " ORDER BY 1",
		    &r);
	if (!st.ok()) return st;
	std::vector<Table> tables;
	for (int i = 0; i < r.rows(); ++i) {
		Table t{static_cast<uint32_t>(std::stoul(r.text(i, 0))), r.text(i, 1), r.text(i, 2), "", std::stoll(r.text(i, 4)),
		        r.text(i, 5)[0] == 't'};
		for (const std::string& column : ParseTextArray(r.text(i, 3)))
			t.order_by += (t.order_by.empty() ? "" : ", ") + reader_.QuoteIdentifier(column);
		tables.push_back(t);
	}
	// The snapshot's own view of which tables are captured is the one that counts.
	const std::string slot = progress_.QuoteLiteral(slot_), lsn = progress_.QuoteLiteral(LsnText(consistent_lsn));
	st = progress_.Exec("DELETE FROM flatwal.snapshot_progress WHERE slot_name = " + slot);
	for (size_t i = 0; st.ok() && i < tables.size(); ++i) {
		const Table& t = tables[i];
		st = progress_.Exec(
		    "INSERT INTO flatwal.snapshot_progress (slot_name, relid, table_name, state, rows_estimated, "
		    "consistent_lsn) VALUES (" + slot + ", " + std::to_string(t.relid) + ", " +
		    progress_.QuoteLiteral(t.schema + "." + t.name) + ", 'pending', " + std::to_string(t.estimate) + ", " + lsn + ")");
	}
	if (!st.ok()) return st;
	Log(LogLevel::kInfo, "snapshot started",
	    {{"slot", slot_}, {"tables", std::to_string(tables.size())}, {"consistent_lsn", LsnText(consistent_lsn)}});
	tables_total_ = tables.size();
	for (const Table& t : tables) {
		st = ReadTable(t, consistent_lsn);
		if (!st.ok()) return st;
		++tables_done_;
	}
	return reader_.Exec("COMMIT");
}

Status InitialSnapshot::EmitRows(const PgResult& frames) {
	for (int i = 0; i < frames.rows(); ++i) {
		Status st = emit_(frames.bytes(i, 0), frames.length(i, 0));
		if (!st.ok()) return st;
	}
	return Status::Ok();
}

Status InitialSnapshot::ReadTable(const Table& table, uint64_t consistent_lsn) {
	using Clock = std::chrono::steady_clock;
	const std::string where = "slot_name = " + progress_.QuoteLiteral(slot_) + " AND relid = " + std::to_string(table.relid);
	const std::string qualified = reader_.QuoteIdentifier(table.schema) + "." + reader_.QuoteIdentifier(table.name);
	const std::string order = table.order_by.empty() ? "" : " ORDER BY " + table.order_by;
	const std::string window = "row_number() OVER (" + (order.empty() ? "" : order.substr(1)) + ")";
	PgResult r;
	Status st = progress_.Exec("UPDATE flatwal.snapshot_progress SET state = 'running', started_at = now(), "
	                           "updated_at = now() WHERE " + where);
	if (st.ok()) st = EmitMarker(table, true, consistent_lsn, 0);
	if (st.ok())
		st = reader_.Exec("SELECT flatwal.schema_frame(" + std::to_string(table.relid) + "::regclass)", &r,
		                  PgSession::Format::kBinary);
	if (st.ok()) st = EmitRows(r);
	if (st.ok())
		st = reader_.Exec("DECLARE flatwal_snapshot NO SCROLL CURSOR FOR SELECT flatwal.read_frame(" +
		                  std::to_string(table.relid) + "::regclass, t, " + window + ", " +
		                  reader_.QuoteLiteral(LsnText(consistent_lsn)) + ") FROM " +
		                  (table.partitioned ? "" : "ONLY ") + qualified + " t" + order);
	uint64_t rows = 0;
	auto started = Clock::now(), next_report = started + std::chrono::seconds(5);
	for (bool more = true; st.ok() && more;) {
		if (stop_->load() != 0) return Status::Error(ErrorKind::kUnavailable, "stopped during the snapshot");
		st = reader_.Exec("FETCH " + std::to_string(kFetchRows) + " FROM flatwal_snapshot", &r, PgSession::Format::kBinary);
		if (st.ok()) st = EmitRows(r);
		if (!st.ok()) break;
		rows += r.rows();
		more = r.rows() == kFetchRows;
		st = progress_.Exec("UPDATE flatwal.snapshot_progress SET rows_done = " + std::to_string(rows) +
		                    ", updated_at = now() WHERE " + where);
		auto now = Clock::now();
		if (now >= next_report || !more) {
			double seconds = std::chrono::duration<double>(now - started).count();
			Log(LogLevel::kInfo, more ? "snapshot progress" : "snapshot of table done",
			    {{"table", table.schema + "." + table.name},
			     {"rows", std::to_string(rows)},
			     {"estimated_rows", std::to_string(table.estimate)},
			     {"rows_per_second", std::to_string(static_cast<int64_t>(seconds > 0 ? rows / seconds : 0))}});
			next_report = now + std::chrono::seconds(5);
		}
	}
	if (st.ok()) st = EmitMarker(table, false, consistent_lsn, rows);
	if (!st.ok()) return st;
	rows_ += rows;
	st = reader_.Exec("CLOSE flatwal_snapshot");
	if (!st.ok()) return st;
	return progress_.Exec("UPDATE flatwal.snapshot_progress SET finished_at = now(), updated_at = now() WHERE " + where);
}

Status InitialSnapshot::MarkDone() {
	return progress_.Exec("UPDATE flatwal.snapshot_progress SET state = 'done', updated_at = now() WHERE slot_name = " +
	                      progress_.QuoteLiteral(slot_));
}

}  // namespace flatwal
