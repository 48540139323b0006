// heartbeat.cpp — see heartbeat.h.
#include "heartbeat.h"

#include "log.h"
#include "router.h"

namespace flatwal {

void Heartbeat::Tick(Clock::time_point now) {
	if (now < next_) return;
	next_ = now + interval_;
	// The message carries the server's time; its commit LSN and time come with the frame.
	Status st = session_.Exec(std::string("SELECT pg_logical_emit_message(false, '") + kHeartbeatMessagePrefix +
	                          "', now()::text)");
	if (!st.ok() && session_.connected())
		Log(LogLevel::kWarning, "cannot write a heartbeat, will retry",
		    {{"error", st.message()}, {"detail", st.detail()}});
}

}  // namespace flatwal
