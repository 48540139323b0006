// replication.cpp — see replication.h. Message layouts follow PostgreSQL's
// streaming replication protocol ("Logical Streaming Replication Protocol").
#include "replication.h"

#include "pg_quote.h"

#include <sys/select.h>
#include <sys/time.h>

#include <cstdio>
#include <cstring>

namespace flatwal {
namespace {

// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
constexpr int64_t kPostgresEpochMicros = 946684800LL * 1000000LL;

uint64_t ReadU64(const uint8_t* p) {
	uint64_t v = 0;
	for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
	return v;
}

void WriteU64(uint8_t* p, uint64_t v) {
	for (int i = 7; i >= 0; --i) {
		p[i] = static_cast<uint8_t>(v);
		v >>= 8;
	}
}

int64_t NowPostgresMicros() {
	timeval tv;
	gettimeofday(&tv, nullptr);
	return static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec - kPostgresEpochMicros;
}

std::string Trimmed(const char* text) {
	std::string s = text ? text : "";
	while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
	return s;
}



}  // namespace

bool ReplicationStream::Connect(const std::string& conninfo, PgFailure* failure) {
	Close();
	// The conninfo is expanded in place of dbname; the keywords after it win,
	// so this is always a replication=database connection (a walsender that
	// also answers plain SQL).
	const char* keys[] = {"dbname", "replication", "fallback_application_name", nullptr};
	const char* values[] = {conninfo.c_str(), "database", "flatwal-shipper", nullptr};
	conn_ = PQconnectdbParams(keys, values, 1);
	if (PQstatus(conn_) != CONNECTION_OK) {
		failure->retriable = true;
		failure->message = "cannot connect to PostgreSQL: " + Trimmed(PQerrorMessage(conn_));
		Close();
		return false;
	}
	return true;
}

void ReplicationStream::Close() {
	if (buffer_ != nullptr) {
		PQfreemem(buffer_);
		buffer_ = nullptr;
	}
	if (conn_ != nullptr) {
		PQfinish(conn_);
		conn_ = nullptr;
	}
}

PgFailure ReplicationStream::FailureFrom(const char* what, PGresult* result) {
	PgFailure f;
	const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
	std::string code = state ? state : "";
	std::string text = Trimmed(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
	if (text.empty()) text = Trimmed(PQerrorMessage(conn_));
	// Lost connections, shutdowns and a slot still held by a previous walsender pass with time.
	f.retriable = code.empty() || code.rfind("08", 0) == 0 || code.rfind("57P", 0) == 0 || code == "55006" ||
	              code == "53300" || PQstatus(conn_) != CONNECTION_OK;
	f.message = std::string(what) + ": " + text;
	return f;
}

bool ReplicationStream::Query(const std::string& sql, int expected_status, PGresult** result, PgFailure* failure) {
	PGresult* r = PQexec(conn_, sql.c_str());
	if (PQresultStatus(r) != expected_status) {
		*failure = FailureFrom(sql.substr(0, sql.find(' ')).c_str(), r);
		PQclear(r);
		return false;
	}
	*result = r;
	return true;
}

bool ReplicationStream::CurrentDatabase(std::string* name, PgFailure* failure) {
	PGresult* r = nullptr;
	if (!Query("IDENTIFY_SYSTEM", PGRES_TUPLES_OK, &r, failure)) return false;
	bool ok = PQnfields(r) >= 4 && !PQgetisnull(r, 0, 3);
	if (ok) *name = PQgetvalue(r, 0, 3);
	PQclear(r);
	if (!ok) {
		failure->retriable = false;
		failure->message = "the connection is not a logical replication connection to one database";
	}
	return ok;
}

bool ReplicationStream::InspectSlot(const std::string& slot, bool* exists, PgFailure* failure) {
	PGresult* r = nullptr;
	std::string sql =
	    "SELECT plugin, database, coalesce(wal_status, ''), slot_type FROM pg_catalog.pg_replication_slots "
	    "WHERE slot_name = " + QuoteLiteral(conn_, slot);
	if (!Query(sql, PGRES_TUPLES_OK, &r, failure)) return false;
	*exists = PQntuples(r) > 0;
	if (!*exists) {
		PQclear(r);
		return true;
	}
	std::string plugin = PQgetvalue(r, 0, 0), database = PQgetvalue(r, 0, 1), wal_status = PQgetvalue(r, 0, 2);
	std::string type = PQgetvalue(r, 0, 3);
	PQclear(r);
	failure->retriable = false;
	if (type != "logical" || plugin != "flatwal") {
		failure->message = "replication slot \"" + slot + "\" is a " + type + " slot" +
		                   (plugin.empty() ? "" : " for plugin \"" + plugin + "\"") +
		                   ", not a flatwal slot; choose another --slot name, or drop it with "
		                   "SELECT pg_drop_replication_slot('" + slot + "')";
		return false;
	}
	std::string current;
	if (!CurrentDatabase(&current, failure)) return false;
	if (database != current) {
		failure->retriable = false;
		failure->message = "replication slot \"" + slot + "\" belongs to database \"" + database +
		                   "\", not \"" + current + "\"; connect to that database or choose another --slot";
		return false;
	}
	if (wal_status == "lost") {
		failure->message = "replication slot \"" + slot + "\" was invalidated (wal_status = lost): PostgreSQL "
		                   "removed WAL it still needed, so changes were lost to this slot. Drop it with "
		                   "SELECT pg_drop_replication_slot('" + slot + "'), restart the shipper to create it "
		                   "again, and take a new snapshot; raise max_slot_wal_keep_size to avoid this";
		return false;
	}
	return true;
}

bool ReplicationStream::CreateSlot(const std::string& slot, bool export_snapshot, std::string* snapshot,
                                   uint64_t* consistent_lsn, PgFailure* failure) {
	PGresult* r = nullptr;
	std::string sql = "CREATE_REPLICATION_SLOT " + QuoteIdentifier(conn_, slot) + " LOGICAL flatwal " +
	                  (export_snapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
	if (!Query(sql, PGRES_TUPLES_OK, &r, failure)) {
		failure->message += " (creating slot \"" + slot + "\")";
		return false;
	}
	unsigned hi = 0, lo = 0;
	if (sscanf(PQgetvalue(r, 0, 1), "%X/%X", &hi, &lo) == 2) *consistent_lsn = (uint64_t(hi) << 32) | lo;
	*snapshot = PQgetisnull(r, 0, 2) ? "" : PQgetvalue(r, 0, 2);
	PQclear(r);
	return true;
}

bool ReplicationStream::DropSlot(const std::string& slot, PgFailure* failure) {
	PGresult* r = nullptr;
	if (!Query("DROP_REPLICATION_SLOT " + QuoteIdentifier(conn_, slot) + " WAIT", PGRES_COMMAND_OK, &r, failure)) return false;
	PQclear(r);
	return true;
}

bool ReplicationStream::Start(const std::string& slot, int batch_bytes, PgFailure* failure) {
	std::string sql = "START_REPLICATION SLOT " + QuoteIdentifier(conn_, slot) + " LOGICAL 0/0 (\"batch_bytes\" '" +
	                  std::to_string(batch_bytes) + "', \"include_transaction\" 'true')";
	PGresult* r = nullptr;
	if (!Query(sql, PGRES_COPY_BOTH, &r, failure)) return false;
	PQclear(r);
	return true;
}

ReplicationStream::Event ReplicationStream::Receive(int timeout_ms, Message* out, PgFailure* failure) {
	if (buffer_ != nullptr) {
		PQfreemem(buffer_);
		buffer_ = nullptr;
	}
	int len = PQgetCopyData(conn_, &buffer_, 1);
	if (len == 0) {
		int sock = PQsocket(conn_);
		fd_set readable;
		FD_ZERO(&readable);
		FD_SET(sock, &readable);
		timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
		int ready = select(sock + 1, &readable, nullptr, nullptr, &tv);
		if (ready <= 0) return Event::kNone;  // timeout, or a signal: the caller looks at its flags
		if (!PQconsumeInput(conn_)) {
			*failure = FailureFrom("reading the replication stream", nullptr);
			failure->retriable = true;
			return Event::kClosed;
		}
		len = PQgetCopyData(conn_, &buffer_, 1);
		if (len == 0) return Event::kNone;
	}
	if (len < 0) {
		PGresult* r = PQgetResult(conn_);
		*failure = FailureFrom("replication stream ended", r);
		if (len == -1 && PQresultStatus(r) == PGRES_COMMAND_OK) failure->retriable = true;
		PQclear(r);
		return Event::kClosed;
	}
	const uint8_t* p = reinterpret_cast<const uint8_t*>(buffer_);
	if (p[0] == 'w' && len >= 25) {
		out->wal_start = ReadU64(p + 1);
		out->wal_end = ReadU64(p + 9);
		out->data = p + 25;
		out->size = static_cast<size_t>(len) - 25;
		out->reply_requested = false;
		return Event::kData;
	}
	if (p[0] == 'k' && len >= 18) {
		out->wal_end = ReadU64(p + 1);
		out->reply_requested = p[17] != 0;
		out->data = nullptr;
		out->size = 0;
		return Event::kKeepalive;
	}
	failure->retriable = true;
	failure->message = "unexpected replication message type '" + std::string(1, static_cast<char>(p[0])) + "'";
	return Event::kClosed;
}

bool ReplicationStream::SendStatus(uint64_t written, uint64_t flushed, bool reply_requested, PgFailure* failure) {
	uint8_t msg[34];
	msg[0] = 'r';
	WriteU64(msg + 1, written);
	WriteU64(msg + 9, flushed);
	WriteU64(msg + 17, flushed);  // applied: nothing is applied beyond what Kafka holds
	WriteU64(msg + 25, static_cast<uint64_t>(NowPostgresMicros()));
	msg[33] = reply_requested ? 1 : 0;
	if (PQputCopyData(conn_, reinterpret_cast<const char*>(msg), sizeof msg) <= 0 || PQflush(conn_) < 0) {
		*failure = FailureFrom("sending a status update", nullptr);
		failure->retriable = true;
		return false;
	}
	return true;
}

}  // namespace flatwal
