// snapshot.cpp — see snapshot.h.
#include "snapshot.h"

#include <chrono>
#include <vector>

#include "frame_builder.h"
#include "log.h"
#include "lsn.h"
#include "pg_quote.h"
#include "router.h"
#include "wire.h"

namespace flatwal {
namespace {

constexpr int kFetchRows = 5000;

PGconn* Open(const std::string& conninfo, PgFailure* failure) {
	const char* keys[] = {"dbname", "fallback_application_name", nullptr};
	const char* values[] = {conninfo.c_str(), "flatwal-shipper snapshot", nullptr};
	PGconn* conn = PQconnectdbParams(keys, values, 1);
	if (PQstatus(conn) != CONNECTION_OK) {
		failure->retriable = true;
		failure->message = std::string("cannot connect to PostgreSQL for the snapshot: ") + PQerrorMessage(conn);
		PQfinish(conn);
		return nullptr;
	}
	return conn;
}



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

InitialSnapshot::~InitialSnapshot() {
	if (reader_) PQfinish(reader_);
	if (progress_) PQfinish(progress_);
}

bool InitialSnapshot::Exec(PGconn* conn, const std::string& sql, PGresult** result, PgFailure* failure, int format) {
	PGresult* r = PQexecParams(conn, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, format);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		failure->retriable = PQstatus(conn) != CONNECTION_OK;
		failure->message = "snapshot: " + std::string(PQresultErrorMessage(r));
		while (!failure->message.empty() && failure->message.back() == '\n') failure->message.pop_back();
		PQclear(r);
		return false;
	}
	if (result) *result = r;
	else PQclear(r);
	return true;
}

bool InitialSnapshot::Interrupted(const std::string& conninfo, const std::string& slot, bool* interrupted,
                                  PgFailure* failure) {
	PGconn* conn = Open(conninfo, failure);
	if (conn == nullptr) return false;
	std::string sql = "SELECT count(*) FILTER (WHERE state <> 'done') FROM flatwal.snapshot_progress WHERE slot_name = " +
	                  QuoteLiteral(conn, slot);
	PGresult* r = PQexec(conn, sql.c_str());
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	if (ok) *interrupted = std::string(PQgetvalue(r, 0, 0)) != "0";
	else {
		failure->retriable = false;
		failure->message = "cannot read flatwal.snapshot_progress: " + std::string(PQresultErrorMessage(r)) +
		                   " (is the flatwal extension installed and up to date in this database?)";
	}
	PQclear(r);
	PQfinish(conn);
	return ok;
}

bool InitialSnapshot::Prepare(PgFailure* failure) {
	progress_ = Open(conninfo_, failure);
	if (progress_ == nullptr) return false;
	std::string slot = QuoteLiteral(progress_, slot_);
	return Exec(progress_, "DELETE FROM flatwal.snapshot_progress WHERE slot_name = " + slot, nullptr, failure) &&
	       Exec(progress_,
	            "INSERT INTO flatwal.snapshot_progress (slot_name, relid, table_name, state) "
	            "SELECT " + slot + ", s.relid, s.relid::regclass::text, 'pending' FROM flatwal.source_tables s "
	            "WHERE s.capture_enabled",
	            nullptr, failure);
}

Status InitialSnapshot::EmitMarker(const Table& table, bool start, uint64_t consistent_lsn, uint64_t rows) {
	flatbuffers::FlatBufferBuilder b(256);
	BuildSnapshotMarker({table.relid, table.schema, table.name,
	                     start ? wire::SnapshotPhase::Start : wire::SnapshotPhase::End, consistent_lsn, rows},
	                    &b);
	return emit_(b.GetBufferPointer(), b.GetSize());
}

bool InitialSnapshot::Run(const std::string& snapshot_name, uint64_t consistent_lsn, PgFailure* failure) {
	reader_ = Open(conninfo_, failure);
	if (reader_ == nullptr) return false;
	std::string lsn = QuoteLiteral(progress_, LsnText(consistent_lsn));
	PGresult* r = nullptr;
	if (!Exec(reader_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", nullptr, failure) ||
	    !Exec(reader_, "SET TRANSACTION SNAPSHOT " + QuoteLiteral(reader_, snapshot_name), nullptr, failure) ||
	    !Exec(reader_,
	          "SELECT s.relid::oid, n.nspname, c.relname, s.key_columns, greatest(c.reltuples, 0)::bigint "
	          "FROM flatwal.source_tables s JOIN pg_class c ON c.oid = s.relid "
	          "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE s.capture_enabled ORDER BY 1",
	          &r, failure))
		return false;
	std::vector<Table> tables;
	for (int i = 0; i < PQntuples(r); ++i) {
		Table t{static_cast<uint32_t>(std::stoul(PQgetvalue(r, i, 0))), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), "",
		        std::stoll(PQgetvalue(r, i, 4))};
		for (const std::string& column : ParseTextArray(PQgetvalue(r, i, 3)))
			t.order_by += (t.order_by.empty() ? "" : ", ") + QuoteIdentifier(reader_, column);
		tables.push_back(t);
	}
	PQclear(r);
	// The snapshot's own view of which tables are captured is the one that counts.
	std::string slot = QuoteLiteral(progress_, slot_);
	if (!Exec(progress_, "DELETE FROM flatwal.snapshot_progress WHERE slot_name = " + slot, nullptr, failure)) return false;
	for (const Table& t : tables) {
		if (!Exec(progress_,
		          "INSERT INTO flatwal.snapshot_progress (slot_name, relid, table_name, state, rows_estimated, "
		          "consistent_lsn) VALUES (" + slot + ", " + std::to_string(t.relid) + ", " +
		              QuoteLiteral(progress_, t.schema + "." + t.name) + ", 'pending', " + std::to_string(t.estimate) +
		              ", " + lsn + ")",
		          nullptr, failure))
			return false;
	}
	Log(LogLevel::kInfo, "snapshot started",
	    {{"slot", slot_}, {"tables", std::to_string(tables.size())}, {"consistent_lsn", LsnText(consistent_lsn)}});
	for (const Table& t : tables) {
		if (!ReadTable(t, consistent_lsn, failure)) return false;
	}
	return Exec(reader_, "COMMIT", nullptr, failure);
}

bool InitialSnapshot::ReadTable(const Table& table, uint64_t consistent_lsn, PgFailure* failure) {
	using Clock = std::chrono::steady_clock;
	const std::string where = "slot_name = " + QuoteLiteral(progress_, slot_) + " AND relid = " + std::to_string(table.relid);
	const std::string qualified = QuoteIdentifier(reader_, table.schema) + "." + QuoteIdentifier(reader_, table.name);
	if (!Exec(progress_, "UPDATE flatwal.snapshot_progress SET state = 'running', started_at = now(), updated_at = now() "
	                     "WHERE " + where, nullptr, failure))
		return false;
	Status st = EmitMarker(table, true, consistent_lsn, 0);
	PGresult* r = nullptr;
	if (st.ok() && Exec(reader_, "SELECT flatwal.schema_frame(" + std::to_string(table.relid) + "::regclass)", &r,
	                    failure, 1)) {
		st = emit_(reinterpret_cast<const uint8_t*>(PQgetvalue(r, 0, 0)), PQgetlength(r, 0, 0));
		PQclear(r);
	} else if (st.ok()) {
		return false;
	}
	std::string order = table.order_by.empty() ? "" : " ORDER BY " + table.order_by;
	std::string window = table.order_by.empty() ? "row_number() OVER ()" : "row_number() OVER (" + order.substr(1) + ")";
	if (st.ok() && !Exec(reader_,
	                     "DECLARE flatwal_snapshot NO SCROLL CURSOR FOR SELECT flatwal.read_frame(" +
	                         std::to_string(table.relid) + "::regclass, t, " + window + ", " +
	                         QuoteLiteral(reader_, LsnText(consistent_lsn)) + ") FROM ONLY " + qualified + " t" + order,
	                     nullptr, failure))
		return false;
	uint64_t rows = 0;
	auto started = Clock::now(), next_report = started + std::chrono::seconds(5);
	while (st.ok()) {
		if (stop_->load() != 0) {
			failure->retriable = true;
			failure->message = "stopped during the snapshot";
			return false;
		}
		if (!Exec(reader_, "FETCH " + std::to_string(kFetchRows) + " FROM flatwal_snapshot", &r, failure, 1)) return false;
		int n = PQntuples(r);
		for (int i = 0; i < n && st.ok(); ++i)
			st = emit_(reinterpret_cast<const uint8_t*>(PQgetvalue(r, i, 0)), PQgetlength(r, i, 0));
		PQclear(r);
		rows += n;
		if (!Exec(progress_, "UPDATE flatwal.snapshot_progress SET rows_done = " + std::to_string(rows) +
		                         ", updated_at = now() WHERE " + where, nullptr, failure))
			return false;
		auto now = Clock::now();
		if (now >= next_report || n < kFetchRows) {
			double seconds = std::chrono::duration<double>(now - started).count();
			Log(LogLevel::kInfo, n < kFetchRows ? "snapshot of table done" : "snapshot progress",
			    {{"table", table.schema + "." + table.name},
			     {"rows", std::to_string(rows)},
			     {"estimated_rows", std::to_string(table.estimate)},
			     {"rows_per_second", std::to_string(static_cast<int64_t>(seconds > 0 ? rows / seconds : 0))}});
			next_report = now + std::chrono::seconds(5);
		}
		if (n < kFetchRows) break;
	}
	if (st.ok()) st = EmitMarker(table, false, consistent_lsn, rows);
	if (!st.ok()) {
		failure->retriable = false;
		failure->message = st.message();
		return false;
	}
	rows_ += rows;
	return Exec(reader_, "CLOSE flatwal_snapshot", nullptr, failure) &&
	       Exec(progress_, "UPDATE flatwal.snapshot_progress SET finished_at = now(), updated_at = now() WHERE " + where,
	            nullptr, failure);
}

bool InitialSnapshot::MarkDone(PgFailure* failure) {
	return Exec(progress_, "UPDATE flatwal.snapshot_progress SET state = 'done', updated_at = now() WHERE slot_name = " +
	                           QuoteLiteral(progress_, slot_), nullptr, failure);
}

}  // namespace flatwal
