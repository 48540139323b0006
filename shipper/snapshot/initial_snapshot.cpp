// initial_snapshot.cpp — see initial_snapshot.h.
#include "initial_snapshot.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "frame_builder.h"
#include "log.h"
#include "lsn.h"
#include "snapshot_plan.h"
#include "wire.h"

namespace flatwal {
namespace {

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

Status InitialSnapshot::Recorded(const std::string& conninfo, const std::string& slot, Record* record) {
	PgSession session;
	Status st = session.Connect(conninfo, PgSession::Kind::kSql, kPurpose);
	if (!st.ok()) return st;
	PgResult r;
	st = session.Exec("SELECT count(*), count(*) FILTER (WHERE state <> 'done'), coalesce(bool_or(resync), false) "
	                  "FROM flatwal.snapshot_progress "
	                  "WHERE slot_name = " + session.QuoteLiteral(slot),
	                  &r);
	if (!st.ok())
		return st.retriable() ? st
		                      : Status::Error(ErrorKind::kRefused, "cannot read flatwal.snapshot_progress: " + st.message(),
		                                      st.detail(),
		                                      "Is the flatwal extension installed and up to date in this database? Where it "
		                                      "cannot be (a managed service), run with --source pgoutput.");
	record->taken = std::string(r.text(0, 0)) != "0";
	record->interrupted = std::string(r.text(0, 1)) != "0";
	record->resync = std::string(r.text(0, 2)) == "t";
	return Status::Ok();
}

Status InitialSnapshot::Prepare() {
	Status st = progress_.Connect(conninfo_, PgSession::Kind::kSql, kPurpose);
	if (!st.ok()) return st;
	std::string slot = progress_.QuoteLiteral(slot_);
	st = progress_.Exec("DELETE FROM flatwal.snapshot_progress WHERE slot_name = " + slot);
	if (!st.ok()) return st;
	return progress_.Exec(
	    "INSERT INTO flatwal.snapshot_progress (slot_name, relid, table_name, state, resync) "
	    "SELECT " + slot + ", s.relid, s.relid::regclass::text, 'pending', " + (resync_ ? "true" : "false") +
	    " FROM flatwal.source_tables s "
	    "WHERE s.capture_enabled AND s.table_set = " + progress_.QuoteLiteral(table_set_));
}

Status InitialSnapshot::EmitMarker(const Table& table, bool start, uint64_t consistent_lsn, uint64_t rows) {
	flatbuffers::FlatBufferBuilder b(256);
	BuildSnapshotMarker({table.relid, table.schema, table.name,
	                     start ? wire::SnapshotPhase::Start : wire::SnapshotPhase::End, consistent_lsn, rows, resync_,
	                     timeline_},
	                    &b);
	return emit_(b.GetBufferPointer(), b.GetSize());
}

Status InitialSnapshot::Run(const std::string& snapshot_name, uint64_t consistent_lsn) {
	using Clock = std::chrono::steady_clock;
	Status st = reader_.Connect(conninfo_, PgSession::Kind::kSql, kPurpose);
	PgResult r;
	if (st.ok()) st = reader_.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (st.ok()) st = reader_.Exec("SET TRANSACTION SNAPSHOT " + reader_.QuoteLiteral(snapshot_name));
	if (st.ok())
		st = reader_.Exec(
		    std::string("SELECT s.relid::oid, n.nspname, c.relname, s.key_columns, ") + EstimatedRowsSql() +
		    ", c.relkind = 'p' FROM flatwal.source_tables s JOIN pg_class c ON c.oid = s.relid "
		    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE s.capture_enabled AND s.table_set = " +
		        reader_.QuoteLiteral(table_set_) + " ORDER BY 1",
		    &r);
	if (!st.ok()) return st;
	tables_.clear();
	for (int i = 0; i < r.rows(); ++i) {
		Table t;
		t.relid = static_cast<uint32_t>(std::stoul(r.text(i, 0)));
		t.schema = r.text(i, 1);
		t.name = r.text(i, 2);
		t.estimate = std::stoll(r.text(i, 4));
		t.partitioned = r.text(i, 5)[0] == 't';
		for (const std::string& column : ParseTextArray(r.text(i, 3)))
			t.order_by += (t.order_by.empty() ? "" : ", ") + reader_.QuoteIdentifier(column);
		tables_.push_back(t);
	}
	// The snapshot's own view of which tables are captured is the one that counts.
	const std::string slot = progress_.QuoteLiteral(slot_), lsn = progress_.QuoteLiteral(LsnText(consistent_lsn));
	st = progress_.Exec("DELETE FROM flatwal.snapshot_progress WHERE slot_name = " + slot);
	for (size_t i = 0; st.ok() && i < tables_.size(); ++i) {
		const Table& t = tables_[i];
		st = progress_.Exec(
		    "INSERT INTO flatwal.snapshot_progress (slot_name, relid, table_name, state, rows_estimated, "
		    "consistent_lsn, resync) VALUES (" + slot + ", " + std::to_string(t.relid) + ", " +
		    progress_.QuoteLiteral(t.schema + "." + t.name) + ", 'pending', " + std::to_string(t.estimate) + ", " + lsn +
		    ", " + (resync_ ? "true" : "false") + ")");
	}
	std::vector<SnapshotUnit> units;
	for (size_t i = 0; st.ok() && i < tables_.size(); ++i) st = PlanUnits(i, consistent_lsn, &units);
	// Planning is over: locks held from here on (the key bounds' reads) would
	// make DDL on a table wait for this session, and the workers' reads wait
	// behind that DDL while this session waits for the workers.
	if (st.ok()) st = reader_.Exec("COMMIT");
	if (!st.ok()) return st;
	Log(LogLevel::kInfo, "snapshot started",
	    {{"slot", slot_}, {"tables", std::to_string(tables_.size())}, {"units", std::to_string(units.size())},
	     {"workers", std::to_string(workers_)}, {"consistent_lsn", LsnText(consistent_lsn)}});
	tables_total_ = tables_.size();
	const int workers = static_cast<int>(std::min<size_t>(static_cast<size_t>(workers_), units.size()));
	SnapshotReaders readers(conninfo_, snapshot_name, units, std::max(workers, 1), stop_);
	auto started = Clock::now(), next_report = started + std::chrono::seconds(5);
	for (;;) {
		SnapshotBatch batch;
		bool done = false;
		st = readers.Next(&batch, &done);
		if (!st.ok() || done) break;
		st = TakeBatch(units[batch.unit].table, batch, consistent_lsn);
		if (!st.ok()) break;
		if (Clock::now() >= next_report) {
			double seconds = std::chrono::duration<double>(Clock::now() - started).count();
			Log(LogLevel::kInfo, "snapshot progress",
			    {{"rows", std::to_string(rows_)}, {"tables_done", std::to_string(tables_done_)},
			     {"tables", std::to_string(tables_total_)},
			     {"rows_per_second", std::to_string(static_cast<int64_t>(rows_ / seconds))}});
			next_report = Clock::now() + std::chrono::seconds(5);
		}
	}
	if (!st.ok()) return st;
	if (tables_done_ != tables_total_)  // every unit ends with a last batch: a bug if not
		return Status::Error(ErrorKind::kInternal, "the snapshot readers stopped before every table was read");
	return Status::Ok();
}

Status InitialSnapshot::PlanUnits(size_t index, uint64_t consistent_lsn, std::vector<SnapshotUnit>* units) {
	Table& t = tables_[index];
	std::vector<KeyRange> ranges;
	std::string key_column;
	Status st = PlanTableRanges(workers_, ExtensionSplitFactsSql(t.relid),
	                            [this](const std::string& sql, PgResult* result) { return reader_.Exec(sql, result); },
	                            &ranges, &key_column);
	if (!st.ok()) return st;
	const std::string qualified = reader_.QuoteIdentifier(t.schema) + "." + reader_.QuoteIdentifier(t.name);
	// The row goes to read_frame() as `t.*`: a bare `t` would name a column
	// called t instead of the whole row (qualified names are tables first).
	const std::string from = std::string(" FROM ") + (t.partitioned ? "" : "ONLY ") + qualified + " t";
	const std::string order = t.order_by.empty() ? "" : " ORDER BY " + t.order_by;
	// Read rows are numbered per table (their seq), each range from its own base.
	for (size_t i = 0; i < ranges.size(); ++i) {
		SnapshotUnit u;
		u.table = index;
		u.relid = t.relid;
		u.select = "SELECT flatwal.read_frame(" + std::to_string(t.relid) + "::regclass, t.*, " +
		           std::to_string(RangeSeqBase(i, workers_)) + " + row_number() OVER (" +
		           (order.empty() ? "" : order.substr(1)) + "), " + reader_.QuoteLiteral(LsnText(consistent_lsn)) + ")" +
		           from + RangeWhereSql(ranges[i], "t." + key_column) + order;
		units->push_back(std::move(u));
		++t.units_left;
	}
	return Status::Ok();
}

Status InitialSnapshot::EmitRows(const PgResult& frames) {
	for (int i = 0; i < frames.rows(); ++i) {
		Status st = emit_(frames.bytes(i, 0), frames.length(i, 0));
		if (!st.ok()) return st;
	}
	return Status::Ok();
}

Status InitialSnapshot::TakeBatch(size_t index, const SnapshotBatch& batch, uint64_t consistent_lsn) {
	Table& t = tables_[index];
	const std::string where = "slot_name = " + progress_.QuoteLiteral(slot_) + " AND relid = " + std::to_string(t.relid);
	Status st = Status::Ok();
	if (!t.started) {
		t.started = true;
		st = progress_.Exec("UPDATE flatwal.snapshot_progress SET state = 'running', started_at = now(), "
		                    "updated_at = now() WHERE " + where);
		if (st.ok()) st = EmitMarker(t, true, consistent_lsn, 0);
	}
	// Each unit's rows are described by the Schema frame its worker read (the same, unless DDL came between).
	if (st.ok() && !batch.schema_frame.empty())
		st = emit_(reinterpret_cast<const uint8_t*>(batch.schema_frame.data()), batch.schema_frame.size());
	if (st.ok()) st = EmitRows(*batch.frames);
	if (!st.ok()) return st;
	t.rows += static_cast<uint64_t>(batch.rows);
	rows_ += static_cast<uint64_t>(batch.rows);
	st = progress_.Exec("UPDATE flatwal.snapshot_progress SET rows_done = " + std::to_string(t.rows) +
	                    ", updated_at = now() WHERE " + where);
	if (!st.ok() || !batch.last || --t.units_left > 0) return st;
	st = EmitMarker(t, false, consistent_lsn, t.rows);
	if (st.ok())
		st = progress_.Exec("UPDATE flatwal.snapshot_progress SET finished_at = now(), updated_at = now() WHERE " + where);
	if (!st.ok()) return st;
	++tables_done_;
	Log(LogLevel::kInfo, "snapshot of table done", {{"table", t.schema + "." + t.name}, {"rows", std::to_string(t.rows)}});
	return Status::Ok();
}

Status InitialSnapshot::MarkDone() {
	return progress_.Exec("UPDATE flatwal.snapshot_progress SET state = 'done', updated_at = now() WHERE slot_name = " +
	                      progress_.QuoteLiteral(slot_));
}

}  // namespace flatwal
