// datetime_text.h — dates and times as ISO 8601 text, the one spelling used by
// to_json, Kafka keys, flatwal-sink's targets, and the plugin for timestamps
// past the wire's range. Proleptic Gregorian calendar with astronomical year
// numbering (year 0 = 1 BC, so PostgreSQL's "4714-11-24 BC" is "-4713-11-24").
// Written without printf: the sink formats one for every timestamp it applies.
// Pure C++.
#ifndef FLATWAL_DATETIME_TEXT_H
#define FLATWAL_DATETIME_TEXT_H

#include <cstdint>
#include <string>

#include "wire.h"

namespace flatwal {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

// a / b rounded toward minus infinity.
inline int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// YYYY-MM-DD (at least four year digits, '-' before years below 0) for days since 1970-01-01.
void AppendIsoDate(int64_t days, std::string* out);
// hh:mm:ss[.ffffff] with trailing zeros of the fraction dropped; 0 to 24:00:00.
void AppendTimeOfDay(int64_t micros, std::string* out);
// YYYY-MM-DDThh:mm:ss[.ffffff], then 'Z' when `utc`.
void AppendIsoTimestamp(int64_t days, int64_t micros_of_day, bool utc, std::string* out);
// A timestamp in microseconds since 1970-01-01 (UTC when `utc`), or PostgreSQL's
// "infinity" / "-infinity" for INT64_MAX / INT64_MIN. No quotes.
void AppendTimestampText(int64_t micros, bool utc, std::string* out);
// +hh:mm[:ss] (an offset east of UTC in seconds, as timetz keeps it).
void AppendZoneOffset(int offset_seconds, std::string* out);
// "M mons D days [-]H:MM:SS.ffffff": months, days and time kept apart, as
// PostgreSQL stores them and reads them back. No quotes.
void AppendIntervalText(const wire::IntervalValue& interval, std::string* out);

}  // namespace flatwal

#endif  // FLATWAL_DATETIME_TEXT_H
