// schema_registry.h — the tables flatwal-sink writes, by (relid, schema
// version), read from the compacted schemas topic (<prefix>.flatwal.schemas).
//
// A change names only its relid and version; the shipper produces a version's
// Schema frame before the first change that uses it, but on another topic, so
// the sink may meet a change before its schema: it then reads the schemas
// topic up to its current end (CatchUp) and asks again. What it learns is
// kept in the TableCatalog every reader of the stream uses.
#ifndef FLATWAL_SINK_SCHEMA_REGISTRY_H
#define FLATWAL_SINK_SCHEMA_REGISTRY_H

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kafka_client.h"
#include "status.h"
#include "table_catalog.h"
#include "wire.h"

namespace flatwal {

class SchemaRegistry {
 public:
	SchemaRegistry() = default;
	~SchemaRegistry();
	SchemaRegistry(const SchemaRegistry&) = delete;
	SchemaRegistry& operator=(const SchemaRegistry&) = delete;

	// `settings` carries bootstrap.servers and any -X settings.
	Status Open(const KafkaSettings& settings, std::string topic);
	// Reads the schemas topic up to its end as of now; kUnavailable when the
	// broker did not answer within `timeout`.
	Status CatchUp(std::chrono::milliseconds timeout);
	// nullptr when no Schema frame for it has been read.
	const TableVersion* Find(uint32_t relid, uint32_t version) const { return catalog_.Find(relid, version); }
	const TableCatalog& catalog() const { return catalog_; }
	// Learns a Schema frame (also used by the unit tests).
	void Learn(const wire::Schema& schema) { catalog_.Learn(schema); }

 private:
	Status Assign(int partitions);
	rd_kafka_t* consumer_ = nullptr;
	std::string topic_;
	std::vector<int64_t> next_offsets_;  // per partition: the next offset to read
	TableCatalog catalog_;
};

}  // namespace flatwal

#endif  // FLATWAL_SINK_SCHEMA_REGISTRY_H
