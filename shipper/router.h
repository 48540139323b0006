// router.h — where each frame goes in Kafka. Pure C++ over the wire types.
//
//   Change    -> <prefix>.<schema>.<table>, key = the row's key columns as a
//                JSON array (then a tombstone, null value with the same key,
//                after a delete); table and key come from the TableCatalog.
//                An update that changed the key goes first under the old key
//                (header flatwal.new_key) followed by a tombstone there, then
//                under the new key (header flatwal.old_key)
//   Truncate  -> the topic of every table it names, no key
//   SnapshotMarker -> the table's topic, no key
//   Schema    -> <prefix>.flatwal.schemas (compacted), key = "<schema>.<table>:<version>";
//                the catalog learns it first
//   Message   -> <prefix>.message.<message prefix>, no key; the shipper's own
//                heartbeats (prefix flatwal.heartbeat) -> <prefix>.flatwal.heartbeat
//   Begin, Commit -> <prefix>.flatwal.tx when enabled, key = xid
// Streamed changes and truncates carry their commit time as the Kafka message time.
// Names are made safe for Kafka: characters outside [A-Za-z0-9._-] become '_'.
#ifndef FLATWAL_ROUTER_H
#define FLATWAL_ROUTER_H

#include <string>
#include <utility>
#include <vector>

#include "status.h"
#include "table_catalog.h"
#include "wire.h"

namespace flatwal {

// The logical-message prefix of the shipper's heartbeats (heartbeat.h).
constexpr char kHeartbeatMessagePrefix[] = "flatwal.heartbeat";

struct OutMessage {
	std::string topic;
	bool has_key = false;
	std::string key;
	bool tombstone = false;  // null value; otherwise the value is the frame itself
	// The Kafka message time: the source commit time (ms) of a streamed change
	// or truncate, so consumers measure lag from the commit; 0 for anything
	// else (the producer's clock).
	int64_t timestamp_ms = 0;
	std::vector<std::pair<std::string, std::string>> headers;
};

struct RouterOptions {
	std::string topic_prefix;
	bool tombstones = true;
	bool transactions_topic = false;
};

class Router {
 public:
	Router(RouterOptions options, TableCatalog* catalog) : options_(std::move(options)), catalog_(catalog) {}

	// Appends the messages for one verified frame to `out`. Fails on a change
	// the catalog cannot describe (its Schema frame never arrived).
	Status Route(const wire::Event& event, std::vector<OutMessage>* out);

	std::string TableTopic(const std::string& schema, const std::string& table) const;
	std::string SchemasTopic() const { return options_.topic_prefix + ".flatwal.schemas"; }
	std::string TransactionsTopic() const { return options_.topic_prefix + ".flatwal.tx"; }
	std::string HeartbeatTopic() const { return options_.topic_prefix + ".flatwal.heartbeat"; }

 private:
	Status RouteChange(const wire::Change& change, std::vector<OutMessage>* out);
	void RouteTruncate(const wire::Truncate& truncate, std::vector<OutMessage>* out) const;
	void RouteSchema(const wire::Schema& schema, std::vector<OutMessage>* out);
	void RouteSnapshotMarker(const wire::SnapshotMarker& marker, std::vector<OutMessage>* out) const;
	void RouteMessage(const wire::Message& message, std::vector<OutMessage>* out) const;
	void RouteTransaction(bool begin, uint32_t xid, std::vector<OutMessage>* out) const;

	RouterOptions options_;
	TableCatalog* catalog_;
	int64_t commit_time_ms_ = 0;  // of the transaction between its Begin and Commit frames
};

// Replaces characters Kafka does not allow in topic names.
std::string SafeTopicPart(const std::string& name);

}  // namespace flatwal

#endif  // FLATWAL_ROUTER_H
