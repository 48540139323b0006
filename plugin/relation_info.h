// relation_info.h — what the encoder needs to know about one table, computed
// once per relation version and cached by relid until an invalidation.
#ifndef FLATWAL_RELATION_INFO_H
#define FLATWAL_RELATION_INFO_H

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "options.h"
#include "pg.h"

namespace flatwal {

// How a column's value is put on the wire; chosen once from the type.
enum class ValueKind : uint8_t {
	kBool, kInt2, kInt4, kInt8, kOid, kFloat4, kFloat8,
	kText,         // text, varchar, bpchar: the varlena bytes as they are
	kName,
	kBytea, kNumeric, kDate, kTime, kTimeTz, kTimestamp, kTimestampTz, kInterval,
	kUuid, kJson, kJsonb,
	kEnum,         // label via the output function, sent as Text
	kArray,
	kTextOutput,   // anything else: the type's output function
};

struct ScalarCodec {
	ValueKind kind;
	Oid type_oid;       // after resolving domains
	int16 typlen;
	bool typbyval;
	char typalign;
	FmgrInfo output;    // set for kEnum, kTextOutput, and kNumeric, kJsonb (fallback of stored_text)
};

struct ColumnCodec {
	AttrNumber attnum;  // 1-based position in the tuple descriptor
	std::string name;
	std::string type_name;
	Oid declared_type;
	int32 typmod;
	bool not_null;
	bool key;
	bool identity;        // carried by a key-only old image (replica identity index)
	// flatwal.set_columns(mask => …): sent as the hex HMAC-SHA256 of the
	// value's text under the database's mask key, declared as text.
	bool masked = false;
	// ALTER TABLE … ADD COLUMN … DEFAULT c: the value rows written before hold
	// without any WAL saying so (attmissingval), as its type's text.
	bool has_missing = false;
	std::string missing_text;
	ScalarCodec value;
	ScalarCodec element;  // for kArray: how each element is encoded
};

struct RelInfo {
	bool valid = false;
	bool built_once = false;        // built before in this session (so `captured` and the names were known)
	bool captured = false;          // emitted under the current options
	std::string previous_name;      // schema.table before the latest rebuild
	// A partition of a captured partitioned table: its changes are published
	// as that ancestor's (the topmost captured one), like pgoutput's
	// publish_via_partition_root. InvalidOid otherwise.
	Oid publish_as = InvalidOid;
	std::vector<Oid> ancestors;     // partitioned tables above this partition, nearest first
	// For a partition: how its rows become rows of `publish_as` (NULL when
	// the layouts match), built at its first change after each rebuild.
	bool to_ancestor_built = false;
	TupleConversionMap* to_ancestor = nullptr;
	uint32_t version = 0;           // from flatwal.schema_versions; 0 = unregistered
	uint64_t shape = 0;             // fingerprint of the columns, to notice unversioned changes
	std::string schema_name;
	std::string table_name;
	char replica_identity = 'd';    // pg_class.relreplident
	std::vector<ColumnCodec> columns;       // dropped and excluded columns left out
	// flatwal.set_columns(exclude => …): named in the Schema frame, never encoded.
	std::vector<std::string> excluded_columns;
	std::vector<std::string> masked_columns;  // flatwal.set_columns(mask => …), as registered
	std::string mask_key;                   // flatwal.mask_key, when a column is masked
	std::vector<uint16_t> key_columns;      // message key, indexes into columns, key order
	std::vector<uint16_t> identity_columns; // what a key-only old image carries

	// What the session already announced with a Schema frame.
	bool schema_sent = false;
	uint32_t sent_version = 0;
	uint64_t sent_shape = 0;
};

// Cache of RelInfo by relid; entries are rebuilt lazily after invalidation.
class RelationCache {
 public:
	explicit RelationCache(MemoryContext context) : context_(context) {}

	// Returns the entry for `rel` as of the current (historic) snapshot.
	RelInfo& Get(Relation rel, const Options& options);

	// Also invalidates the partitions below `relid`: whether they are captured
	// depends on its registration.
	void Invalidate(Oid relid);
	void InvalidateAll();

	// The conversion of `partition`'s rows to its publishing ancestor's row
	// type (NULL: none needed); kept with the entry until it is rebuilt.
	TupleConversionMap* AncestorMap(Relation partition, Relation ancestor, RelInfo* info);

 private:
	void Build(Relation rel, const Options& options, RelInfo* info);
	// Build's parts: the columns sent (exclusions, masks, codecs); the replica
	// identity's and the key's columns; the schema version, whether the table
	// is captured and the ancestor that publishes it.
	void BuildColumns(Relation rel, RelInfo* info);
	void BuildKeys(Relation rel, RelInfo* info);
	void BuildCapture(Relation rel, const Options& options, RelInfo* info);
	MemoryContext context_;  // owns FmgrInfo state of the codecs and the conversion maps
	std::unordered_map<Oid, RelInfo> entries_;
	// Partitioned table -> partitions seen below it, so invalidating a
	// partitioned table reaches its partitions without a scan of every entry.
	// May name partitions since detached: invalidating those is harmless.
	std::unordered_map<Oid, std::vector<Oid>> partitions_below_;
};

// Picks the codec for a type (domains resolved by the caller).
void ChooseScalarCodec(Oid base_type, MemoryContext context, ScalarCodec* out);

// Registration of a table in the extension catalog as of the current snapshot.
struct Registration {
	bool registered = false;
	bool enabled = false;
	bool in_table_set = false;  // its table_set is the one asked for
	uint32_t version = 0;
};
void LookupRegistration(Oid relid, const char* table_set, Registration* out);

// The columns flatwal.set_columns excludes and masks, by name, as of the current snapshot.
void LookupColumnPolicy(Oid relid, std::vector<std::string>* excluded, std::vector<std::string>* masked);

// The database's key for masked columns (flatwal.mask_key) as of the current snapshot.
void LookupMaskKey(std::string* key);

}  // namespace flatwal

#endif  // FLATWAL_RELATION_INFO_H
