// shipped_record.h — how far a slot's changes were shipped, kept in Kafka so
// that it outlives the shipper and the server it read from.
//
// After a failover the new primary may hold a slot of the same name (a
// PostgreSQL 17 failover slot, one made by hand) that is behind what the
// consumers already hold: changes of the old primary past the point where
// the new one left its timeline (ghosts). A running shipper knows what it
// shipped; a shipper started after the failover reads it here. The record
// goes to <prefix>.flatwal.shipped, keyed by the slot's name (compaction
// keeps the last per slot), as JSON:
//   {"slot":"NAME","timeline":3,"end_lsn":"0/5A3F2B8"}
// It is written when a slot is created and then at most once a second while
// commits are shipped, and on a clean stop: a shipper killed within a second
// of shipping its last changes, with a failover before it restarts, may not
// see them (docs/runbook.md).
#ifndef FLATWAL_SHIPPED_RECORD_H
#define FLATWAL_SHIPPED_RECORD_H

#include <cstdint>
#include <string>
#include <string_view>

#include "config.h"
#include "kafka_client.h"
#include "status.h"

namespace flatwal {

// The end of the last transaction handed to Kafka, and its timeline.
struct ShippedEnd {
	uint32_t timeline = 0;  // 0: nothing known
	uint64_t end_lsn = 0;
	bool operator==(const ShippedEnd& o) const { return timeline == o.timeline && end_lsn == o.end_lsn; }
	bool operator!=(const ShippedEnd& o) const { return !(*this == o); }
};

std::string ShippedRecordValue(const std::string& slot, const ShippedEnd& end);
// False when `value` is not a record of `slot` as ShippedRecordValue writes it.
bool ParseShippedRecord(std::string_view value, const std::string& slot, ShippedEnd* end);

// Reads the last record of `slot` from `topic`; `found` false when the topic
// or the record does not exist. Bounded: gives up with kUnavailable after
// about 30 s without an answer from the brokers.
Status ReadShippedRecord(const ShipperConfig& config, const std::string& topic, const std::string& slot,
                         ShippedEnd* end, bool* found);

// The shipper's Kafka settings a reader of its own topics needs: where the
// brokers are and how to reach them.
KafkaSettings ReaderSettings(const ShipperConfig& config);

}  // namespace flatwal

#endif  // FLATWAL_SHIPPED_RECORD_H
