// pg_session.h — flatwal's one way to talk to PostgreSQL through libpq:
// connect, run a statement, quote, and turn every failure into a Status that
// keeps PostgreSQL's message, detail and hint and says whether trying again
// can help (ErrorKind::kUnavailable), whether the statement's data was refused
// (kInvalidData), or neither (kRefused).
//
// Used by the shipper (replication, snapshots, side connections) and by
// flatwal-sink's PostgreSQL target, so all classify errors the same way.
#ifndef FLATWAL_PG_SESSION_H
#define FLATWAL_PG_SESSION_H

#include <libpq-fe.h>

#include <string>

#include "status.h"

namespace flatwal {

// Whether an error with this SQLSTATE can pass with time: lost connections
// (class 08, but not 08P01, a protocol violation), operator intervention
// (class 57: shutdown, restart, a statement_timeout or cancel, 57014; not
// 57P04, a dropped database),
// insufficient resources (class 53: disk full, out of memory, too many
// connections), system errors (class 58: I/O), an object in use or a lock
// not granted in time (55006, 55P03: lock_timeout), a read-only transaction
// (25006: a server that is a standby for now), an idle-in-transaction
// timeout (25P03), serialization failures and deadlocks (40001, 40P01).
bool SqlStateIsTransient(const std::string& sqlstate);

// Whether an error with this SQLSTATE is about the data a statement carried:
// a value the target refuses (class 22, data exception) or a constraint a
// row violates (class 23). Such errors come back as ErrorKind::kInvalidData;
// everything else is about the server or the session, never one row.
bool SqlStateBlamesTheData(const std::string& sqlstate);

// A query result, freed with the object.
class PgResult {
 public:
	PgResult() = default;
	~PgResult() { Reset(nullptr); }
	PgResult(const PgResult&) = delete;
	PgResult& operator=(const PgResult&) = delete;

	void Reset(PGresult* result) {
		if (result_ != nullptr) PQclear(result_);
		result_ = result;
	}
	int rows() const { return PQntuples(result_); }
	int columns() const { return PQnfields(result_); }
	bool is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
	const char* text(int row, int column) const { return PQgetvalue(result_, row, column); }
	// A value of a binary-format result.
	const uint8_t* bytes(int row, int column) const { return reinterpret_cast<const uint8_t*>(PQgetvalue(result_, row, column)); }
	size_t length(int row, int column) const { return static_cast<size_t>(PQgetlength(result_, row, column)); }

 private:
	PGresult* result_ = nullptr;
};

class PgSession {
 public:
	enum class Kind { kSql, kReplication };  // kReplication: replication=database (a walsender that also answers SQL)
	enum class Format { kText = 0, kBinary = 1 };

	PgSession() = default;
	~PgSession() { Close(); }
	PgSession(const PgSession&) = delete;
	PgSession& operator=(const PgSession&) = delete;

	// Connects; `purpose` becomes the fallback application_name and names the
	// connection in error messages. Authentication failures and an untrusted
	// server certificate are kRefused.
	Status Connect(const std::string& conninfo, Kind kind, const std::string& purpose);
	bool connected() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }
	void Close();

	// Runs one statement; a result with rows, none, or the start of COPY BOTH
	// (START_REPLICATION) is success. Binary results need a plain SQL session.
	Status Exec(const std::string& sql, PgResult* result = nullptr, Format format = Format::kText);

	// Runs `COPY … FROM STDIN` and sends `data` (COPY text format) as its input.
	Status CopyIn(const std::string& copy_sql, const std::string& data);

	std::string QuoteLiteral(const std::string& text) const;
	std::string QuoteIdentifier(const std::string& name) const;

	// The error a failed result reports, classified by its SQLSTATE.
	Status ResultError(const std::string& what, const PGresult* result) const;
	// The error of the connection itself (not of a result), e.g. after a copy-stream call failed.
	Status ConnectionError(const std::string& what) const;
	PGconn* conn() const { return conn_; }

 private:

	PGconn* conn_ = nullptr;
	std::string purpose_;
};

}  // namespace flatwal

#endif  // FLATWAL_PG_SESSION_H
