// pg_session.cpp — see pg_session.h.
#include "pg_session.h"

#include <algorithm>
#include <cstring>

namespace flatwal {
namespace {

std::string Trimmed(const char* text) {
	std::string s = text != nullptr ? text : "";
	while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
	return s;
}

std::string Field(const PGresult* result, int field) {
	const char* value = PQresultErrorField(result, field);
	return value != nullptr ? value : "";
}

// libpq has no SQLSTATE for a failed connection attempt: authentication
// failures (28P01, 28000) are recognised by libpq's own state and by the
// server's message.
bool AuthenticationFailed(PGconn* conn) {
	if (PQconnectionNeedsPassword(conn)) return true;
	std::string message = PQerrorMessage(conn);
	return message.find("authentication failed") != std::string::npos ||
	       message.find("pg_hba.conf") != std::string::npos ||
	       (message.find("role \"") != std::string::npos && message.find("does not exist") != std::string::npos);
}

// A database that does not exist stays so until someone creates it.
bool DatabaseMissing(PGconn* conn) {
	std::string message = PQerrorMessage(conn);
	return message.find("database \"") != std::string::npos && message.find("does not exist") != std::string::npos;
}

// A server certificate the client does not trust, or issued for another host
// name: it stays so until someone changes the certificates or the conninfo.
bool CertificateRefused(PGconn* conn) {
	std::string message = PQerrorMessage(conn);
	return message.find("certificate verify failed") != std::string::npos ||
	       message.find("does not match host name") != std::string::npos;
}

}  // namespace

bool SqlStateIsTransient(const std::string& sqlstate) {
	// 08P01: a protocol violation fails again; 57P04: the database was dropped.
	if (sqlstate.size() != 5 || sqlstate == "08P01" || sqlstate == "57P04") return false;
	const std::string category = sqlstate.substr(0, 2);
	return category == "08" || category == "57" || category == "53" || category == "58" || sqlstate == "55006" ||
	       sqlstate == "55P03" || sqlstate == "25006" || sqlstate == "25P03" || sqlstate == "40001" ||
	       sqlstate == "40P01";
}

bool SqlStateBlamesTheData(const std::string& sqlstate) {
	return sqlstate.size() == 5 && (sqlstate.compare(0, 2, "22") == 0 || sqlstate.compare(0, 2, "23") == 0);
}

Status PgSession::Connect(const std::string& conninfo, Kind kind, const std::string& purpose) {
	Close();
	purpose_ = purpose;
	// The conninfo is expanded in place of dbname; the keywords after it win.
	const char* keys[] = {"dbname", "fallback_application_name", kind == Kind::kReplication ? "replication" : nullptr,
	                      nullptr};
	const char* values[] = {conninfo.c_str(), purpose.c_str(), "database", nullptr};
	conn_ = PQconnectdbParams(keys, values, 1);
	if (PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
	std::string message = Trimmed(PQerrorMessage(conn_));
	const bool authentication = AuthenticationFailed(conn_), certificate = CertificateRefused(conn_),
	           no_database = DatabaseMissing(conn_);
	Close();
	if (no_database)
		return Status::Error(ErrorKind::kRefused, "PostgreSQL refused the " + purpose + " connection: " + message, "",
		                     "Create the database, or name an existing one in the conninfo (dbname=...).");
	if (authentication)
		return Status::Error(ErrorKind::kRefused, "PostgreSQL refused the " + purpose + " connection: " + message, "",
		                     "Check the user and password: put the password in PGPASSWORD, ~/.pgpass or the "
		                     "config file's [postgres] conninfo, and check pg_hba.conf.");
	if (certificate)
		return Status::Error(ErrorKind::kRefused, "the server's TLS certificate is not trusted (" + purpose + "): " + message,
		                     "", "Check sslrootcert (the CA that signed the server's certificate) and, with "
		                     "sslmode=verify-full, that the host name in the conninfo is one the certificate names.");
	return Status::Error(ErrorKind::kUnavailable, "cannot connect to PostgreSQL (" + purpose + "): " + message);
}

void PgSession::Close() {
	if (conn_ != nullptr) PQfinish(conn_);
	conn_ = nullptr;
}

Status PgSession::Exec(const std::string& sql, PgResult* result, Format format) {
	if (conn_ == nullptr) return Status::Error(ErrorKind::kUnavailable, "not connected to PostgreSQL (" + purpose_ + ")");
	// A replication connection speaks only the simple query protocol: binary
	// results (extended protocol) are for plain SQL sessions.
	PGresult* r = format == Format::kText
	                  ? PQexec(conn_, sql.c_str())
	                  : PQexecParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, static_cast<int>(format));
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_BOTH) {
		if (result != nullptr) result->Reset(r);
		else PQclear(r);
		return Status::Ok();
	}
	// Name the statement by its first word: the rest may be long, or hold values.
	Status error = ResultError(sql.substr(0, sql.find(' ')), r);
	PQclear(r);
	return error;
}

Status PgSession::CopyIn(const std::string& copy_sql, const std::string& data) {
	if (conn_ == nullptr) return Status::Error(ErrorKind::kUnavailable, "not connected to PostgreSQL (" + purpose_ + ")");
	PGresult* r = PQexec(conn_, copy_sql.c_str());
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		Status error = ResultError("COPY", r);
		PQclear(r);
		return error;
	}
	PQclear(r);
	// Sent in slices: libpq buffers each, and one huge call would double the batch in memory.
	constexpr size_t kSlice = size_t{1} << 20;
	for (size_t at = 0; at < data.size(); at += kSlice) {
		size_t n = std::min(kSlice, data.size() - at);
		if (PQputCopyData(conn_, data.data() + at, static_cast<int>(n)) != 1) return ConnectionError("COPY");
	}
	if (PQputCopyEnd(conn_, nullptr) != 1) return ConnectionError("COPY");
	Status st = Status::Ok();
	while ((r = PQgetResult(conn_)) != nullptr) {
		if (st.ok() && PQresultStatus(r) != PGRES_COMMAND_OK) st = ResultError("COPY", r);
		PQclear(r);
	}
	return st;
}

Status PgSession::ResultError(const std::string& what, const PGresult* result) const {
	if (result == nullptr) return ConnectionError(what);
	std::string sqlstate = Field(result, PG_DIAG_SQLSTATE);
	std::string message = Field(result, PG_DIAG_MESSAGE_PRIMARY);
	if (message.empty()) message = Trimmed(PQresultErrorMessage(result));
	if (message.empty()) message = Trimmed(PQerrorMessage(conn_));
	// No SQLSTATE: libpq itself failed, which means the connection did.
	bool transient = sqlstate.empty() || SqlStateIsTransient(sqlstate) || PQstatus(conn_) != CONNECTION_OK;
	ErrorKind kind = transient                              ? ErrorKind::kUnavailable
	                 : SqlStateBlamesTheData(sqlstate) ? ErrorKind::kInvalidData
	                                                   : ErrorKind::kRefused;
	return Status::Error(kind,
	                     what + ": " + message + (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")"),
	                     Field(result, PG_DIAG_MESSAGE_DETAIL), Field(result, PG_DIAG_MESSAGE_HINT));
}

Status PgSession::ConnectionError(const std::string& what) const {
	return Status::Error(ErrorKind::kUnavailable,
	                     what + ": " + (conn_ != nullptr ? Trimmed(PQerrorMessage(conn_)) : "not connected"));
}

std::string PgSession::QuoteLiteral(const std::string& text) const {
	char* quoted = PQescapeLiteral(conn_, text.c_str(), text.size());
	std::string out = quoted != nullptr ? quoted : "''";
	PQfreemem(quoted);
	return out;
}

std::string PgSession::QuoteIdentifier(const std::string& name) const {
	char* quoted = PQescapeIdentifier(conn_, name.c_str(), name.size());
	std::string out = quoted != nullptr ? quoted : "\"\"";
	PQfreemem(quoted);
	return out;
}

}  // namespace flatwal
