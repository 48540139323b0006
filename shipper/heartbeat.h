// heartbeat.h — optional heartbeats (--heartbeat-interval): a
// non-transactional logical message written on a side connection at a fixed
// interval. It travels the whole pipeline (WAL, plugin, shipper, Kafka topic
// PREFIX.flatwal.heartbeat), so on a database whose captured tables are quiet
// the slot still moves forward, and consumers can tell the pipeline is alive.
// A failed heartbeat is logged and retried with backoff; it never stops streaming.
#ifndef FLATWAL_HEARTBEAT_H
#define FLATWAL_HEARTBEAT_H

#include <chrono>
#include <string>

#include "side_session.h"

namespace flatwal {

class Heartbeat {
 public:
	using Clock = std::chrono::steady_clock;

	Heartbeat(std::string conninfo, int interval_ms)
	    : session_(std::move(conninfo), "flatwal-shipper heartbeat"), interval_(interval_ms), next_(Clock::now()) {}

	// Writes a heartbeat if one is due at `now`.
	void Tick(Clock::time_point now);

 private:
	SideSession session_;
	std::chrono::milliseconds interval_;
	Clock::time_point next_;
};

}  // namespace flatwal

#endif  // FLATWAL_HEARTBEAT_H
