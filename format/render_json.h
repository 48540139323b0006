// render_json.h — frames as readable JSON text. Pure C++ (no PostgreSQL).
//
// Used by flatwal.to_json(), flatwal-consume, and the shipper to render a row's key
// (the Kafka message key), so a value is turned into text in one place.
#ifndef FLATWAL_RENDER_JSON_H
#define FLATWAL_RENDER_JSON_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "row_reader.h"
#include "status.h"
#include "wire.h"

namespace flatwal {

// Reads one bare frame (any alignment, see ReadFrame) and renders it as a JSON object.
Status RenderFrameJson(const uint8_t* frame, size_t length, std::string* out);

// Renders an event ReadFrame returned.
void RenderEventJson(const wire::Event& event, std::string* out);

// Appends a value. Typed: {"int": 5}, {"text": "a"}, null, ... — what to_json shows.
// Plain: 5, "a", null — the form used inside message keys.
// PostgresInput: plain, except that intervals are PostgreSQL interval text
// ("14 mons 3 days 01:02:03.000004"), so every value reads back through
// jsonb_populate_record() into a column of its type (flatwal-sink).
enum class ValueStyle { kTyped, kPlain, kPostgresInput };
void RenderValue(const ValueRef& value, ValueStyle style, std::string* out);
// False for a value RenderValue can only show as malformed or of an unknown
// kind (a corrupt or newer frame). Arrays are checked when rendered.
bool ValueIsWellFormed(const ValueRef& value);

// Appends the values at the given column positions of a row as a plain JSON
// array, in the order given: the Kafka message key of a change. False when the row
// has fewer columns than a position names.
bool RenderRowKey(const wire::Row* row, const uint16_t* key_columns, size_t count, std::string* out);

}  // namespace flatwal

#endif  // FLATWAL_RENDER_JSON_H
