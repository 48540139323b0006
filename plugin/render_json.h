// render_json.h — frames as readable JSON text. Pure C++ (no PostgreSQL).
//
// Used by flatwal.to_json() and by the plugin itself to render a row's key
// (the Kafka message key), so a value is turned into text in one place.
#ifndef FLATWAL_RENDER_JSON_H
#define FLATWAL_RENDER_JSON_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "wire.h"
#include "status.h"

namespace flatwal {

// Verifies a bare frame (identifier, structure, format version); on success
// *event points into `frame`, which must be 8-byte aligned.
Status VerifyFrame(const uint8_t* frame, size_t length, const wire::Event** event);

// Renders one bare frame (any alignment) as a JSON object.
Status RenderFrameJson(const uint8_t* frame, size_t length, std::string* out);

// Appends a value. Typed: {"int": 5}, {"text": "a"}, null, ... — what to_json shows.
// Plain: 5, "a", null — the form used inside message keys.
enum class ValueStyle { kTyped, kPlain };
void RenderValue(const wire::Value* value, ValueStyle style, std::string* out);

// Appends `text` as a JSON string literal.
void AppendJsonString(const char* text, size_t length, std::string* out);

}  // namespace flatwal

#endif  // FLATWAL_RENDER_JSON_H
