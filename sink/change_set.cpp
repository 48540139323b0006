// change_set.cpp — see change_set.h.
#include "change_set.h"

#include "json_string.h"
#include "render_json.h"
#include "row_reader.h"
#include "wire_names.h"

namespace flatwal {

bool RowAction::complete() const {
	for (bool c : carried)
		if (!c) return false;
	return true;
}

std::string RowAction::Document(const SinkTable& table) const {
	std::string doc = "{";
	for (size_t i = 0; i < values.size() && i < table.columns.size(); ++i) {
		if (!carried[i]) continue;
		if (doc.size() > 1) doc.push_back(',');
		AppendJsonString(table.columns[i].name.data(), table.columns[i].name.size(), &doc);
		doc.push_back(':');
		doc += values[i];
	}
	doc.push_back('}');
	return doc;
}

Status ChangeSet::Render(const wire::Row* row, RowAction* action) const {
	const size_t n = table_->columns.size();
	action->values.assign(n, std::string());
	action->carried.assign(n, false);
	RowReader reader(row);
	if (reader.columns() != n)
		return Status::Error(ErrorKind::kInvalidParameter,
		                     "the row has " + std::to_string(reader.columns()) + " columns, its schema version " +
		                         std::to_string(n));
	ValueRef value;
	for (size_t i = 0; reader.Next(&value); ++i) {
		if (value.kind == wire::Kind::Absent || value.kind == wire::Kind::Unchanged) continue;
		if (!ValueIsWellFormed(value))
			return Status::Error(ErrorKind::kInvalidParameter, "column " + table_->columns[i].name + " holds a malformed value");
		RenderValue(value, ValueStyle::kPostgresInput, &action->values[i]);
		action->carried[i] = true;
	}
	return Status::Ok();
}

Status ChangeSet::Record(const wire::Change& change, const RowAction& applied, bool under_old_key, int64_t message_time_ms) {
	if (!keep_history_ || under_old_key) return Status::Ok();
	const wire::ChangeHeader* h = change.header();
	HistoryEntry entry;
	entry.pos = applied.pos;
	entry.lsn = h->lsn();
	entry.xid = h->xid();
	entry.op = OpName(h->op());
	entry.message_time_ms = message_time_ms;
	RowAction image;
	if (change.before() != nullptr) {
		Status st = Render(change.before(), &image);
		if (!st.ok()) return st;
		entry.before = image.Document(*table_);
	}
	if (change.after() != nullptr) {
		if (h->op() == wire::Op::Delete) return Status::Error(ErrorKind::kInvalidParameter, "a delete with a new row");
		entry.after = applied.Document(*table_);  // rendered already, unchanged values left out
	}
	history_.push_back(std::move(entry));
	return Status::Ok();
}

Status ChangeSet::Add(const wire::Change& change, bool under_old_key, size_t message, int64_t message_time_ms) {
	const wire::ChangeHeader* h = change.header();
	if (table_->keys.key_columns.empty())
		return Status::Error(ErrorKind::kNotSupported, "table " + table_->schema + "." + table_->table + " has no key",
		                     "flatwal-sink applies changes by key.",
		                     "Add a primary key (or a replica identity index) to the source table.");
	ChangeKeys keys;
	Status st = ChangeKeysOf(change, table_->keys, &keys);
	if (!st.ok()) return st;
	if (under_old_key && keys.old_key.empty())
		return Status::Error(ErrorKind::kInvalidParameter, "sent under an old key, but the change did not change its key");
	RowAction action;
	action.pos = Position{h->commit_lsn(), h->seq(), static_cast<uint8_t>(under_old_key ? 0 : 1)};
	action.lsn = h->lsn();
	action.message = message;
	action.message_time_ms = message_time_ms;
	const bool deletes = h->op() == wire::Op::Delete || under_old_key;
	if (deletes) {
		if (h->op() == wire::Op::Delete && h->old_image() == wire::OldImage::Unavailable)
			return Status::Error(ErrorKind::kNotSupported, "a delete without its old key",
			                     "The source table's replica identity logs nothing.",
			                     "Set REPLICA IDENTITY DEFAULT (with a primary key) or FULL on the source table.");
		action.op = RowAction::Op::kDelete;
		st = Render(change.before(), &action);
		if (st.ok() && h->op() == wire::Op::Delete) st = Record(change, action, under_old_key, message_time_ms);
		if (!st.ok()) return st;
		rows_[under_old_key ? keys.old_key : keys.key] = std::move(action);
		return Status::Ok();
	}
	st = Render(change.after(), &action);
	if (st.ok() && h->old_image() == wire::OldImage::Full && !action.complete()) {
		// REPLICA IDENTITY FULL logs the whole old row, TOAST values included:
		// a value the new row left unchanged is the old row's.
		RowAction old_row;
		st = Render(change.before(), &old_row);
		for (size_t i = 0; st.ok() && i < action.values.size(); ++i) {
			if (action.carried[i] || !old_row.carried[i]) continue;
			action.values[i] = std::move(old_row.values[i]);
			action.carried[i] = true;
		}
	}
	if (st.ok()) st = Record(change, action, under_old_key, message_time_ms);
	if (!st.ok()) return st;
	auto it = rows_.find(keys.key);
	if (it != rows_.end() && it->second.op == RowAction::Op::kUpsert) {
		// Values this change left unchanged are the ones the earlier change of the batch wrote.
		for (size_t i = 0; i < action.values.size(); ++i) {
			if (action.carried[i] || !it->second.carried[i]) continue;
			action.values[i] = std::move(it->second.values[i]);
			action.carried[i] = true;
		}
	}
	rows_[keys.key] = std::move(action);
	return Status::Ok();
}

}  // namespace flatwal
