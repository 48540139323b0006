// table_catalog.h — what a reader of the stream (the shipper, flatwal-sink)
// knows of each captured table, learned
// from the Schema frames in the stream.
//
// A Change names its table only by relid and schema version (see
// flatwal.fbs); the plugin sends the Schema frame for a (relid, version)
// before the first change that uses it in a decoding session, and the
// snapshot paths send one before their rows. The catalog keeps every version
// seen, so a change still finds its own version after a newer one arrived.
// Pure C++ over the wire types.
#ifndef FLATWAL_TABLE_CATALOG_H
#define FLATWAL_TABLE_CATALOG_H

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "status.h"
#include "wire.h"

namespace flatwal {

// One column as the Schema frame describes it: what a renderer that maps
// PostgreSQL types (the Debezium format) needs besides the value's kind.
struct SchemaColumn {
	std::string name;
	std::string type_name;   // format_type() text, e.g. "numeric(12,2)"
	uint32_t type_oid = 0;
	uint32_t base_type_oid = 0;  // after resolving domains
	int32_t typmod = -1;
	bool not_null = false;
	bool key = false;
	int16_t attnum = 0;  // the source's pg_attribute.attnum, through renames; 0: not known
	// The name of this attnum in the table's newest version the catalog
	// knows: what a target that follows renames calls the column, also for
	// an older version's changes that arrive after the rename. A column
	// dropped since keeps its last name, or DroppedColumnName() when another
	// column (live, or dropped too) was last called that: each attnum of a
	// table has a latest_name of its own.
	std::string latest_name;
	// ADD COLUMN … DEFAULT: the value rows written before hold (as its type's
	// text), which no change carries; has_missing false: they hold NULL.
	bool has_missing = false;
	std::string missing_text;
};

struct TableVersion {
	uint32_t relid = 0;
	uint32_t version = 0;  // 0: a table the extension does not number (the latest frame describes it)
	std::string schema;
	std::string table;
	std::vector<uint16_t> key_columns;  // positions in the row, key order; empty: no key
	std::vector<SchemaColumn> columns;     // in row order
	wire::ReplicaIdentity replica_identity = wire::ReplicaIdentity::Default;
};

// The name a dropped column is written under when another column took its
// name (ALTER TABLE … DROP COLUMN c, then RENAME COLUMN x TO c), at most
// kMaxIdentifierBytes long.
inline constexpr size_t kMaxIdentifierBytes = 63;  // PostgreSQL's NAMEDATALEN - 1
std::string DroppedColumnName(const std::string& name, int16_t attnum);

// A change's Kafka key: its key columns' values as a JSON array, e.g. [42].
struct ChangeKeys {
	bool has_key = false;
	std::string key;
	std::string old_key;  // set only when an update changed the key
};

class TableCatalog {
 public:
	// A key position past the columns (a corrupt frame) leaves the table
	// without a key: its changes are refused, never keyed by another column.
	void Learn(const wire::Schema& schema);
	// nullptr when no Schema frame described this version.
	const TableVersion* Find(uint32_t relid, uint32_t version) const;
	// The table of a change, or an error when its Schema frame never arrived.
	Status Describe(const wire::Change& change, const TableVersion** table) const;
	// The names other than its latest the column numbered `attnum` had in
	// versions of `relid`, newest first, each once: what a target made from
	// an earlier version may still call it after a RENAME COLUMN. Empty for
	// attnum 0 (a writer that did not know it) or a column never renamed.
	std::vector<std::string> EarlierNames(uint32_t relid, int16_t attnum) const;
	// The column numbered `attnum` in each version of `relid` after
	// `version` that has it, oldest first: what a target that follows a
	// later version may already hold. Empty for attnum 0.
	std::vector<const SchemaColumn*> LaterColumns(uint32_t relid, uint32_t version, int16_t attnum) const;

 private:
	void NameByNewest(uint32_t relid);

	std::map<std::pair<uint32_t, uint32_t>, TableVersion> versions_;
};

// Renders the key of a change to `table` (what Describe() found): from after,
// or from before for a delete.
Status ChangeKeysOf(const wire::Change& change, const TableVersion& table, ChangeKeys* keys);

}  // namespace flatwal

#endif  // FLATWAL_TABLE_CATALOG_H
