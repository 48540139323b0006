// debezium_envelope.h — the keys and values of the Debezium 3.x PostgreSQL
// connector's events, written from flatwal frames: the change envelope
// (before, after, source, transaction, op, ts_ms, ts_us, ts_ns), truncate
// and logical-message events, and the transaction topic's BEGIN/END records;
// with schemas.enable, each wrapped as {"schema": ..., "payload": ...}.
// Topics, tombstones and headers are the router's (shipper/router.h).
// Pure C++ over the wire types.
#ifndef FLATWAL_DEBEZIUM_ENVELOPE_H
#define FLATWAL_DEBEZIUM_ENVELOPE_H

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "debezium_types.h"
#include "status.h"
#include "table_catalog.h"
#include "wire.h"

namespace flatwal {

// source.version: the Debezium release whose event format this follows.
constexpr char kDebeziumFormatVersion[] = "3.0.0.Final";

// Where an event sits in the stream: what `source` and `transaction` say.
struct DebeziumEventContext {
	char op = 'c';                  // c, u, d, r, t, m
	uint32_t xid = 0;
	uint64_t commit_lsn = 0;
	uint64_t lsn = 0;
	uint32_t timeline = 0;           // source.timeline, flatwal's addition: the source's PostgreSQL timeline
	int64_t commit_time_micros = 0;  // source.ts_*; 0: not known (snapshot rows use now)
	int64_t now_micros = 0;          // ts_* of the envelope: when the event was written
	const char* snapshot = "false";  // source.snapshot
	// provide.transaction.metadata: the event's place in its transaction.
	bool in_transaction = false;
	std::string_view transaction_id;  // "<txId>:<commit lsn>", kept alive by the caller
	uint64_t total_order = 0;
	uint64_t data_collection_order = 0;
};

// One table version as the Debezium format lays it out, built once.
struct DebeziumTable {
	std::string schema, table;
	std::vector<FieldMapping> fields;   // per column
	std::vector<std::string> field_keys;  // per column: its name as a JSON object key, "\"id\":"
	std::vector<uint16_t> key_columns;
	std::string key_prefix;    // schemas.enable: {"schema":<key schema>,"payload": — else empty
	std::string value_prefix;  // likewise for the envelope
};

class DebeziumEncoder {
 public:
	// `server_name`: the topic prefix (source.name); `database`: source.db.
	DebeziumEncoder(DebeziumOptions options, std::string server_name, std::string database)
	    : options_(std::move(options)), server_name_(std::move(server_name)), database_(std::move(database)) {}

	const DebeziumOptions& options() const { return options_; }

	// The layout of a table version, built on first use. Schema frames may
	// redefine a version in place: Forget() drops every layout built.
	const DebeziumTable& Table(const TableVersion& version);
	void Forget() { tables_.clear(); }

	// The key of a row: {"id":42} (with schemas, wrapped). Fails when the
	// row lacks a key column or holds a value no mapping renders.
	Status Key(const wire::Row* row, const DebeziumTable& table, std::string* out) const;
	// The envelope of a change: before/after as the context's op says (a
	// 'd' writes before only, a 'c' or 'r' after only, a 'u' both).
	Status ChangeValue(const wire::Change& change, const DebeziumTable& table, const DebeziumEventContext& context,
	                   std::string* out) const;
	void TruncateValue(const std::string& schema, const std::string& table, const DebeziumEventContext& context,
	                   std::string* out) const;
	// A logical message: key {"prefix": ...}, value op 'm' with message {prefix, content (bytes)}.
	void MessageKey(const wire::Message& message, std::string* out) const;
	void MessageValue(const wire::Message& message, const DebeziumEventContext& context, std::string* out) const;

	// The transaction topic's records. `collections`: "schema.table" -> events, for END.
	void TransactionKey(const std::string& id, std::string* out) const;
	void TransactionValue(bool begin, const std::string& id, int64_t time_micros, uint64_t event_count,
	                      const std::vector<std::pair<std::string, uint64_t>>& collections, std::string* out) const;

 private:
	void BuildSchemas(const TableVersion& version, DebeziumTable* table) const;
	Status AppendRow(const wire::Row* row, const DebeziumTable& table, std::string* out) const;
	void AppendSource(const std::string& schema, const std::string& table, const DebeziumEventContext& context,
	                  std::string* out) const;
	void AppendTail(const DebeziumEventContext& context, std::string* out) const;
	// Empties `out` and, with schemas.enable, opens the {"schema": …, "payload": wrapper.
	void StartWrapped(const char* schema, std::string* out) const;
	// Closes what StartWrapped opened.
	void EndWrapped(std::string* out) const;

	DebeziumOptions options_;
	std::string server_name_, database_;
	std::map<const TableVersion*, DebeziumTable> tables_;
};

}  // namespace flatwal

#endif  // FLATWAL_DEBEZIUM_ENVELOPE_H
