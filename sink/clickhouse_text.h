// clickhouse_text.h — how flatwal-sink's ClickHouse target writes and reads
// ClickHouse text: identifiers and string literals, column types, the JSON of
// a JSONEachRow line's values, TabSeparated results.
#ifndef FLATWAL_SINK_CLICKHOUSE_TEXT_H
#define FLATWAL_SINK_CLICKHOUSE_TEXT_H

#include <string>
#include <string_view>
#include <vector>

#include "schema_registry.h"

namespace flatwal {

// Quotes a ClickHouse identifier (`name`) or string literal ('text').
std::string ClickHouseIdentifier(const std::string& name);
std::string ClickHouseString(const std::string& text);

// The ClickHouse type of a column, from the type it is encoded as.
std::string ColumnType(const SchemaColumn& column);
bool IsString(const std::string& type);

// One column's value of a JSONEachRow line, from the JSON form a row holds.
void AppendValueJson(std::string_view value, bool is_string, std::string* line);

// ClickHouse's TabSeparated escapes undone, and a line split at its tabs.
std::string TsvUnescape(const std::string& field);
std::vector<std::string> SplitTsvLine(const std::string& line);

// Orders rows of a MergeTree table by the insert that wrote them, latest
// first: a part is named <partition>_<min block>_<max block>_<level>[_<mutation>]
// and the tables here have one partition, "all".
inline constexpr char kLastWrittenFirst[] = "toUInt64(splitByChar('_', _part)[3]) DESC";

}  // namespace flatwal

#endif  // FLATWAL_SINK_CLICKHOUSE_TEXT_H
