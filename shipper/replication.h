// replication.h — a logical replication connection (libpq, replication=database):
// IDENTIFY_SYSTEM, slot checks and creation, START_REPLICATION, and the copy
// stream of XLogData and keepalive messages with standby status updates.
#ifndef FLATWAL_REPLICATION_H
#define FLATWAL_REPLICATION_H

#include <libpq-fe.h>

#include <cstdint>
#include <string>

#include "status.h"

namespace flatwal {

// A failure of the database side, and whether trying again can help.
struct PgFailure {
	bool retriable = true;
	std::string message;
};

class ReplicationStream {
 public:
	ReplicationStream() = default;
	~ReplicationStream() { Close(); }
	ReplicationStream(const ReplicationStream&) = delete;
	ReplicationStream& operator=(const ReplicationStream&) = delete;

	bool Connect(const std::string& conninfo, PgFailure* failure);
	// The database the connection is on.
	bool CurrentDatabase(std::string* name, PgFailure* failure);
	// Whether the slot exists; if it does, checks that it is a flatwal slot of
	// this database that PostgreSQL has not invalidated.
	bool InspectSlot(const std::string& slot, bool* exists, PgFailure* failure);
	// Creates the slot. With export_snapshot, *snapshot names a snapshot that
	// stays usable (SET TRANSACTION SNAPSHOT) until this connection runs its
	// next command.
	bool CreateSlot(const std::string& slot, bool export_snapshot, std::string* snapshot, uint64_t* consistent_lsn,
	                PgFailure* failure);
	bool DropSlot(const std::string& slot, PgFailure* failure);
	bool Start(const std::string& slot, int batch_bytes, PgFailure* failure);

	enum class Event { kNone, kData, kKeepalive, kClosed };
	struct Message {
		uint64_t wal_start = 0;  // XLogData: start of the data; keepalive: unused
		uint64_t wal_end = 0;    // the server's current end of WAL
		bool reply_requested = false;
		const uint8_t* data = nullptr;  // XLogData payload, valid until the next Receive
		size_t size = 0;
	};
	// Waits at most timeout_ms for one message.
	Event Receive(int timeout_ms, Message* out, PgFailure* failure);
	// Reports positions: written = received, flushed = confirmed (what the slot keeps).
	bool SendStatus(uint64_t written, uint64_t flushed, bool reply_requested, PgFailure* failure);
	void Close();

 private:
	bool Query(const std::string& sql, int expected_status, PGresult** result, PgFailure* failure);
	PgFailure FailureFrom(const char* what, PGresult* result);
	PGconn* conn_ = nullptr;
	char* buffer_ = nullptr;  // last PQgetCopyData buffer
};

}  // namespace flatwal

#endif  // FLATWAL_REPLICATION_H
