// heartbeat.cpp — see heartbeat.h.
#include "heartbeat.h"

#include "log.h"
#include "router.h"

namespace flatwal {

void Heartbeat::Tick(Clock::time_point now) {
	if (now < next_ || !reconnect_.Ready(now)) return;
	next_ = now + interval_;
	Status st = session_.connected()
	                ? Status::Ok()
	                : session_.Connect(conninfo_, PgSession::Kind::kSql, "flatwal-shipper heartbeat");
	// The message carries the server's time; its commit LSN and time come with the frame.
	if (st.ok())
		st = session_.Exec(std::string("SELECT pg_logical_emit_message(false, '") + kHeartbeatMessagePrefix +
		                   "', now()::text)");
	if (st.ok()) {
		reconnect_.Succeeded();
		++written_;
		return;
	}
	auto wait = reconnect_.Failed(now);
	Log(LogLevel::kWarning, "cannot write a heartbeat, will retry",
	    {{"error", st.message()}, {"detail", st.detail()}, {"retry_in_ms", std::to_string(wait.count())}});
	if (!session_.connected()) session_.Close();
}

}  // namespace flatwal
