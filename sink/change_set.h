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

// A key move whose new row left values unchanged (TOAST, default replica
// identity: the WAL has neither the values nor the old row) comes as two
// copies, under the old key and under the new, in two partitions read in no
// order between them. Each copy writes only its own key's row, so a key's
// row follows its own partition's order (a late old-key copy never brings
// back a row its new key deleted since). The old-key copy records the old
// row's values (a credit, ledger()) and deletes the old row; the new-key
// copy writes the new row owing what it left unchanged (owes, owed_from)
// until the credit is there: the targets' ledgers settle it (pg_ledger.h,
// clickhouse_ledger.cpp), whichever copy comes first.

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
	// kCredit, kReceipt: entries of ChangeSet::ledger(), not rows.
	enum class Op : uint8_t { kUpsert, kDelete, kCredit, kReceipt };
	Op op = Op::kUpsert;
	bool complete = true;  // every column carried (else the target keeps the values it lacks)
	// The values an upsert lacks are owed by the key move at owed_from (whose
	// old-key copy has them), not the target row's; a credit or receipt is
	// that of the move at owed_from.
	bool owes = false;
	Position owed_from;
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

// The number a column goes by in what a moved row owes:
// its source attnum, or for a frame of a writer that did not know attnums
// (0) its place, which holds within one version.
inline int OwedAttnum(const TableVersion& table, size_t column) {
	return table.columns[column].attnum != 0 ? table.columns[column].attnum : static_cast<int>(column) + 1;
}

class ChangeSet {
 public:
	// `history`: also keep every change, unfolded, for the history table.
	ChangeSet(const TableVersion* table, ValueForm form, bool history = false)
	    : table_(table), form_(form), keep_history_(history) {}

	const TableVersion& table() const { return *table_; }
	// Folds a change in. An update that changed its key comes twice: under
	// the old key (`under_old_key`, header flatwal.new_key: that message
	// deletes the old key) and under the new one (which writes the row).
	// Fails (the change is a dead letter) when a value is malformed or the
	// change has no key to apply it by; the set is then as it was.
	// `timeline`: the frame's (Event.timeline), the first part of the position.
	Status Add(const wire::Change& change, bool under_old_key, size_t message, int64_t message_time_ms = -1,
	           uint32_t timeline = 0);

	// Whether `change` must wait for a fresh set — the
	// old-key copy of a move away from a key whose row in this set still
	// owes values (its credit would be a debt the set cannot settle in order).
	// The caller applies the set first, then adds the change.
	bool MustApplyFirst(const wire::Change& change, bool under_old_key) const;

	// One action per key, in the order the keys first came.
	const std::vector<RowAction>& rows() const { return rows_; }
	// The key moves that left values unchanged, beside
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
	// {"col": value, ...} of the carried columns (ValueForm::kJson sets).
	std::string Document(const RowAction& row) const;
	size_t deletes() const { return deletes_; }
	size_t incomplete() const { return incomplete_; }  // upserts that lack values

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
	// Fills the columns the run at `into` does not carry from the run at `from`.
	void FillMissing(size_t into, size_t from);
	// Whether the run at `first` lacks a column (an unchanged TOAST value).
	bool Lacks(size_t first) const;
	// The two copies of a key move whose new row left values unchanged
	// (`action` rendered, `earlier` the key's action so far).
	Status AddLedgerCopy(RowAction action, bool under_old_key, const RowAction* earlier, size_t slot);
	// Whether a key move's new row (`after`) leaves values unchanged.
	static bool LeavesValuesUnchanged(const wire::Row* after);

	const TableVersion* table_;
	ValueForm form_;
	bool keep_history_;
	std::string text_;                // every rendered value of the set
	std::vector<ValueSpan> spans_;    // into text_; a row's run of columns.size()
	std::vector<RowAction> rows_;
	std::vector<RowAction> ledger_;
	size_t owing_ = 0;  // rows that owe values
	std::unordered_map<std::string, size_t> index_;  // key as rendered for Kafka -> rows_
	size_t deletes_ = 0, incomplete_ = 0;
	std::vector<HistoryEntry> history_;
};

}  // namespace flatwal

#endif  // FLATWAL_SINK_CHANGE_SET_H
