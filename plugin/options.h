// options.h — the plugin's options, parsed in one place.
// Pure C++ so that every rule is unit-tested without a server.
#ifndef FLATWAL_OPTIONS_H
#define FLATWAL_OPTIONS_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "status.h"

namespace flatwal {

// Which tables the plugin emits.
class TableFilter {
 public:
	// Default: the tables registered and enabled in flatwal.source_tables.
	bool uses_catalog() const { return patterns_.empty(); }
	// Only meaningful when !uses_catalog(): does "schema.table" match a pattern?
	bool Matches(const std::string& schema, const std::string& table) const;
	// Parses "schema.table, schema.*, *" with SQL's identifier rules: unquoted
	// names fold to lower case (PUBLIC.Orders is public.orders), "Quoted"
	// names keep their case and may hold '.', ',' or spaces.
	static Status Parse(const std::string& text, TableFilter* out);

 private:
	struct Pattern {
		std::string schema, table;
		bool any_schema = false;  // * as the whole pattern
		bool any_table = false;   // schema.*
	};
	std::vector<Pattern> patterns_;
};

enum class OriginFilter {
	kAny,   // emit changes whatever their replication origin
	kNone,  // emit only changes made locally (no origin): avoids replication loops
};

struct Options {
	bool include_transaction = true;  // Begin/Commit frames
	bool include_messages = true;     // pg_logical_emit_message frames
	bool stream_changes = false;      // stream large in-progress transactions
	uint32_t batch_bytes = 0;         // 0: one frame per message; else frames packed up to this size
	OriginFilter origin = OriginFilter::kAny;
	std::vector<std::string> skip_origins;  // replication origin names whose changes are skipped
	TableFilter tables;
	// With the catalog: only tables of this set in flatwal.source_tables (one set per slot).
	std::string table_set = "default";
};

// Largest batch_bytes accepted: a replication message stays well below 1 GB.
constexpr uint32_t kMaxBatchBytes = 64u * 1024u * 1024u;

// Parses name/value pairs as PostgreSQL hands them over. A value is null when
// the option was given without one (START_REPLICATION … (name)).
struct RawOption {
	std::string name;
	bool has_value;
	std::string value;
};
Status ParseOptions(const std::vector<RawOption>& raw, Options* out);

}  // namespace flatwal

#endif  // FLATWAL_OPTIONS_H
