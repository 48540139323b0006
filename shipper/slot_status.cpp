// slot_status.cpp — see slot_status.h.
#include "slot_status.h"

#include <cstdlib>

namespace flatwal {

void SlotStatusReader::Refresh() {
	const auto now = std::chrono::steady_clock::now();
	if (now < next_read_) return;
	next_read_ = now + std::chrono::seconds(10);
	PgResult r;
	Status st = session_.Exec("SELECT wal_status, safe_wal_size FROM pg_replication_slots WHERE slot_name = " +
	                              session_.QuoteLiteral(slot_),
	                          &r);
	if (!st.ok() || r.rows() == 0) return;
	status_.wal_status = r.text(0, 0);
	status_.safe_wal_size = r.is_null(0, 1) ? -1 : std::atoll(r.text(0, 1));
}

}  // namespace flatwal
