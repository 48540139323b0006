// debezium_types.h — PostgreSQL values as the Debezium 3.x PostgreSQL
// connector writes them in JSON (Kafka Connect's JsonConverter), under the
// connector's own option names; and the Connect schema of each field for
// schemas.enable. The mapping of every type and where it differs from
// Debezium is in docs/debezium.md. Pure C++ over the wire types.
//
// How a column maps is decided once per table version (MapColumn), from the
// Schema frame's type; a value is then rendered from its kind, so a value
// whose kind does not fit the mapping (a corrupt frame) still renders as what
// it is, never as something else.
#ifndef FLATWAL_DEBEZIUM_TYPES_H
#define FLATWAL_DEBEZIUM_TYPES_H

#include <cstdint>
#include <string>

#include "row_reader.h"
#include "status.h"
#include "table_catalog.h"

namespace flatwal {

enum class DecimalMode { kPrecise, kDouble, kString };
enum class TimePrecisionMode { kAdaptive, kAdaptiveTimeMicroseconds, kConnect, kIsoString };
enum class BinaryMode { kBytes, kBase64, kBase64UrlSafe, kHex };
enum class IntervalMode { kNumeric, kString };
enum class HstoreMode { kJson, kMap };

struct DebeziumOptions {
	DecimalMode decimal = DecimalMode::kPrecise;            // decimal.handling.mode
	TimePrecisionMode time = TimePrecisionMode::kAdaptive;  // time.precision.mode
	BinaryMode binary = BinaryMode::kBytes;                 // binary.handling.mode
	IntervalMode interval = IntervalMode::kNumeric;         // interval.handling.mode
	HstoreMode hstore = HstoreMode::kJson;                  // hstore.handling.mode
	bool schemas = false;                                   // schemas.enable
	bool transaction_metadata = false;                      // provide.transaction.metadata
	std::string unavailable_placeholder = "__debezium_unavailable_value";  // unavailable.value.placeholder
	int money_fraction_digits = 2;                          // money.fraction.digits
	// skipped.operations: the ops (c, u, d, t) whose events are not written.
	// Debezium's default skips truncates, which Flink's debezium-json and
	// most Connect sinks cannot apply; "none" writes every event.
	std::string skipped_operations = "t";

	bool Skips(char op) const { return skipped_operations.find(op) != std::string::npos; }
};

// Sets one option by its Debezium name ("decimal.handling.mode", ...).
// (tombstones.on.delete is the shipper's own tombstones setting.)
// Unknown names and values are refused with the accepted ones in the hint.
Status SetDebeziumOption(const std::string& name, const std::string& value, DebeziumOptions* options);

// What a column becomes.
enum class FieldType {
	kBoolean, kInt16, kInt32, kInt64, kFloat32, kFloat64,
	kString,           // text and everything without a mapping of its own (inet, ranges, enums, ...)
	kJson, kXml, kUuid,
	kBytes,            // bytea
	kBits,             // bit(n > 1), varbit: io.debezium.data.Bits
	kBitBoolean,       // bit(1)
	kDecimal,          // numeric(p, s), money
	kVariableDecimal,  // numeric without a scale
	kDate, kTime, kTimestamp, kTimestampTz, kTimeTz, kInterval,
	kHstore,
	kArray,
};

struct FieldMapping {
	FieldType type = FieldType::kString;
	FieldType element = FieldType::kString;  // kArray: what each element is
	int precision = -1;  // numeric: digits; time/timestamp: fractional digits (-1: 6)
	int scale = 0;       // numeric/money
	int32_t length = 0;  // bits
	bool money = false;
};

FieldMapping MapColumn(const SchemaColumn& column, const DebeziumOptions& options);

// Appends the JSON value of one column: null for SQL NULL, the placeholder
// (in the field's own form) for an unchanged TOAST value. False, with
// nothing appended, for a value no mapping can render (malformed, out of
// its kind's range, or of a kind this build does not know).
bool AppendDebeziumValue(const ValueRef& value, const FieldMapping& field, const DebeziumOptions& options,
                         std::string* out);

// Appends the Connect schema of one field: {"type":"int32","optional":true,
// "name":"...","version":1,"parameters":{...},"field":"id"}.
void AppendFieldSchema(const FieldMapping& field, const DebeziumOptions& options, bool optional,
                       const std::string& field_name, std::string* out);

}  // namespace flatwal

#endif  // FLATWAL_DEBEZIUM_TYPES_H
