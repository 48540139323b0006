// router.h — where each frame goes in Kafka. Pure C++ over the wire types.
//
//   Change    -> <prefix>.<schema>.<table>, key = the row's key columns as a
//                JSON array (then a tombstone, null value with the same key,
//                after a delete); table and key come from the TableCatalog.
//                An update that changed the key goes first under the old key
//                (header flatwal.new_key) followed by a tombstone there, then
//                under the new key (header flatwal.old_key)
//   Truncate  -> the topic of every table it names, key = {"flatwal":"truncate"};
//                a partition truncated on its own (TableRef.partition_of) goes
//                to its partitioned table's topic with op partition_truncate
//   SnapshotMarker -> the table's topic, key = {"flatwal":"snapshot"}
//   Schema    -> <prefix>.flatwal.schemas (compacted), key = "<schema>.<table>:<version>";
//                the catalog learns it first
//   Message   -> <prefix>.message.<message prefix>, key = the message prefix;
//                the shipper's own heartbeats (prefix flatwal.heartbeat) ->
//                <prefix>.flatwal.heartbeat, key = {"flatwal":"heartbeat"}
// Every record has a key, so any of these topics may be compacted (Kafka
// refuses keyless records there); control keys are JSON objects, which no
// row key (a JSON array) can equal.
//   Begin, Commit -> <prefix>.flatwal.tx when enabled, key = xid
// Streamed changes and truncates carry their commit time as the Kafka message time.
//
// With the Debezium format (debezium_routes.cpp), the same topics carry
// Debezium's events instead of frames: keys are JSON objects, a key change is
// a delete under the old key (header __debezium.newkey) and a create under the
// new one (__debezium.oldkey), logical messages go to <prefix>.message, and
// transaction metadata to <prefix>.transaction. Snapshot markers have no
// Debezium event (source.snapshot marks the rows); Schema frames are the same
// in both formats.
// Headers (HeaderSet): the flatwal.* headers a record carries besides the
// key-change ones; the same rule for every kind of record and both formats.
// Names are made safe for Kafka: characters outside [A-Za-z0-9._-] become '_'.
#ifndef FLATWAL_ROUTER_H
#define FLATWAL_ROUTER_H

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "debezium_envelope.h"
#include "kafka_contract.h"
#include "status.h"
#include "table_catalog.h"
#include "wire.h"

namespace flatwal {


struct MessageHeader {
	const char* name = "";  // a constant: header names are fixed
	std::string value;
};

struct OutMessage {
	std::string topic;
	bool has_key = false;
	std::string key;
	bool tombstone = false;  // null value
	bool rendered = false;   // the value is `value`; otherwise (and not a tombstone) the frame itself
	std::string value;
	// The Kafka message time: the source commit time (ms) of a streamed change
	// or truncate, so consumers measure lag from the commit; 0 for anything
	// else (the producer's clock).
	int64_t timestamp_ms = 0;
	// The first header_count are this message's; the rest are kept for reuse.
	std::vector<MessageHeader> headers;
	size_t header_count = 0;

	// Empties the message, keeping its strings' capacity.
	void Reset();
	// Appends a header and returns its (empty) value to fill.
	std::string& AddHeader(const char* name);
	void AddHeader(const char* name, const std::string& value) { AddHeader(name) = value; }
	// The value of a header; nullptr when the message has none by that name.
	const std::string* FindHeader(const char* name) const;
};

// The messages routed for one frame. Their slots outlive the frame and are
// overwritten by the next one, so routing allocates nothing once the strings
// have grown to the lengths they need.
class RoutedMessages {
 public:
	// A reset message at the end.
	OutMessage& Add();
	void clear() { size_ = 0; }
	size_t size() const { return size_; }
	const OutMessage& operator[](size_t i) const { return slots_[i]; }
	OutMessage& At(size_t i) { return slots_[i]; }
	// Swaps the last message with `message` and drops it from the list
	// (its slot keeps `message`'s old strings for reuse).
	void TakeLast(OutMessage* message) { std::swap(slots_[--size_], *message); }
	const OutMessage* begin() const { return slots_.data(); }
	const OutMessage* end() const { return slots_.data() + size_; }

 private:
	std::vector<OutMessage> slots_;
	size_t size_ = 0;
};

enum class OutputFormat { kFlatbuffers, kDebeziumJson };

// Which flatwal.* headers records carry (--headers; docs/format.md lists them).
// Whatever the set, a key change's records carry the other key: flatwal's
// headers in the flatbuffers format, Debezium's (__debezium.*) in Debezium's.
enum class HeaderSet {
	kFormatDefault,  // minimal for flatbuffers; none for debezium-json (what Debezium itself sends)
	kMinimal,        // the operation and the qualified table name: enough to filter without decoding
	kFull,           // minimal's operation and every position field (the eight of contract version 1)
	kNone,
};
// The set a format uses when `chosen` is kFormatDefault, else `chosen`.
inline HeaderSet EffectiveHeaders(OutputFormat format, HeaderSet chosen) {
	if (chosen != HeaderSet::kFormatDefault) return chosen;
	return format == OutputFormat::kDebeziumJson ? HeaderSet::kNone : HeaderSet::kMinimal;
}
const char* HeaderSetName(HeaderSet set);

struct RouterOptions {
	std::string topic_prefix;
	bool tombstones = true;
	bool transactions_topic = false;
	OutputFormat format = OutputFormat::kFlatbuffers;
	HeaderSet headers = HeaderSet::kFormatDefault;
	DebeziumOptions debezium;
	std::string database;  // source.db of Debezium events
	// The envelope's ts_ms clock (microseconds since the epoch); tests fix it.
	std::function<int64_t()> now_micros;
};

class Router {
 public:
	Router(RouterOptions options, TableCatalog* catalog);

	// Appends the messages for one verified frame to `out`. Fails on a change
	// the catalog cannot describe (its Schema frame never arrived).
	Status Route(const wire::Event& event, RoutedMessages* out);

	std::string TableTopic(const std::string& schema, const std::string& table) const;
	std::string SchemasTopic() const { return options_.topic_prefix + kSchemasTopicSuffix; }
	std::string TransactionsTopic() const { return options_.topic_prefix + kTransactionsTopicSuffix; }
	std::string HeartbeatTopic() const { return options_.topic_prefix + kHeartbeatTopicSuffix; }
	std::string ShippedTopic() const { return options_.topic_prefix + kShippedTopicSuffix; }
	std::string DebeziumMessageTopic() const { return options_.topic_prefix + ".message"; }
	std::string DebeziumTransactionTopic() const { return options_.topic_prefix + ".transaction"; }

 private:
	Status RouteChange(const wire::Change& change, RoutedMessages* out);
	void RouteTruncate(const wire::Truncate& truncate, RoutedMessages* out) const;
	// The full set's flatwal.commit_lsn and flatwal.timeline.
	void AddCommitHeaders(uint64_t commit_lsn, OutMessage* m) const;
	void AddTruncateHeaders(const wire::Truncate& truncate, const char* op, const std::string& schema,
	                        const std::string& table, OutMessage* m) const;
	// The headers every set but none begins with: the operation, and under
	// minimal the table's qualified name (when the record is a table's).
	// True when the set is full: the caller adds the position fields.
	bool AddLeadHeaders(const char* op, const std::string* schema, const std::string* table, OutMessage* m) const;
	void RouteSchema(const wire::Schema& schema, RoutedMessages* out);
	void RouteSnapshotMarker(const wire::SnapshotMarker& marker, RoutedMessages* out) const;
	void RouteMessage(const wire::Message& message, RoutedMessages* out) const;
	void RouteTransaction(bool begin, uint32_t xid, RoutedMessages* out) const;
	// The flatwal.* headers of a change; the key headers name keys as `keys` spells them
	// (added under every set in the flatbuffers format, only with flatwal's headers chosen in Debezium's).
	void AddChangeHeaders(const wire::ChangeHeader& h, const TableVersion& table, bool under_old_key, bool key_moved,
	                      const ChangeKeys& keys, OutMessage* m) const;

	// The Debezium format (debezium_routes.cpp).
	Status RouteDebeziumChange(const wire::Change& change, const TableVersion& table, RoutedMessages* out);
	void RouteDebeziumTruncate(const wire::Truncate& truncate, RoutedMessages* out);
	void RouteDebeziumMessage(const wire::Message& message, RoutedMessages* out);
	void FollowSnapshot(const wire::SnapshotMarker& marker, RoutedMessages* out);
	// Holds the initial snapshot's newest row of a table back until the
	// table's next row or its End marker shows whether it was the last.
	void HoldSnapshotRow(uint32_t relid, RoutedMessages* out);
	void ReleaseSnapshotRow(uint32_t relid, bool last, RoutedMessages* out);
	const char* SnapshotOf(uint32_t relid);
	void BeginDebeziumTransaction(const wire::Begin& begin, RoutedMessages* out);
	void EndDebeziumTransaction(RoutedMessages* out);
	// The context of an event of the current transaction; counts it when metadata is on.
	DebeziumEventContext EventContext(char op, uint32_t xid, uint64_t commit_lsn, uint64_t lsn, const std::string* schema,
	                                  const std::string* table);

	RouterOptions options_;
	HeaderSet headers_;  // options_.headers resolved for the format
	TableCatalog* catalog_;
	// The topic of the table version the last change belonged to: built once
	// per run of changes to one table, not per change.
	const TableVersion* topic_table_ = nullptr;
	std::string table_topic_;
	ChangeKeys keys_;  // scratch, reused from change to change
	int64_t commit_time_ms_ = 0;  // of the transaction between its Begin and Commit frames

	// Debezium format state.
	std::unique_ptr<DebeziumEncoder> debezium_;
	ChangeKeys debezium_keys_;       // scratch: the Debezium keys of a change
	int64_t now_micros_ = 0;         // read once per frame
	int64_t commit_time_micros_ = 0;
	uint32_t timeline_ = 0;  // the routed event's (Event.timeline)
	struct SnapshotRun {
		bool initial = false;  // the initial snapshot; else an on-demand (incremental) one
		bool first_sent = false;
		bool holding = false;  // `held` is a row not yet sent
		OutMessage held;
	};
	std::unordered_map<uint32_t, SnapshotRun> snapshots_;  // tables between their snapshot markers
	bool initial_snapshot_started_ = false;
	// provide.transaction.metadata: the open transaction's id and counts.
	bool in_transaction_ = false;
	std::string transaction_id_;
	uint64_t transaction_events_ = 0;
	std::vector<std::pair<std::string, uint64_t>> collection_events_;  // "schema.table" -> events, first seen first
};

// Replaces characters Kafka does not allow in topic names.
std::string SafeTopicPart(const std::string& name);

}  // namespace flatwal

#endif  // FLATWAL_ROUTER_H
