// published_table.cpp — see published_table.h.
#include "published_table.h"

#include <cstdlib>

namespace flatwal {

std::string PublishedColumnsQuery(uint32_t relid, const std::string& column_list) {
	return "SELECT a.attname, a.atttypid, a.atttypmod, "
	       "CASE c.relreplident WHEN 'f' THEN true WHEN 'n' THEN false ELSE EXISTS (SELECT 1 FROM pg_catalog.pg_index i "
	       "WHERE i.indrelid = a.attrelid AND a.attnum = ANY (i.indkey) AND "
	       "CASE c.relreplident WHEN 'd' THEN i.indisprimary ELSE i.indisreplident END) END, "
	       "EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary "
	       "AND a.attnum = ANY (i.indkey)), pg_catalog.quote_ident(a.attname) "
	       "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
	       "WHERE a.attrelid = " + std::to_string(relid) + " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
	       "AND (" + column_list + " IS NULL OR a.attname = ANY (" + column_list + ")) ORDER BY a.attnum";
}

void ReadPublishedColumns(const PgResult& columns, uint32_t relid, const std::string& schema, const std::string& table,
                          char replica_identity, PublishedColumns* out) {
	out->relation = pgoutput::Relation();
	out->relation.relid = relid;
	out->relation.schema = schema;
	out->relation.table = table;
	out->relation.replica_identity = replica_identity;
	out->select.clear();
	out->keys.clear();
	out->quoted_keys.clear();
	// The key as the frames take it (pgoutput_frames.h): the replica
	// identity's columns, or the primary key's for FULL and NOTHING.
	const bool key_is_identity = replica_identity == 'd' || replica_identity == 'i';
	for (int i = 0; i < columns.rows(); ++i) {
		pgoutput::RelationColumn c;
		c.name = std::string_view(columns.text(i, 0), columns.length(i, 0));
		c.type_oid = static_cast<uint32_t>(std::strtoul(columns.text(i, 1), nullptr, 10));
		c.typmod = static_cast<int32_t>(std::strtol(columns.text(i, 2), nullptr, 10));
		c.key = columns.text(i, 3)[0] == 't';
		out->relation.columns.push_back(c);
		const std::string quoted = columns.text(i, 5);
		out->select += (out->select.empty() ? "" : ", ") + quoted;
		if (key_is_identity ? c.key : columns.text(i, 4)[0] == 't') {
			out->keys.emplace_back(c.name);
			out->quoted_keys += (out->quoted_keys.empty() ? "" : ", ") + quoted;
		}
	}
	if (out->select.empty()) out->select = "NULL";  // a table of no columns still has rows
}

void ReadPublishedRow(const PgResult& rows, int row, std::vector<pgoutput::Value>* values) {
	for (size_t c = 0; c < values->size(); ++c) {
		const int column = static_cast<int>(c);
		(*values)[c].format = rows.is_null(row, column) ? 'n' : 't';
		(*values)[c].data = std::string_view(rows.text(row, column), rows.length(row, column));
	}
}

}  // namespace flatwal
