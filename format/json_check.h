// json_check.h — is a Json payload from a frame really one JSON value?
// Renderers copy a valid payload into their output as it is; anything else
// (a crafted payload that would close the object and forge fields, invalid
// UTF-8) is shown as malformed instead. Iterative: no recursion whose depth
// the input decides. Pure C++.
#ifndef FLATWAL_JSON_CHECK_H
#define FLATWAL_JSON_CHECK_H

#include <cstddef>

namespace flatwal {

// True when `text` is exactly one JSON value (RFC 8259) in valid UTF-8,
// with nothing but whitespace around it.
bool IsJsonValue(const char* text, size_t length);

}  // namespace flatwal

#endif  // FLATWAL_JSON_CHECK_H
