// change_set.h — one target table's share of an open batch: the changes
// read from Kafka folded to one action per key (the last one wins; an update
// that left TOAST values unchanged keeps the values an earlier change of the
// batch carried), so the batch applies as a few set-based statements.
//
// Values are rendered once, in the form the target reads (PostgreSQL's text
// input, or JSON for ClickHouse), into one buffer per set: a row is a run of
// spans into it, so folding a key again or keeping an earlier value copies
// a span, not text, and a batch allocates per buffer growth, not per value.
// Pure C++ over the wire types.
#ifndef FLATWAL_SINK_CHANGE_SET_H
#define FLATWAL_SINK_CHANGE_SET_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "position.h"
#include "schema_registry.h"
#include "status.h"
#include "wire.h"

namespace flatwal {

// What the old-key copy of an update that moved its key does.
enum class KeyMoves {
	kDeleteOldKey,  // deletes the old key's row
	// When the new row left values unchanged (TOAST), moves the old key's row
	// to the new key keeping those values, whichever copy comes first (the
	// new-key copy then fills them from the old key's row): both targets.
	kMoveRow,
	// The PostgreSQL target (pg_target.h): each copy writes only its own
	// key's row, so a key's rows follow its partition's order alone. When the
	// new row left values unchanged, the old-key copy records the old row's
	// values (a credit, ledger()) and the new-key copy's row owes them until
	// that credit is there (owes, owed_from) — whichever copy comes first.
	kLedger,
};

// How a target reads values.
enum class ValueForm {
	kPgText,  // PostgreSQL's text input of the column's type (render_pg_text.h)
	kJson,    // JSON, as jsonb_populate_record() would read it (render_json.h, kPostgresInput)
};

// One column's value in a row: text in the set's buffer.
struct ValueSpan {
	enum class State : uint8_t { kNotCarried, kNull, kValue };
	size_t offset = 0;
	uint32_t size = 0;
	State state = State::kNotCarried;  // not carried: unchanged TOAST, or a key-only image's other columns
};

struct RowAction {
	// kMove: the old-key copy of a key move that left values unchanged; its
	// values are the new row's, old_key_first the old key's (KeyMoves::kMoveRow).
	// kCredit, kReceipt: entries of ChangeSet::ledger() (KeyMoves::kLedger).
	enum class Op : uint8_t { kUpsert, kDelete, kMove, kCredit, kReceipt };
	Op op = Op::kUpsert;
	bool complete = true;  // every column carried (else the target keeps the values it lacks)
	// KeyMoves::kLedger: the values an upsert lacks are owed by the key move
	// at owed_from (whose old-key copy has them), not the target row's; a
	// credit or receipt is that of the move at owed_from.
	bool owes = false;
	Position owed_from;
	// An incomplete upsert or a move of a row whose key changed: a run of
	// spans at old_key_first holds the old key's columns (the others not carried).
	bool has_old_key = false;
	size_t old_key_first = 0;
	Position pos;
	uint64_t lsn = 0;      // the change record's LSN (0 for snapshot reads), ordered against truncates
	size_t message = 0;    // the batch's index of the Kafka message it came from (for the dead-letter topic)
	int64_t message_time_ms = -1;  // its Kafka message time: the source commit time (snapshot rows: when read)
	size_t first_value = 0;        // its first ValueSpan in the set (one per column of the table version)
};

// One change as the history table keeps it (--history): not folded.
struct HistoryEntry {
	Position pos;
	uint64_t lsn = 0;
	uint32_t xid = 0;
	const char* op = "";
	std::string before, after;  // JSON objects of the carried columns; empty: no image
	int64_t message_time_ms = -1;   // the Kafka message time: the source commit time (a snapshot row: when it was read)
	size_t message = 0;             // the batch index of the message it came from
};

class ChangeSet {
 public:
	// `history`: also keep every change, unfolded, for the history table.
	ChangeSet(const TableVersion* table, ValueForm form, bool history = false, KeyMoves moves = KeyMoves::kDeleteOldKey)
	    : table_(table), form_(form), keep_history_(history), moves_(moves) {}

	const TableVersion& table() const { return *table_; }
	// Folds a change in. An update that changed its key comes twice: under
	// the old key (`under_old_key`, header flatwal.new_key: that message
	// deletes the old key) and under the new one (which writes the row).
	// Fails (the change is a dead letter) when a value is malformed or the
	// change has no key to apply it by; the set is then as it was.
	// `timeline`: the frame's (Event.timeline), the first part of the position.
	Status Add(const wire::Change& change, bool under_old_key, size_t message, int64_t message_time_ms = -1,
	           uint32_t timeline = 0);

	// KeyMoves::kLedger: whether `change` must wait for a fresh set — the
	// old-key copy of a move away from a key whose row in this set still
	// owes values (its credit would be a debt the set cannot settle in order).
	// The caller applies the set first, then adds the change.
	bool MustApplyFirst(const wire::Change& change, bool under_old_key) const;

	// One action per key, in the order the keys first came.
	const std::vector<RowAction>& rows() const { return rows_; }
	// KeyMoves::kLedger: the key moves that left values unchanged, beside
	// the rows: a credit (the old-key copy: the old row's values as the set
	// has them, its key columns the old key; values it does not carry are the
	// target row's) and a receipt (the new-key copy arrived: a credit of its
	// move is taken, or the move is awaited), in the order they came.
	const std::vector<RowAction>& ledger() const { return ledger_; }
	// The action for a key as rendered for Kafka ("[1]"); nullptr when none.
	const RowAction* Find(const std::string& key) const;
	const ValueSpan& span(const RowAction& row, size_t column) const { return spans_[row.first_value + column]; }
	std::string_view value(const RowAction& row, size_t column) const {
		const ValueSpan& s = span(row, column);
		return std::string_view(text_.data() + s.offset, s.size);
	}
	// The old key's value of a column (has_old_key rows; key columns only).
	const ValueSpan& old_key_span(const RowAction& row, size_t column) const { return spans_[row.old_key_first + column]; }
	std::string_view old_key_value(const RowAction& row, size_t column) const {
		const ValueSpan& s = old_key_span(row, column);
		return std::string_view(text_.data() + s.offset, s.size);
	}
	// {"col": value, ...} of the carried columns (ValueForm::kJson sets).
	std::string Document(const RowAction& row) const;
	size_t deletes() const { return deletes_; }
	size_t incomplete() const { return incomplete_; }  // upserts that lack values
	size_t moves() const { return moves_count_; }

	const std::vector<HistoryEntry>& history() const { return history_; }
	bool empty() const { return rows_.empty() && ledger_.empty() && history_.empty(); }
	void Clear();
	// Empties the set for another table version; its buffers keep their
	// capacity, so a sink reusing sets stops allocating once warm.
	void Restart(const TableVersion* table) {
		Clear();
		table_ = table;
	}

 private:
	// Renders a row's values, one span per column, at the end of spans_.
	Status Render(const wire::Row* row);
	// {"col": value, ...} of a wire row's carried columns; a column `row`
	// left unchanged is taken from `fallback` when that carries it.
	Status RenderDocument(const wire::Row* row, const wire::Row* fallback, std::string* out) const;
	// Records the change for the history table; the old-key copy of a key
	// change is not a change of its own and is not recorded.
	Status Record(const wire::Change& change, bool under_old_key, size_t message, int64_t message_time_ms,
	              uint32_t timeline);
	// The key's place in rows_ (a new one at the end), and *earlier its
	// action so far (nullptr when none), taken out of the counts; Store
	// then puts the new action there.
	size_t Slot(const std::string& key, const RowAction** earlier);
	void Store(size_t slot, const RowAction& action);
	// A move (kMove) waits in its old key's slot, so it comes after the old
	// key's earlier changes. A later change of that key (the key used again)
	// takes the slot: the move, which still writes the new key's row, goes
	// to the new key's slot first (the found one there is older: the new key
	// was free for the move). True when it did; the old key then has no row.
	bool MoveOutOfTheWay(size_t slot);
	// Both copies of one key move in the set: the new key's row writes the
	// row (the move's values fill what it lacks) and the old key's copy only
	// deletes the old key. Two rows for the new key would make one upsert
	// write it twice (PostgreSQL refuses that) or, one of them incomplete,
	// keep values older than the move's. True when `move` was merged so.
	bool MergeMoveIntoNewRow(const std::string& new_key, const RowAction& move);
	// Fills the columns the run at `into` does not carry from the run at `from`.
	void FillMissing(size_t into, size_t from);
	// Whether the run at `first` lacks a column (an unchanged TOAST value).
	bool Lacks(size_t first) const;
	// The old key's copy, a move of the change at `pos`, made a plain delete.
	void MakeMoveADelete(const std::string& old_key, const Position& pos);
	// A moved row that still lacks values waits for its old key's changes
	// that come later in the batch but earlier at the source (they were in
	// another partition): `key`'s action, just stored at `slot`, fills it.
	void AwaitOldRow(const std::string& old_key, size_t slot);
	void CompleteFromOldRow(const std::string& key, size_t slot);
	// KeyMoves::kLedger: the two copies of a key move whose new row left
	// values unchanged (`action` rendered, `earlier` the key's action so far).
	Status AddLedgerCopy(RowAction action, bool under_old_key, const RowAction* earlier, size_t slot);
	// Whether a key move's new row (`after`) leaves values unchanged.
	static bool LeavesValuesUnchanged(const wire::Row* after);

	const TableVersion* table_;
	ValueForm form_;
	bool keep_history_;
	KeyMoves moves_;
	std::string text_;                // every rendered value of the set
	std::vector<ValueSpan> spans_;    // into text_; a row's run of columns.size()
	std::vector<RowAction> rows_;
	std::vector<RowAction> ledger_;
	size_t owing_ = 0;  // rows that owe values (kLedger)
	std::unordered_map<std::string, size_t> index_;  // key as rendered for Kafka -> rows_
	struct AwaitedOldRow {
		size_t slot;       // the moved row in rows_
		Position pos;      // its change (the slot may be taken by a later one)
		size_t own_first;  // a copy of the values it carried itself
	};
	std::unordered_map<std::string, AwaitedOldRow> awaiting_;  // old key -> the row moved from it
	std::unordered_map<size_t, std::string> move_targets_;     // slot of a kMove -> the key it writes
	size_t deletes_ = 0, incomplete_ = 0, moves_count_ = 0;
	std::vector<HistoryEntry> history_;
};

}  // namespace flatwal

#endif  // FLATWAL_SINK_CHANGE_SET_H
