// slot_status.h — the slot as pg_replication_slots shows it (wal_status,
// safe_wal_size), for the metrics and /health: read on a connection of its
// own, at most every 10 s, never in the way of streaming.
#ifndef FLATWAL_SHIPPER_SLOT_STATUS_H
#define FLATWAL_SHIPPER_SLOT_STATUS_H

#include <chrono>
#include <string>

#include "metrics.h"
#include "side_session.h"

namespace flatwal {

class SlotStatusReader {
 public:
	SlotStatusReader(const std::string& conninfo, std::string slot)
	    : session_(conninfo, "flatwal-shipper slot status"), slot_(std::move(slot)) {}

	// Reads the slot's status again when the last read is 10 s old. A failed
	// read keeps the last status (a lost connection is logged by the session).
	void Refresh();
	const SlotStatus& status() const { return status_; }

 private:
	SideSession session_;
	std::string slot_;
	SlotStatus status_;
	std::chrono::steady_clock::time_point next_read_;
};

}  // namespace flatwal

#endif  // FLATWAL_SHIPPER_SLOT_STATUS_H
