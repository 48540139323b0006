// side_session.h — a plain SQL connection beside the replication stream
// (heartbeats, on-demand snapshots) that connects when first needed and,
// after a failure, not again before the backoff allows. Its callers run on the
// streaming loop, so a statement that cannot run now fails fast with
// kUnavailable and is tried again at a later step; it never blocks streaming
// on a reconnect loop.
#ifndef FLATWAL_SIDE_SESSION_H
#define FLATWAL_SIDE_SESSION_H

#include <string>

#include "backoff.h"
#include "pg_session.h"

namespace flatwal {

class SideSession {
 public:
	// `purpose` names the connection (application_name, log lines).
	SideSession(std::string conninfo, std::string purpose) : conninfo_(std::move(conninfo)), purpose_(std::move(purpose)) {}

	// Runs one statement, connecting first when needed. A connection failure
	// is logged once per attempt here; a failed statement is the caller's to report.
	Status Exec(const std::string& sql, PgResult* result = nullptr, PgSession::Format format = PgSession::Format::kText);

	bool connected() const { return session_.connected(); }
	std::string QuoteLiteral(const std::string& text) const { return session_.QuoteLiteral(text); }

 private:
	std::string conninfo_;
	std::string purpose_;
	PgSession session_;
	Backoff reconnect_{std::chrono::milliseconds(500), std::chrono::seconds(30)};
};

}  // namespace flatwal

#endif  // FLATWAL_SIDE_SESSION_H
