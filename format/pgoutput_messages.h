// pgoutput_messages.h — reading the messages of PostgreSQL's built-in
// `pgoutput` plugin ("Logical Replication Message Formats" in PostgreSQL's
// protocol documentation): one XLogData payload is one message.
//
// The bytes come from the network: every length and count is checked against
// what is left, and a message that runs short, has an unknown type or a
// malformed field is refused with kInvalidData (never read past its end).
// Names and values are views into the payload: valid while it is.
// Pure C++: fuzzed (test/fuzz/fuzz_pgoutput.cpp) and unit-tested without a server.
#ifndef FLATWAL_PGOUTPUT_MESSAGES_H
#define FLATWAL_PGOUTPUT_MESSAGES_H

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "status.h"

namespace flatwal {
namespace pgoutput {

// Message types (the first byte). Stream and two-phase messages are read so
// that they are named in errors; the shipper does not ask for either.
enum class Type : char {
	kBegin = 'B',
	kCommit = 'C',
	kOrigin = 'O',
	kRelation = 'R',
	kType = 'Y',
	kInsert = 'I',
	kUpdate = 'U',
	kDelete = 'D',
	kTruncate = 'T',
	kMessage = 'M',
	kStreamStart = 'S',
	kStreamStop = 'E',
	kStreamCommit = 'c',
	kStreamAbort = 'A',
	kBeginPrepare = 'b',
	kPrepare = 'P',
	kCommitPrepared = 'K',
	kRollbackPrepared = 'r',
	kStreamPrepare = 'p',
};

struct Begin {
	uint64_t final_lsn = 0;        // the commit record's LSN
	int64_t commit_time_pg = 0;    // microseconds since 2000-01-01
	uint32_t xid = 0;
};

struct Commit {
	uint64_t commit_lsn = 0;
	uint64_t end_lsn = 0;
	int64_t commit_time_pg = 0;
};

struct RelationColumn {
	bool key = false;              // part of the replica identity
	std::string_view name;
	uint32_t type_oid = 0;         // declared type (a domain's own OID)
	int32_t typmod = -1;
};

struct Relation {
	uint32_t relid = 0;
	std::string_view schema;       // empty: pg_catalog
	std::string_view table;
	char replica_identity = 'd';   // d default, n nothing, f full, i index
	std::vector<RelationColumn> columns;
};

struct TypeInfo {
	uint32_t oid = 0;
	std::string_view schema;
	std::string_view name;
};

// One column of a tuple: n null, u unchanged TOAST, t text, b binary.
struct Value {
	char format = 'n';
	std::string_view data;         // t and b only
};

// Insert ('I'), Update ('U'), Delete ('D'). `old_kind`: 0 none, 'K' the
// replica identity's columns (others null), 'O' the whole old row.
struct Change {
	Type type = Type::kInsert;
	uint32_t relid = 0;
	char old_kind = 0;
	std::vector<Value> old_values;
	std::vector<Value> new_values;
};

struct Truncate {
	bool cascade = false;
	bool restart_identity = false;
	std::vector<uint32_t> relids;
};

struct Message {
	bool transactional = false;
	uint64_t lsn = 0;
	std::string_view prefix;
	std::string_view content;
};

// Reads one message. `streaming`: inside a streamed transaction (protocol 2+),
// where data messages carry the transaction's xid first (read and dropped).
// Only the member of the message's type is filled; vectors are reused.
struct Decoded {
	Type type = Type::kBegin;
	Begin begin;
	Commit commit;
	Relation relation;
	TypeInfo type_info;
	Change change;
	Truncate truncate;
	Message message;
};
Status Decode(const uint8_t* data, size_t size, bool streaming, Decoded* out);

// The name of a message type for errors ("Insert", or the byte's value).
const char* TypeName(Type type);

}  // namespace pgoutput
}  // namespace flatwal

#endif  // FLATWAL_PGOUTPUT_MESSAGES_H
