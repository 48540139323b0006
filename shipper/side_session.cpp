// side_session.cpp — see side_session.h.
#include "side_session.h"

#include "log.h"

namespace flatwal {

Status SideSession::Exec(const std::string& sql, PgResult* result, PgSession::Format format) {
	if (!session_.connected()) {
		auto now = Backoff::Clock::now();
		if (!reconnect_.Ready(now)) return Status::Error(ErrorKind::kUnavailable, purpose_ + ": waiting to reconnect");
		Status st = session_.Connect(conninfo_, PgSession::Kind::kSql, purpose_);
		if (!st.ok()) {
			auto wait = reconnect_.Failed(now);
			Log(LogLevel::kWarning, "cannot connect, will retry",
			    {{"connection", purpose_}, {"error", st.message()}, {"retry_in_ms", std::to_string(wait.count())}});
			return st;
		}
		reconnect_.Succeeded();
	}
	Status st = session_.Exec(sql, result, format);
	// A lost connection is reopened at the next call, after a backoff.
	if (!st.ok() && !session_.connected()) reconnect_.Failed(Backoff::Clock::now());
	return st;
}

}  // namespace flatwal
