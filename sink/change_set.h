// change_set.h — one target table's share of an open batch: the changes
// read from Kafka folded to one action per key (the last one wins; an update
// that left TOAST values unchanged keeps the values an earlier change of the
// batch carried), so the batch applies as a few set-based statements.
// Pure C++ over the wire types.
#ifndef FLATWAL_SINK_CHANGE_SET_H
#define FLATWAL_SINK_CHANGE_SET_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "position.h"
#include "schema_registry.h"
#include "status.h"
#include "wire.h"

namespace flatwal {

struct RowAction {
	enum class Op : uint8_t { kUpsert, kDelete };
	Op op = Op::kUpsert;
	// Per column of the table version: the value as JSON text that
	// jsonb_populate_record() reads into the column's type; empty when the
	// change did not carry it (unchanged TOAST: the target keeps its value).
	std::vector<std::string> values;
	std::vector<bool> carried;
	Position pos;
	uint64_t lsn = 0;      // the change record's LSN (0 for snapshot reads), ordered against truncates
	size_t message = 0;    // the batch's index of the Kafka message it came from (for the dead-letter topic)
	int64_t message_time_ms = -1;  // its Kafka message time: the source commit time (snapshot rows: when read)

	bool complete() const;
	// {"col": value, ...} of the carried columns.
	std::string Document(const SinkTable& table) const;
};

// One change as the history table keeps it (--history): not folded.
struct HistoryEntry {
	Position pos;
	uint64_t lsn = 0;
	uint32_t xid = 0;
	const char* op = "";
	std::string before, after;  // JSON objects of the carried columns; empty: no image
	int64_t message_time_ms = -1;   // the Kafka message time: the source commit time (a snapshot row: when it was read)
};

class ChangeSet {
 public:
	// `history`: also keep every change, unfolded, for the history table.
	explicit ChangeSet(const SinkTable* table, bool history = false) : table_(table), keep_history_(history) {}

	const SinkTable& table() const { return *table_; }
	// Folds a change in. An update that changed its key comes twice: under
	// the old key (`under_old_key`, header flatwal.new_key: that message
	// deletes the old key) and under the new one (which writes the row).
	// Fails (the change is a dead letter) when a value is malformed or the
	// change has no key to apply it by.
	Status Add(const wire::Change& change, bool under_old_key, size_t message, int64_t message_time_ms = -1);
	const std::unordered_map<std::string, RowAction>& rows() const { return rows_; }
	const std::vector<HistoryEntry>& history() const { return history_; }
	bool empty() const { return rows_.empty() && history_.empty(); }
	void Clear() {
		rows_.clear();
		history_.clear();
	}

 private:
	Status Render(const wire::Row* row, RowAction* action) const;
	// Records the change for the history table; the old-key copy of a key
	// change is not a change of its own and is not recorded.
	Status Record(const wire::Change& change, const RowAction& applied, bool under_old_key, int64_t message_time_ms);
	const SinkTable* table_;
	bool keep_history_;
	std::unordered_map<std::string, RowAction> rows_;  // by the key as rendered for Kafka
	std::vector<HistoryEntry> history_;
};

}  // namespace flatwal

#endif  // FLATWAL_SINK_CHANGE_SET_H
