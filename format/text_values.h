// text_values.h — a column value in PostgreSQL's text form, turned into the
// same typed wire value the plugin's encoder writes from the Datum. Used where
// flatwal reads values without the extension: the pgoutput source's changes
// and its snapshot rows (both text, from one session's output functions).
//
// Exact only under the output settings kTextSessionSetup makes (ISO dates,
// ISO 8601 intervals, UTC, hex bytea, shortest-exact floats): the pgoutput
// connection and the snapshot sessions set them. A text that does not parse
// is refused (kInvalidData), never guessed at.
// Pure C++: unit-tested and fuzzed without a server.
#ifndef FLATWAL_TEXT_VALUES_H
#define FLATWAL_TEXT_VALUES_H

#include <cstdint>
#include <string>
#include <string_view>

#include "row_packer.h"
#include "status.h"

namespace flatwal {

// SQL that makes every output function of a session write what
// AddTextValue reads (a replication connection answers it too).
extern const char kTextSessionSetup[];

// How a type's text is read: the plugin's value kinds.
enum class TextType : uint8_t {
	kBool, kInt, kFloat4, kFloat8, kText, kBytea, kNumeric, kDate, kTime, kTimeTz,
	kTimestamp, kTimestampTz, kInterval, kUuid, kJson, kArray, kTextOutput,
};

// The kind of a built-in base type's OID (int4, jsonb, ...); kTextOutput for
// any other (enums are kText and arrays kArray: the caller knows them from the catalog).
TextType TextTypeOfBuiltin(uint32_t base_type_oid);

struct TextColumnType {
	TextType type = TextType::kTextOutput;
	// kArray: how its elements are read, their base type and the delimiter between them.
	TextType element = TextType::kTextOutput;
	uint32_t element_oid = 0;
	char delimiter = ',';
};

// Adds `text`, a value of `type`, to `row`. `elements` is scratch for an
// array's elements (a packer on the same builder as `row`).
Status AddTextValue(const TextColumnType& type, std::string_view text, RowPacker* row, RowPacker* elements);

}  // namespace flatwal

#endif  // FLATWAL_TEXT_VALUES_H
