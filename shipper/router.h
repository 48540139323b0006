// router.h — where each frame goes in Kafka. Pure C++ over the wire types.
//
//   Change    -> <prefix>.<schema>.<table>, key = the row's key bytes
//                (then a tombstone, null value with the same key, after a delete)
//   Truncate  -> the topic of every table it names, no key
//   SnapshotMarker -> the table's topic, no key
//   Schema    -> <prefix>.flatwal.schemas (compacted), key = "<schema>.<table>:<version>"
//   Message   -> <prefix>.message.<message prefix>, no key
//   Begin, Commit -> <prefix>.flatwal.tx when enabled, key = xid
// Names are made safe for Kafka: characters outside [A-Za-z0-9._-] become '_'.
#ifndef FLATWAL_ROUTER_H
#define FLATWAL_ROUTER_H

#include <string>
#include <utility>
#include <vector>

#include "wire.h"

namespace flatwal {

struct OutMessage {
	std::string topic;
	bool has_key = false;
	std::string key;
	bool tombstone = false;  // null value; otherwise the value is the frame itself
	std::vector<std::pair<std::string, std::string>> headers;
};

struct RouterOptions {
	std::string topic_prefix;
	bool tombstones = true;
	bool transactions_topic = false;
};

class Router {
 public:
	explicit Router(RouterOptions options) : options_(std::move(options)) {}

	// Appends the messages for one verified frame to `out`.
	void Route(const wire::Event& event, std::vector<OutMessage>* out) const;

	std::string TableTopic(const flatbuffers::String* schema, const flatbuffers::String* table) const;
	std::string SchemasTopic() const { return options_.topic_prefix + ".flatwal.schemas"; }
	std::string TransactionsTopic() const { return options_.topic_prefix + ".flatwal.tx"; }

 private:
	RouterOptions options_;
};

// Replaces characters Kafka does not allow in topic names.
std::string SafeTopicPart(const std::string& name);

// PostgreSQL's text form of an LSN, e.g. "0/16B3748".
std::string LsnText(uint64_t lsn);

}  // namespace flatwal

#endif  // FLATWAL_ROUTER_H
