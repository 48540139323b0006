// replication.cpp — see replication.h. Message layouts follow PostgreSQL's
// streaming replication protocol ("Logical Streaming Replication Protocol").
#include "replication.h"

#include <sys/select.h>
#include <sys/time.h>

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "lsn.h"

namespace flatwal {
namespace {

// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
constexpr int64_t kPostgresEpochMicros = 946684800LL * 1000000LL;

uint64_t ReadU64(const uint8_t* p) {
	uint64_t v = 0;
	for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
	return v;
}

void WriteU64(uint8_t* p, uint64_t v) {
	for (int i = 7; i >= 0; --i) {
		p[i] = static_cast<uint8_t>(v);
		v >>= 8;
	}
}

int64_t NowPostgresMicros() {
	timeval tv;
	gettimeofday(&tv, nullptr);
	return static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec - kPostgresEpochMicros;
}

}  // namespace

Status ReplicationStream::Connect(const std::string& conninfo) {
	Close();
	return session_.Connect(conninfo, PgSession::Kind::kReplication, "flatwal-shipper");
}

void ReplicationStream::FreeBuffer() {
	if (buffer_ != nullptr) PQfreemem(buffer_);
	buffer_ = nullptr;
}

void ReplicationStream::Close() {
	FreeBuffer();
	session_.Close();
}

Status ReplicationStream::IdentifySystem(std::string* database, uint32_t* timeline) {
	PgResult r;
	Status st = session_.Exec("IDENTIFY_SYSTEM", &r);
	if (!st.ok()) return st;
	if (r.rows() != 1 || r.columns() < 4 || r.is_null(0, 3))
		return Status::Error(ErrorKind::kRefused, "the connection is not a logical replication connection to one database",
		                     "", "Name a database in the conninfo (dbname=...).");
	*database = r.text(0, 3);
	*timeline = static_cast<uint32_t>(std::strtoul(r.text(0, 1), nullptr, 10));
	return Status::Ok();
}

Status ReplicationStream::InspectSlot(const std::string& slot, const std::string& plugin_wanted, SlotState* state) {
	PgResult r;
	Status st = session_.Exec(
	    "SELECT plugin, database, coalesce(wal_status, ''), slot_type FROM pg_catalog.pg_replication_slots "
	    "WHERE slot_name = " + session_.QuoteLiteral(slot),
	    &r);
	if (!st.ok()) return st;
	*state = SlotState{};
	state->exists = r.rows() > 0;
	if (!state->exists) return Status::Ok();
	std::string plugin = r.text(0, 0), database = r.text(0, 1), wal_status = r.text(0, 2), type = r.text(0, 3);
	if (type != "logical" || plugin != plugin_wanted)
		return Status::Error(ErrorKind::kRefused,
		                     "replication slot \"" + slot + "\" is a " + type + " slot" +
		                         (plugin.empty() ? "" : " for plugin \"" + plugin + "\"") + ", not a " + plugin_wanted +
		                         " slot",
		                     "", "Choose another --slot name, or drop it with SELECT pg_drop_replication_slot('" + slot + "').");
	std::string current;
	uint32_t timeline = 0;
	st = IdentifySystem(&current, &timeline);
	if (!st.ok()) return st;
	if (database != current)
		return Status::Error(ErrorKind::kRefused,
		                     "replication slot \"" + slot + "\" belongs to database \"" + database + "\", not \"" +
		                         current + "\"",
		                     "", "Connect to that database or choose another --slot.");
	state->lost = wal_status == "lost";
	return Status::Ok();
}

Status ReplicationStream::CreateSlot(const std::string& slot, const std::string& plugin, bool export_snapshot,
                                     std::string* snapshot, uint64_t* consistent_lsn) {
	PgResult r;
	Status st = session_.Exec("CREATE_REPLICATION_SLOT " + session_.QuoteIdentifier(slot) + " LOGICAL " +
	                              session_.QuoteIdentifier(plugin) + " " +
	                              (export_snapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT"),
	                          &r);
	if (!st.ok())
		return Status::Error(st.kind(), st.message() + " (creating slot \"" + slot + "\")", st.detail(), st.hint());
	if (r.rows() != 1 || r.columns() < 3 || !ParseLsn(r.text(0, 1), consistent_lsn))
		return Status::Error(ErrorKind::kInvalidData, "CREATE_REPLICATION_SLOT answered without a consistent point");
	*snapshot = r.is_null(0, 2) ? "" : r.text(0, 2);
	return Status::Ok();
}

Status ReplicationStream::TimelineEnd(uint32_t timeline, uint32_t ancestor, uint64_t* end_lsn, bool* found) {
	*found = false;
	PgResult r;
	Status st = session_.Exec("TIMELINE_HISTORY " + std::to_string(timeline), &r);
	if (!st.ok()) return st;
	if (r.rows() != 1 || r.columns() < 2)
		return Status::Error(ErrorKind::kInvalidData, "TIMELINE_HISTORY answered without a history file");
	// One line per ancestor: "<timeline>\t<switch point>\t<reason>"; comments start with #.
	const std::string content(r.text(0, 1), r.length(0, 1));
	size_t start = 0;
	while (start < content.size()) {
		size_t end = content.find('\n', start);
		if (end == std::string::npos) end = content.size();
		std::istringstream line(content.substr(start, end - start));
		std::string tli, switch_point;
		if (line >> tli >> switch_point && tli == std::to_string(ancestor) && ParseLsn(switch_point, end_lsn)) *found = true;
		start = end + 1;
	}
	return Status::Ok();
}

Status ReplicationStream::DropSlot(const std::string& slot) {
	return session_.Exec("DROP_REPLICATION_SLOT " + session_.QuoteIdentifier(slot) + " WAIT");
}

int ReplicationStream::ServerVersion() const {
	return session_.conn() != nullptr ? PQserverVersion(session_.conn()) : 0;
}

Status ReplicationStream::StartPgoutput(const std::string& slot, const std::string& publication) {
	// The newest protocol version the server speaks (4 from PostgreSQL 16, 3
	// from 15, 2 from 14), without the options that would send transactions
	// before their commit (streaming, two_phase: docs/pgoutput.md); without
	// them every version writes the messages of version 1.
	const int server = ServerVersion();
	const int proto = server >= 160000 ? 4 : server >= 150000 ? 3 : server >= 140000 ? 2 : 1;
	// publication_names is a list of identifiers: the name is quoted as one.
	std::string options = "proto_version '" + std::to_string(proto) + "', publication_names " +
	                      session_.QuoteLiteral(session_.QuoteIdentifier(publication));
	if (server >= 140000) options += ", messages 'true'";
	return session_.Exec("START_REPLICATION SLOT " + session_.QuoteIdentifier(slot) + " LOGICAL 0/0 (" + options + ")");
}

Status ReplicationStream::StartFlatwal(const std::string& slot, int batch_bytes, const std::string& table_set) {
	return session_.Exec("START_REPLICATION SLOT " + session_.QuoteIdentifier(slot) + " LOGICAL 0/0 (\"batch_bytes\" '" +
	                     std::to_string(batch_bytes) + "', \"include_transaction\" 'true', \"table_set\" " +
	                     session_.QuoteLiteral(table_set) + ")");
}

ReplicationStream::Event ReplicationStream::Receive(int timeout_ms, Message* out, Status* closed) {
	FreeBuffer();
	PGconn* conn = session_.conn();
	int len = PQgetCopyData(conn, &buffer_, 1);
	if (len == 0) {
		int sock = PQsocket(conn);
		fd_set readable;
		FD_ZERO(&readable);
		FD_SET(sock, &readable);
		timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
		int ready = select(sock + 1, &readable, nullptr, nullptr, &tv);
		if (ready <= 0) return Event::kNone;  // timeout, or a signal: the caller looks at its flags
		if (!PQconsumeInput(conn)) {
			*closed = session_.ConnectionError("reading the replication stream");
			return Event::kClosed;
		}
		len = PQgetCopyData(conn, &buffer_, 1);
		if (len == 0) return Event::kNone;
	}
	if (len < 0) {
		// The copy ended: the server's result says why (an error, or a clean end of the stream).
		PgResult result;
		PGresult* r = PQgetResult(conn);
		result.Reset(r);
		if (len == -1 && PQresultStatus(r) == PGRES_COMMAND_OK)
			*closed = Status::Error(ErrorKind::kUnavailable, "the server ended the replication stream");
		else
			*closed = session_.ResultError("replication stream ended", r);
		return Event::kClosed;
	}
	const uint8_t* p = reinterpret_cast<const uint8_t*>(buffer_);
	if (p[0] == 'w' && len >= 25) {
		out->wal_start = ReadU64(p + 1);
		out->wal_end = ReadU64(p + 9);
		out->data = p + 25;
		out->size = static_cast<size_t>(len) - 25;
		out->reply_requested = false;
		return Event::kData;
	}
	if (p[0] == 'k' && len >= 18) {
		out->wal_end = ReadU64(p + 1);
		out->reply_requested = p[17] != 0;
		out->data = nullptr;
		out->size = 0;
		return Event::kKeepalive;
	}
	*closed = Status::Error(ErrorKind::kUnavailable,
	                        "unexpected replication message type '" + std::string(1, static_cast<char>(p[0])) + "'");
	return Event::kClosed;
}

Status ReplicationStream::SendStatus(uint64_t written, uint64_t flushed, bool reply_requested) {
	uint8_t msg[34];
	msg[0] = 'r';
	WriteU64(msg + 1, written);
	WriteU64(msg + 9, flushed);
	WriteU64(msg + 17, flushed);  // applied: nothing is applied beyond what Kafka holds
	WriteU64(msg + 25, static_cast<uint64_t>(NowPostgresMicros()));
	msg[33] = reply_requested ? 1 : 0;
	PGconn* conn = session_.conn();
	if (conn == nullptr || PQputCopyData(conn, reinterpret_cast<const char*>(msg), sizeof msg) <= 0 || PQflush(conn) < 0)
		return session_.ConnectionError("sending a status update");
	return Status::Ok();
}

}  // namespace flatwal
