// debezium_scalars.h — one scalar value as Debezium's PostgreSQL connector
// writes it in JSON, for the kinds whose rendering is more than a copy:
// numbers (doubles, decimals by decimal.handling.mode), bits, bytes and
// hstore, dates, times and intervals (by time.precision.mode and
// interval.handling.mode). debezium_types.cpp chooses which applies to a
// column and walks rows and arrays; these write the value. Pure C++.
#ifndef FLATWAL_DEBEZIUM_SCALARS_H
#define FLATWAL_DEBEZIUM_SCALARS_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "debezium_types.h"

namespace flatwal {

// A double as Jackson writes it: NaN and the infinities quoted.
void AppendDouble(double v, std::string* out);
// A real (stored as a double in the frame) as Java prints a float.
void AppendFloat32(double v, std::string* out);
// numeric and money by decimal.handling.mode; null for NaN and ±Infinity in precise mode.
void AppendNumeric(const ValueRef& v, const FieldMapping& field, const DebeziumOptions& options, std::string* out);
// A bit string as io.debezium.data.Bits (little-endian bytes).
void AppendBits(const ValueRef& v, std::string* out);
// bytea by binary.handling.mode.
void AppendBinary(const uint8_t* data, size_t size, const DebeziumOptions& options, std::string* out);
// hstore's text as a JSON object; false when it is not hstore's text.
bool HstoreToJson(const char* text, size_t size, std::string* out);

// Whether a time / timestamp column is written in milliseconds (else micros).
bool TimeInMillis(const FieldMapping& f, const DebeziumOptions& o);
bool TimestampInMillis(const FieldMapping& f, const DebeziumOptions& o);
// A time of day as "HH:MM:SS[.ffffff]Z", quoted.
void AppendQuotedTime(int64_t micros, std::string* out);
// A timestamp by time.precision.mode; the infinities as pgjdbc hands them over.
void AppendTimestampValue(int64_t micros, const FieldMapping& field, const DebeziumOptions& options, std::string* out);
// timetz as io.debezium.time.ZonedTime (moved to UTC).
void AppendZonedTime(const wire::TimeTzValue& t, std::string* out);
// interval as io.debezium.time.MicroDuration, or as io.debezium.time.Interval (ISO 8601).
void AppendMicroDuration(const wire::IntervalValue& iv, std::string* out);
void AppendIsoInterval(const wire::IntervalValue& iv, std::string* out);

}  // namespace flatwal

#endif  // FLATWAL_DEBEZIUM_SCALARS_H
