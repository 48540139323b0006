// change_set.cpp — see change_set.h.
#include "change_set.h"

#include "json_string.h"
#include "render_json.h"
#include "render_pg_text.h"
#include "row_reader.h"
#include "wire_names.h"

namespace flatwal {

namespace {

// `"name":` after the members a JSON document already has.
void AppendMemberName(const std::string& name, std::string* doc) {
	if (doc->size() > 1) doc->push_back(',');
	AppendJsonString(name.data(), name.size(), doc);
	doc->push_back(':');
}

}  // namespace

const RowAction* ChangeSet::Find(const std::string& key) const {
	auto it = index_.find(key);
	return it == index_.end() ? nullptr : &rows_[it->second];
}

std::string ChangeSet::Document(const RowAction& row) const {
	std::string doc = "{";
	for (size_t i = 0; i < table_->columns.size(); ++i) {
		const ValueSpan& s = span(row, i);
		if (s.state == ValueSpan::State::kNotCarried) continue;
		AppendMemberName(table_->columns[i].name, &doc);
		if (s.state == ValueSpan::State::kNull) doc += "null";
		else doc += value(row, i);
	}
	doc.push_back('}');
	return doc;
}

void ChangeSet::Clear() {
	text_.clear();
	spans_.clear();
	rows_.clear();
	index_.clear();
	ledger_.clear();
	owing_ = 0;
	history_.clear();
	deletes_ = incomplete_ = 0;
}

Status ChangeSet::Render(const wire::Row* row) {
	const size_t n = table_->columns.size();
	RowReader reader(row);
	if (reader.columns() != n)
		return Status::Error(ErrorKind::kInvalidParameter,
		                     "the row has " + std::to_string(reader.columns()) + " columns, its schema version " +
		                         std::to_string(n));
	ValueRef value;
	for (size_t i = 0; reader.Next(&value); ++i) {
		ValueSpan s;
		s.offset = text_.size();
		if (value.kind == wire::Kind::Absent || value.kind == wire::Kind::Unchanged) {
			spans_.push_back(s);
			continue;
		}
		bool ok = true;
		if (form_ == ValueForm::kPgText) {
			switch (AppendPgText(value, &text_)) {
				case PgText::kValue: s.state = ValueSpan::State::kValue; break;
				case PgText::kNull: s.state = ValueSpan::State::kNull; break;
				case PgText::kMalformed: ok = false; break;
			}
		} else if ((ok = ValueIsWellFormed(value))) {
			if (value.kind == wire::Kind::Null) {
				s.state = ValueSpan::State::kNull;
			} else {
				RenderValue(value, ValueStyle::kPostgresInput, &text_);
				s.state = ValueSpan::State::kValue;
			}
		}
		if (!ok) return Status::Error(ErrorKind::kInvalidParameter, "column " + table_->columns[i].name + " holds a malformed value");
		s.size = static_cast<uint32_t>(text_.size() - s.offset);
		spans_.push_back(s);
	}
	return Status::Ok();
}

Status ChangeSet::RenderDocument(const wire::Row* row, const wire::Row* fallback, std::string* out) const {
	RowReader reader(row), old_reader(fallback);
	if (reader.columns() != table_->columns.size())
		return Status::Error(ErrorKind::kInvalidParameter, "the row has " + std::to_string(reader.columns()) +
		                                                       " columns, its schema version " +
		                                                       std::to_string(table_->columns.size()));
	const bool use_fallback = old_reader.columns() == reader.columns();
	out->push_back('{');
	ValueRef value, old_value;
	for (size_t i = 0; reader.Next(&value); ++i) {
		if (use_fallback) old_reader.Next(&old_value);
		const ValueRef* v = &value;
		if (value.kind == wire::Kind::Unchanged && use_fallback) v = &old_value;
		if (v->kind == wire::Kind::Absent || v->kind == wire::Kind::Unchanged) continue;
		if (!ValueIsWellFormed(*v))
			return Status::Error(ErrorKind::kInvalidParameter, "column " + table_->columns[i].name + " holds a malformed value");
		AppendMemberName(table_->columns[i].name, out);
		RenderValue(*v, ValueStyle::kPostgresInput, out);
	}
	out->push_back('}');
	return Status::Ok();
}

Status ChangeSet::Record(const wire::Change& change, bool under_old_key, size_t message, int64_t message_time_ms,
                         uint32_t timeline) {
	if (!keep_history_ || under_old_key) return Status::Ok();
	const wire::ChangeHeader* h = change.header();
	HistoryEntry entry;
	entry.pos = Position{timeline, h->commit_lsn(), h->seq(), 1};
	entry.lsn = h->lsn();
	entry.xid = h->xid();
	entry.op = OpName(h->op());
	entry.message_time_ms = message_time_ms;
	entry.message = message;
	Status st = Status::Ok();
	if (change.before() != nullptr) st = RenderDocument(change.before(), nullptr, &entry.before);
	if (st.ok() && change.after() != nullptr) {
		if (h->op() == wire::Op::Delete) return Status::Error(ErrorKind::kInvalidParameter, "a delete with a new row");
		// A FULL old image carries what the new row left unchanged (TOAST).
		const bool full = h->old_image() == wire::OldImage::Full;
		st = RenderDocument(change.after(), full ? change.before() : nullptr, &entry.after);
	}
	if (st.ok()) history_.push_back(std::move(entry));
	return st;
}

size_t ChangeSet::Slot(const std::string& key, const RowAction** earlier) {
	auto [it, added] = index_.try_emplace(key, rows_.size());
	if (added) {
		rows_.emplace_back();
		*earlier = nullptr;
	} else {
		const RowAction& old = rows_[it->second];
		if (old.owes) --owing_;
		if (old.op == RowAction::Op::kDelete) --deletes_;
		else if (!old.complete) --incomplete_;
		*earlier = &old;
	}
	return it->second;
}

void ChangeSet::Store(size_t slot, const RowAction& action) {
	if (action.owes) ++owing_;
	if (action.op == RowAction::Op::kDelete) ++deletes_;
	else if (!action.complete) ++incomplete_;
	rows_[slot] = action;
}

void ChangeSet::FillMissing(size_t into, size_t from) {
	for (size_t i = 0; i < table_->columns.size(); ++i) {
		ValueSpan& mine = spans_[into + i];
		const ValueSpan& theirs = spans_[from + i];
		if (mine.state == ValueSpan::State::kNotCarried && theirs.state != ValueSpan::State::kNotCarried) mine = theirs;
	}
}

bool ChangeSet::Lacks(size_t first) const {
	for (size_t i = 0; i < table_->columns.size(); ++i)
		if (spans_[first + i].state == ValueSpan::State::kNotCarried) return true;
	return false;
}

Status ChangeSet::Add(const wire::Change& change, bool under_old_key, size_t message, int64_t message_time_ms,
                      uint32_t timeline) {
	const wire::ChangeHeader* h = change.header();
	if (table_->key_columns.empty())
		return Status::Error(ErrorKind::kNotSupported, "table " + table_->schema + "." + table_->table + " has no key",
		                     "flatwal-sink applies changes by key.",
		                     "Add a primary key (or a replica identity index) to the source table.");
	ChangeKeys keys;
	Status st = ChangeKeysOf(change, *table_, &keys);
	if (!st.ok()) return st;
	if (under_old_key && keys.old_key.empty())
		return Status::Error(ErrorKind::kInvalidParameter, "sent under an old key, but the change did not change its key");
	const bool deletes = h->op() == wire::Op::Delete || under_old_key;
	if (h->op() == wire::Op::Delete && h->old_image() == wire::OldImage::Unavailable)
		return Status::Error(ErrorKind::kNotSupported, "a delete without its old key",
		                     "The source table's replica identity logs nothing.",
		                     "Set REPLICA IDENTITY DEFAULT (with a primary key) or FULL on the source table.");
	RowAction action;
	action.op = deletes ? RowAction::Op::kDelete : RowAction::Op::kUpsert;
	action.pos = Position{timeline, h->commit_lsn(), h->seq(), static_cast<uint8_t>(under_old_key ? 0 : 1)};
	action.lsn = h->lsn();
	action.message = message;
	action.message_time_ms = message_time_ms;
	action.first_value = spans_.size();
	// A refused change leaves the set as it was.
	const size_t text_mark = text_.size(), spans_mark = spans_.size(), history_mark = history_.size();
	auto undo = [&](Status why) {
		text_.resize(text_mark);
		spans_.resize(spans_mark);
		history_.resize(history_mark);
		return why;
	};
	// A key move whose new row left values unchanged (TOAST): each copy keeps
	// to its own key and the values go through the target's ledger (see
	// change_set.h). REPLICA IDENTITY FULL logs the whole old
	// row, so such a move's new-key copy is whole.
	if (!keys.old_key.empty() && change.after() != nullptr && h->old_image() != wire::OldImage::Full &&
	    LeavesValuesUnchanged(change.after())) {
		st = Render(under_old_key ? change.before() : change.after());
		if (st.ok() && !under_old_key) st = Record(change, under_old_key, message, message_time_ms, timeline);
		if (!st.ok()) return undo(st);
		const RowAction* earlier = nullptr;
		const size_t slot = Slot(under_old_key ? keys.old_key : keys.key, &earlier);
		return AddLedgerCopy(action, under_old_key, earlier, slot);
	}
	st = Render(deletes ? change.before() : change.after());
	if (st.ok() && !under_old_key) st = Record(change, under_old_key, message, message_time_ms, timeline);
	if (!st.ok()) return undo(st);
	const RowAction* earlier = nullptr;
	if (deletes) {
		Store(Slot(under_old_key ? keys.old_key : keys.key, &earlier), action);
		return Status::Ok();
	}
	auto lacks_any = [&] { return Lacks(action.first_value); };
	if (h->old_image() == wire::OldImage::Full && lacks_any()) {
		// REPLICA IDENTITY FULL logs the whole old row, TOAST values included:
		// a value the new row left unchanged is the old row's.
		const size_t old_first = spans_.size();
		st = Render(change.before());
		if (!st.ok()) return undo(st);
		FillMissing(action.first_value, old_first);
		spans_.resize(old_first);  // its text stays in text_, referenced by the spans taken
	}
	const size_t slot = Slot(keys.key, &earlier);
	// Values this change left unchanged are the ones the earlier change of
	// its key in the batch wrote — or still owes.
	if (earlier != nullptr && earlier->op == RowAction::Op::kUpsert && lacks_any()) {
		FillMissing(action.first_value, earlier->first_value);
		action.owes = earlier->owes && lacks_any();
		action.owed_from = earlier->owed_from;
	}
	action.complete = !lacks_any();
	Store(slot, action);
	return Status::Ok();
}

bool ChangeSet::LeavesValuesUnchanged(const wire::Row* after) {
	RowReader reader(after);
	ValueRef value;
	while (reader.Next(&value))
		if (value.kind == wire::Kind::Unchanged) return true;
	return false;
}

bool ChangeSet::MustApplyFirst(const wire::Change& change, bool under_old_key) const {
	if (owing_ == 0 || !under_old_key || change.after() == nullptr ||
	    change.header()->old_image() == wire::OldImage::Full || !LeavesValuesUnchanged(change.after()))
		return false;
	ChangeKeys keys;
	if (!ChangeKeysOf(change, *table_, &keys).ok() || keys.old_key.empty()) return false;
	const RowAction* row = Find(keys.old_key);
	return row != nullptr && row->owes;
}

Status ChangeSet::AddLedgerCopy(RowAction action, bool under_old_key, const RowAction* earlier, size_t slot) {
	action.owed_from = action.pos;
	if (under_old_key) {
		// The credit: the old row's values as the set has them — its key
		// (the rendered old-key image), then what an earlier upsert of it in
		// the set carried; the target's row has the rest, as of before the set.
		if (earlier != nullptr && earlier->owes) {
			Store(slot, *earlier);
			return Status::Error(ErrorKind::kInternal, "a key moved away from a row that owes values in the same set",
			                     "flatwal-sink applies the set before such a change (ChangeSet::MustApplyFirst).");
		}
		RowAction credit = action;
		credit.op = RowAction::Op::kCredit;
		credit.first_value = spans_.size();
		for (size_t i = 0; i < table_->columns.size(); ++i) spans_.push_back(spans_[action.first_value + i]);
		if (earlier != nullptr && earlier->op == RowAction::Op::kUpsert) FillMissing(credit.first_value, earlier->first_value);
		credit.complete = !Lacks(credit.first_value);
		ledger_.push_back(credit);
		action.op = RowAction::Op::kDelete;  // and the old key's row goes
		Store(slot, action);
		return Status::Ok();
	}
	// The new row, owing what it left unchanged; an earlier row of this key
	// was gone before the move and gives nothing.
	action.complete = false;
	action.owes = true;
	Store(slot, action);
	RowAction receipt = action;
	receipt.op = RowAction::Op::kReceipt;
	receipt.owes = false;
	ledger_.push_back(receipt);
	return Status::Ok();
}

}  // namespace flatwal
