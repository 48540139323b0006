// render_pg_text.h — a value as the text PostgreSQL's input function of its
// type reads back (what COPY's text format carries, before COPY's own
// escaping): flatwal-sink stages rows this way in a table of the target's
// column types, so the server parses each value once, by its own type.
// Pure C++ (no PostgreSQL).
#ifndef FLATWAL_RENDER_PG_TEXT_H
#define FLATWAL_RENDER_PG_TEXT_H

#include <string>

#include "row_reader.h"

namespace flatwal {

enum class PgText {
	kValue,      // text appended
	kNull,       // SQL NULL: nothing appended
	kMalformed,  // a corrupt or unknown value (nothing usable appended): refuse the change
};

// Appends a carried value (not Absent or Unchanged, which are kMalformed here):
// booleans t/f, numbers as they read back exactly, text as it is, bytea as
// \x hex, dates and times in ISO 8601 (infinity spelled out), intervals as
// "M mons D days H:MM:SS.ffffff", uuids, json as its text, and arrays as
// {…} literals with every element quoted, nested by dimension, and
// [lower:upper] bounds when they are not the default.
PgText AppendPgText(const ValueRef& value, std::string* out);

}  // namespace flatwal

#endif  // FLATWAL_RENDER_PG_TEXT_H
