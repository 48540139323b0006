// snapshot_plan.cpp — see snapshot_plan.h.
#include "snapshot_plan.h"

namespace flatwal {
namespace {

constexpr const char* kEstimatedRows =
    "(CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(greatest(l.reltuples, 0)), 0) "
    "FROM pg_catalog.pg_partition_tree(c.oid) t JOIN pg_catalog.pg_class l ON l.oid = t.relid WHERE t.isleaf) "
    "ELSE greatest(c.reltuples, 0) END)::bigint";

// SQL: the bounds statement for key column expression `column` of pg_class
// row `c`. A partitioned table holds no rows itself: its bounds are read
// without ONLY.
std::string BoundsStatementSql(const std::string& column) {
	return "format('SELECT min(%1$I), max(%1$I) FROM %4$s %2$I.%3$I', " + column +
	       ", n.nspname, c.relname, CASE WHEN c.relkind = 'p' THEN '' ELSE 'ONLY' END)";
}

}  // namespace

const char* EstimatedRowsSql() { return kEstimatedRows; }

Status PlanKeyRanges(int readers, const SplitFacts& facts, const KeyBoundsReader& read_bounds,
                     std::vector<KeyRange>* ranges) {
	ranges->assign(1, KeyRange());
	if (!SplitsInto(readers, facts.one_integer_key, facts.estimated_rows)) return Status::Ok();
	bool empty = true;
	int64_t lo = 0, hi = 0;
	Status st = read_bounds(&empty, &lo, &hi);
	if (!st.ok() || empty) return st;
	*ranges = SplitKeyRange(lo, hi, readers);
	return Status::Ok();
}

std::string ExtensionSplitFactsSql(uint32_t relid) {
	return "SELECT cardinality(k) = 1 AND coalesce((SELECT a.atttypid IN (20, 21, 23) FROM pg_catalog.pg_attribute a "
	       "WHERE a.attrelid = c.oid AND a.attname = k[1]), false), " + std::string(kEstimatedRows) + ", " +
	       BoundsStatementSql("k[1]") + ", quote_ident(k[1])" +
	       " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace, "
	       "flatwal.key_columns(c.oid) k WHERE c.oid = " + std::to_string(relid);
}

std::string PgoutputSplitFactsSql(uint32_t relid) {
	// The message key: the replica identity index's columns, or the primary key's.
	return "SELECT i.indnkeyatts = 1 AND a.atttypid IN (20, 21, 23), " + std::string(kEstimatedRows) + ", " +
	       BoundsStatementSql("a.attname") + ", quote_ident(a.attname)" +
	       " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	       "JOIN pg_catalog.pg_index i ON i.indrelid = c.oid "
	       "AND CASE c.relreplident WHEN 'i' THEN i.indisreplident ELSE i.indisprimary END "
	       "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] "
	       "WHERE c.oid = " + std::to_string(relid);
}

Status PlanTableRanges(int readers, const std::string& split_facts_sql, const PlannerQuery& query,
                       std::vector<KeyRange>* ranges, std::string* key_column) {
	ranges->assign(1, KeyRange());
	if (readers <= 1) return Status::Ok();  // nothing to split for: not even the facts are read
	PgResult facts_row;
	Status st = query(split_facts_sql, &facts_row);
	if (!st.ok() || facts_row.rows() == 0) return st;  // no row: the table is gone, read as one range
	SplitFacts facts;
	facts.one_integer_key = std::string(facts_row.text(0, 0)) == "t";
	facts.estimated_rows = std::stoll(facts_row.text(0, 1));
	const std::string bounds_sql = facts_row.text(0, 2);
	if (key_column != nullptr) *key_column = facts_row.is_null(0, 3) ? "" : facts_row.text(0, 3);
	return PlanKeyRanges(readers, facts, [&](bool* empty, int64_t* lo, int64_t* hi) {
		PgResult bounds;
		Status read = query(bounds_sql, &bounds);
		if (!read.ok()) return read;
		*empty = bounds.rows() == 0 || bounds.is_null(0, 0);
		if (!*empty) {
			*lo = std::stoll(bounds.text(0, 0));
			*hi = std::stoll(bounds.text(0, 1));
		}
		return Status::Ok();
	}, ranges);
}

std::string RangeWhereSql(const KeyRange& range, const std::string& column) {
	std::string where;
	if (range.has_from) where = " WHERE " + column + " >= " + std::to_string(range.from);
	if (range.has_to) where += (where.empty() ? " WHERE " : " AND ") + column + " < " + std::to_string(range.to);
	return where;
}

}  // namespace flatwal
