// pg_ledger.cpp — see pg_ledger.h.
#include "pg_ledger.h"

#include <cstdio>

namespace flatwal {

PgLedger::PgLedger(const PgSession& session, const TableVersion& table, const std::vector<std::string>& types,
                   std::string target, std::string stage, const std::string& target_schema)
    : table_(table), types_(types), target_(std::move(target)), stage_(std::move(stage)) {
	for (size_t i = 0; i < table.columns.size(); ++i) {
		names_.push_back(session.QuoteIdentifier(table.columns[i].latest_name));
		attnums_.push_back(std::to_string(OwedAttnum(table, i)));
		attnum_array_ += (i ? "," : "") + attnums_.back();
	}
	attnum_array_ = "'{" + attnum_array_ + "}'::smallint[]";
	for (size_t k = 0; k < table.key_columns.size(); ++k) {
		const std::string& name = names_[table.key_columns[k]];
		key_list_ += (k ? ", " : "") + name;
		old_row_match_ += (k ? " AND o." : "o.") + name + " = s." + name;
	}
	schema_literal_ = session.QuoteLiteral(target_schema);
	table_literal_ = session.QuoteLiteral(table.table);
	// An index name of its own per target table (FNV-1a of the name: stable).
	uint64_t hash = 1469598103934665603ull;
	for (unsigned char c : target_) hash = (hash ^ c) * 1099511628211ull;
	char hex[17];
	std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
	index_name_ = std::string("flatwal_owed_") + hex;
}

std::string PgLedger::Of(const std::string& alias) const {
	return alias + ".target_schema = " + schema_literal_ + " AND " + alias + ".target_table = " + table_literal_;
}

std::string PgLedger::NotCarried(const std::string& alias) const {
	return "NULLIF(ARRAY(SELECT u.a FROM unnest(" + attnum_array_ + ", " + alias +
	       "._flatwal_carried) AS u(a, c) WHERE NOT u.c), '{}')";
}

std::string PgLedger::IndexDdl() const {
	return "CREATE INDEX IF NOT EXISTS " + index_name_ + " ON " + target_ +
	       " (_flatwal_owed_from) WHERE _flatwal_owed_from IS NOT NULL";
}

std::string PgLedger::CreditsWithoutOldRow() const {
	return "SELECT s._flatwal_ord FROM " + stage_ + " s WHERE s._flatwal_op = 'c' AND s._flatwal_carried IS NOT NULL "
	       "AND NOT EXISTS (SELECT 1 FROM " + target_ + " o WHERE " + old_row_match_ + ")";
}

std::string PgLedger::InsertCredits() const {
	std::string values;
	for (size_t i = 0; i < names_.size(); ++i)
		values += std::string(i ? ", " : "") + "CASE WHEN s._flatwal_carried IS NULL OR s._flatwal_carried[" +
		          std::to_string(i + 1) + "] THEN s." + names_[i] + "::text ELSE o." + names_[i] + "::text END";
	// What the old row still owed (from an older move) the credit owes too.
	const std::string owed = "NULLIF(ARRAY(SELECT u.a FROM unnest(" + attnum_array_ +
	                         ", s._flatwal_carried) AS u(a, c) WHERE NOT u.c AND u.a = ANY (o._flatwal_owed)), '{}')";
	return "INSERT INTO flatwal_sink.moved_values (target_schema, target_table, move, kind, attnums, vals, owed, owed_from) "
	       "SELECT " + schema_literal_ + ", " + table_literal_ + ", s._flatwal_owed_from, 'c', " + attnum_array_ +
	       ", ARRAY[" + values + "]::text[], " + owed + ", CASE WHEN " + owed + " IS NOT NULL THEN o._flatwal_owed_from END FROM " +
	       stage_ + " s LEFT JOIN " + target_ + " o ON " + old_row_match_ +
	       " WHERE s._flatwal_op = 'c' AND (s._flatwal_carried IS NULL OR o." + names_[table_.key_columns[0]] +
	       " IS NOT NULL) ON CONFLICT DO NOTHING";
}

std::string PgLedger::ResolveCredits() const {
	return "UPDATE flatwal_sink.moved_values d SET vals = ARRAY(SELECT CASE WHEN u.a = ANY (d.owed) AND NOT (u.a = ANY "
	       "(coalesce(c.owed, '{}'))) THEN c.vals[array_position(c.attnums, u.a)] ELSE u.v END FROM unnest(d.attnums, "
	       "d.vals) WITH ORDINALITY AS u(a, v, n) ORDER BY u.n), owed = NULLIF(ARRAY(SELECT x FROM unnest(d.owed) x WHERE "
	       "x = ANY (coalesce(c.owed, '{}'))), '{}'), owed_from = CASE WHEN d.owed && c.owed THEN c.owed_from END "
	       "FROM flatwal_sink.moved_values c WHERE " + Of("d") + " AND " + Of("c") +
	       " AND d.kind = 'c' AND c.kind = 'c' AND d.owed IS NOT NULL AND d.owed_from = c.move RETURNING 1";
}

std::string PgLedger::PayRows() const {
	std::string set;
	for (size_t i = 0; i < names_.size(); ++i)
		set += names_[i] + " = CASE WHEN " + attnums_[i] + " = ANY (t._flatwal_owed) AND NOT (" + attnums_[i] +
		       " = ANY (coalesce(c.owed, '{}'))) THEN (c.vals[array_position(c.attnums, " + attnums_[i] + "::smallint)])::" +
		       types_[i] + " ELSE t." + names_[i] + " END, ";
	return "UPDATE " + target_ + " AS t SET " + set +
	       "_flatwal_owed = NULLIF(ARRAY(SELECT x FROM unnest(t._flatwal_owed) x WHERE x = ANY (coalesce(c.owed, '{}'))), "
	       "'{}'), _flatwal_owed_from = CASE WHEN t._flatwal_owed && c.owed THEN c.owed_from END FROM "
	       "flatwal_sink.moved_values c WHERE " + Of("c") + " AND c.kind = 'c' AND t._flatwal_owed_from = c.move AND "
	       "c.move IN (SELECT _flatwal_owed_from FROM " + stage_ + " WHERE _flatwal_op = 'c')";
}

std::string PgLedger::DropPaid() const {
	return "DELETE FROM flatwal_sink.moved_values x USING flatwal_sink.moved_values a WHERE " + Of("x") + " AND " + Of("a") +
	       " AND a.kind = 'a' AND x.move = a.move AND x.move IN (SELECT _flatwal_owed_from FROM " + stage_ +
	       " WHERE _flatwal_op = 'c')";
}

std::string PgLedger::WriteOwingRows() const {
	std::string columns, values, set;
	for (size_t i = 0; i < names_.size(); ++i) {
		columns += names_[i] + ", ";
		values += "CASE WHEN s._flatwal_carried[" + std::to_string(i + 1) + "] THEN s." + names_[i] +
		          " ELSE (c.vals[array_position(c.attnums, " + attnums_[i] + "::smallint)])::" + types_[i] + " END, ";
		set += names_[i] + " = EXCLUDED." + names_[i] + ", ";
	}
	const std::string lacks = NotCarried("s");
	return "INSERT INTO " + target_ + " AS t (" + columns + "_flatwal_commit_lsn, _flatwal_seq, _flatwal_lsn, _flatwal_timeline, _flatwal_owed, _flatwal_owed_from) SELECT " +
	       values + "s._flatwal_commit_lsn, s._flatwal_seq, s._flatwal_lsn, s._flatwal_timeline, CASE WHEN c.move IS NULL "
	       "THEN " + lacks + " ELSE NULLIF(ARRAY(SELECT x FROM unnest(" + lacks + ") x WHERE x = ANY (coalesce(c.owed, "
	       "'{}'))), '{}') END, CASE WHEN c.move IS NULL THEN s._flatwal_owed_from WHEN " + lacks +
	       " && c.owed THEN c.owed_from END FROM " + stage_ + " s LEFT JOIN flatwal_sink.moved_values c ON " + Of("c") +
	       " AND c.kind = 'c' AND c.move = s._flatwal_owed_from WHERE s._flatwal_op = 'o' ON CONFLICT (" + key_list_ +
	       ") DO UPDATE SET " + set +
	       "_flatwal_commit_lsn = EXCLUDED._flatwal_commit_lsn, _flatwal_seq = EXCLUDED._flatwal_seq, "
	       "_flatwal_lsn = EXCLUDED._flatwal_lsn, _flatwal_timeline = EXCLUDED._flatwal_timeline, "
	       "_flatwal_owed = EXCLUDED._flatwal_owed, _flatwal_owed_from = EXCLUDED._flatwal_owed_from WHERE "
	       "(t._flatwal_timeline, t._flatwal_commit_lsn, t._flatwal_seq) < "
	       "(EXCLUDED._flatwal_timeline, EXCLUDED._flatwal_commit_lsn, EXCLUDED._flatwal_seq)";
}

std::string PgLedger::TakeCredits() const {
	return "WITH taken AS (DELETE FROM flatwal_sink.moved_values c USING " + stage_ + " s WHERE " + Of("c") +
	       " AND c.kind = 'c' AND s._flatwal_op = 'r' AND c.move = s._flatwal_owed_from RETURNING c.move) "
	       "INSERT INTO flatwal_sink.moved_values (target_schema, target_table, move, kind) SELECT " + schema_literal_ + ", " +
	       table_literal_ + ", s._flatwal_owed_from, 'a' FROM " + stage_ + " s WHERE s._flatwal_op = 'r' AND "
	       "s._flatwal_owed_from NOT IN (SELECT move FROM taken) ON CONFLICT DO NOTHING";
}

}  // namespace flatwal
