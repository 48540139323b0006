// published_table.h — a table of a publication read outside the stream (the
// pgoutput source's initial and on-demand snapshots): its columns and key as
// its Relation message would list them, and the SQL that reads its rows as
// text in key order. Names are quoted by the server (quote_ident), so no
// name of the user's can change what the SQL means.
#ifndef FLATWAL_PUBLISHED_TABLE_H
#define FLATWAL_PUBLISHED_TABLE_H

#include <cstdint>
#include <string>
#include <vector>

#include "pg_session.h"
#include "pgoutput_messages.h"
#include "status.h"

namespace flatwal {

// SQL: the columns of table `relid` as pgoutput publishes them — no dropped
// or generated ones, only those of `column_list` (an SQL text[] expression,
// NULL for every column) — in attnum order: name, type, typmod, whether in
// the replica identity (as pgoutput flags it), whether in the primary key,
// the name quoted.
std::string PublishedColumnsQuery(uint32_t relid, const std::string& column_list);

// A table read from PublishedColumnsQuery's result (which must outlive it).
struct PublishedColumns {
	pgoutput::Relation relation;     // as its Relation message would describe it
	std::string select;              // the columns, quoted and separated by commas ("NULL" for none)
	std::vector<std::string> keys;   // the message key's columns, unquoted …
	std::string quoted_keys;         // … and quoted, separated by commas ("" when the table has no key)
};

// `schema`, `table` and `replica_identity` as pg_class says; the strings must outlive `out`.
void ReadPublishedColumns(const PgResult& columns, uint32_t relid, const std::string& schema, const std::string& table,
                          char replica_identity, PublishedColumns* out);

// Row `row` of a text result read with PublishedColumns::select, as the
// values of a pgoutput row (views into `rows`); `values` is sized to the columns.
void ReadPublishedRow(const PgResult& rows, int row, std::vector<pgoutput::Value>* values);

}  // namespace flatwal

#endif  // FLATWAL_PUBLISHED_TABLE_H
