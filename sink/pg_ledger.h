// pg_ledger.h — the PostgreSQL target's ledger of key moves (change_set.h).
//
// An update that moves a row to a new key and leaves a TOASTed value
// unchanged comes twice: under the old key (in the old key's partition) and
// under the new key (in the new key's), in no order between them. The new
// row's unchanged values are the old row's as they were at the move — which
// only the old key's partition knows in order. So each copy writes only its
// own key's row, and the values travel through flatwal_sink.moved_values:
//   - the old-key copy records a *credit*: the old row's values, read when
//     every earlier change of the old key is applied, before it deletes it;
//   - the new-key copy writes the new row with what it carries; the rest it
//     takes from the move's credit when that is there (and removes it), else
//     the row *owes* them (_flatwal_owed: their attnums, _flatwal_owed_from:
//     the move) and an `a` (awaited) entry says the copy was applied;
//   - a credit that arrives while its move is awaited pays every row (and
//     every other credit) that owes from the move, and both entries go.
// A value the old row itself still owed stays owed, from the older move: a
// chain of moves pays through. Rows of a key are written by its own
// partition's changes only, so a key's row follows its changes in order
// (an old-key copy never brings back a row its new key deleted since).
//
// This file builds the statements over a table version's staging table; the
// staged ops are 'c' (a credit), 'r' (the new-key copy's receipt) and 'o'
// (a row that owes), each with _flatwal_owed_from, the move's position.
#ifndef FLATWAL_SINK_PG_LEDGER_H
#define FLATWAL_SINK_PG_LEDGER_H

#include <string>
#include <vector>

#include "change_set.h"
#include "pg_session.h"
#include "position.h"
#include "schema_registry.h"

namespace flatwal {

// The ledger's table, created with the sink's state (pg_target.cpp).
inline constexpr char kLedgerDdl[] = R"sql(
CREATE TABLE IF NOT EXISTS flatwal_sink.moved_values (
    target_schema text NOT NULL,
    target_table text NOT NULL,
    move text NOT NULL,
    kind "char" NOT NULL,
    attnums smallint[],
    vals text[],
    owed smallint[],
    owed_from text,
    PRIMARY KEY (target_schema, target_table, move, kind));
COMMENT ON TABLE flatwal_sink.moved_values IS
    'flatwal-sink: values of key moves that left TOAST values unchanged: c = the old row''s values (a credit), a = the new row was written owing them';
)sql";

class PgLedger {
 public:
	// `target` and `stage`: quoted names; `types`: the target's column types,
	// by the version's columns; `target_schema`: the target table's schema.
	PgLedger(const PgSession& session, const TableVersion& table, const std::vector<std::string>& types,
	         std::string target, std::string stage, const std::string& target_schema);

	// The staged credits whose old row is not in the target to give what
	// they do not carry: their _flatwal_ord.
	std::string CreditsWithoutOldRow() const;
	std::string InsertCredits() const;
	// Resolves credits that owe from a move whose credit is there; returns a
	// row per credit changed: run until it returns none (a chain of moves).
	std::string ResolveCredits() const;
	// The target's rows that owe from a staged credit's move take its values.
	std::string PayRows() const;
	// A staged credit whose move was awaited: both entries go.
	std::string DropPaid() const;
	// The staged rows that owe ('o'), written with their move's credit where it is there.
	std::string WriteOwingRows() const;
	// The receipts: take their move's credit, else await it.
	std::string TakeCredits() const;

	// The target's index on what its rows owe from (made with the table).
	std::string IndexDdl() const;

 private:
	std::string Of(const std::string& alias) const;  // the ledger rows of this table
	// A staged row's not-carried columns, as attnums.
	std::string NotCarried(const std::string& alias) const;

	const TableVersion& table_;
	std::vector<std::string> names_, types_, attnums_;
	std::string attnum_array_, target_, stage_, schema_literal_, table_literal_, key_list_, index_name_;
	std::string old_row_match_;  // o (the target's row) has the key of s (a staged credit)
};

}  // namespace flatwal

#endif  // FLATWAL_SINK_PG_LEDGER_H
