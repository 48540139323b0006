// replication.h — a logical replication connection (libpq, replication=database):
// IDENTIFY_SYSTEM, slot checks and creation, START_REPLICATION, and the copy
// stream of XLogData and keepalive messages with standby status updates.
// Failures are Status values from PgSession: kUnavailable ones pass with time.
#ifndef FLATWAL_REPLICATION_H
#define FLATWAL_REPLICATION_H

#include <cstdint>
#include <string>

#include "pg_session.h"
#include "status.h"

namespace flatwal {

class ReplicationStream {
 public:
	ReplicationStream() = default;
	~ReplicationStream() { Close(); }
	ReplicationStream(const ReplicationStream&) = delete;
	ReplicationStream& operator=(const ReplicationStream&) = delete;

	Status Connect(const std::string& conninfo);
	// The database the connection is on and the server's timeline (which a
	// primary keeps while it runs: only a promotion, on another server, starts one).
	Status IdentifySystem(std::string* database, uint32_t* timeline);
	// Whether the slot exists and PostgreSQL invalidated it; checks that an
	// existing slot is a logical slot of `plugin` in this database.
	struct SlotState {
		bool exists = false;
		bool lost = false;  // wal_status = lost: WAL it needed is gone
	};
	Status InspectSlot(const std::string& slot, const std::string& plugin, SlotState* state);
	// Creates a logical slot of `plugin`. With export_snapshot, *snapshot names a snapshot that
	// stays usable (SET TRANSACTION SNAPSHOT) until this connection runs its
	// next command.
	Status CreateSlot(const std::string& slot, const std::string& plugin, bool export_snapshot, std::string* snapshot,
	                  uint64_t* consistent_lsn);
	Status DropSlot(const std::string& slot);
	// Where `ancestor` ended in the history of the server's `timeline`
	// (TIMELINE_HISTORY): the LSN at which the server switched away from it.
	// *found is false when `ancestor` is not in that history.
	Status TimelineEnd(uint32_t timeline, uint32_t ancestor, uint64_t* end_lsn, bool* found);
	// Streams a flatwal slot with the plugin options the shipper needs; table_set is validated by the config.
	Status StartFlatwal(const std::string& slot, int batch_bytes, const std::string& table_set);
	// Streams a pgoutput slot: protocol version 1 (no in-progress transactions),
	// the publication's tables, and logical messages (heartbeats) where the
	// server sends them (PostgreSQL 14 and later).
	Status StartPgoutput(const std::string& slot, const std::string& publication);
	// Runs one SQL statement on the replication connection (a walsender of a
	// database answers SQL too); the session settings it makes hold for the
	// output functions of the stream.
	Status Exec(const std::string& sql, PgResult* result = nullptr) { return session_.Exec(sql, result); }
	// The server's version number (PQserverVersion), 0 when not connected.
	int ServerVersion() const;

	enum class Event { kNone, kData, kKeepalive, kClosed };
	struct Message {
		uint64_t wal_start = 0;  // XLogData: start of the data; keepalive: unused
		uint64_t wal_end = 0;    // the server's current end of WAL
		bool reply_requested = false;
		const uint8_t* data = nullptr;  // XLogData payload, valid until the next Receive
		size_t size = 0;
	};
	// Waits at most timeout_ms for one message; on kClosed, *closed says why.
	Event Receive(int timeout_ms, Message* out, Status* closed);
	// Reports positions: written = received, flushed = confirmed (what the slot keeps).
	Status SendStatus(uint64_t written, uint64_t flushed, bool reply_requested);
	void Close();

 private:
	void FreeBuffer();
	PgSession session_;
	char* buffer_ = nullptr;  // last PQgetCopyData buffer
};

}  // namespace flatwal

#endif  // FLATWAL_REPLICATION_H
