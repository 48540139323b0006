// debezium_routes.cpp — the Router's Debezium format (see router.h): which
// Debezium events a frame becomes, under which keys and headers. What each
// event holds is debezium_envelope.h's.
#include "number_text.h"
#include "router.h"
#include "wire_names.h"

namespace flatwal {
DebeziumEventContext Router::EventContext(char op, uint32_t xid, uint64_t commit_lsn, uint64_t lsn,
                                          const std::string* schema, const std::string* table) {
	DebeziumEventContext c;
	c.op = op;
	c.xid = xid;
	c.commit_lsn = commit_lsn;
	c.lsn = lsn;
	c.timeline = timeline_;
	c.commit_time_micros = commit_time_micros_;
	c.now_micros = now_micros_;
	if (!in_transaction_ || !options_.debezium.transaction_metadata) return c;
	c.in_transaction = true;
	c.transaction_id = transaction_id_;
	c.total_order = ++transaction_events_;
	if (schema == nullptr) return c;
	// Few tables change in one transaction: a linear search is the fast one,
	// comparing "<schema>.<table>" without building it for every event.
	const size_t size = schema->size() + 1 + table->size();
	for (auto& collection : collection_events_) {
		const std::string& name = collection.first;
		if (name.size() == size && name.compare(0, schema->size(), *schema) == 0 && name[schema->size()] == '.' &&
		    name.compare(schema->size() + 1, std::string::npos, *table) == 0)
			return c.data_collection_order = ++collection.second, c;
	}
	collection_events_.emplace_back(*schema + "." + *table, 1);
	c.data_collection_order = 1;
	return c;
}

Status Router::RouteDebeziumChange(const wire::Change& change, const TableVersion& table, RoutedMessages* out) {
	const wire::ChangeHeader* h = change.header();
	const DebeziumTable& layout = debezium_->Table(table);
	// Debezium's keys, from the images flatwal's keys were read from.
	// Emptied, not replaced: the strings keep their capacity from change to change.
	debezium_keys_.key.clear();
	debezium_keys_.old_key.clear();
	debezium_keys_.has_key = keys_.has_key;
	const bool key_moved = !keys_.old_key.empty();
	Status st = Status::Ok();
	if (keys_.has_key) {
		st = debezium_->Key(h->op() == wire::Op::Delete ? change.before() : change.after(), layout, &debezium_keys_.key);
		if (st.ok() && key_moved) st = debezium_->Key(change.before(), layout, &debezium_keys_.old_key);
		if (!st.ok()) return st;
	}
	auto add = [&](char op, bool under_old_key, bool tombstone) {
		if (debezium_->options().Skips(op)) return Status::Ok();  // skipped.operations (a tombstone goes with its delete)
		OutMessage& m = out->Add();
		m.topic = table_topic_;
		m.has_key = keys_.has_key;
		m.key = under_old_key ? debezium_keys_.old_key : debezium_keys_.key;
		m.tombstone = tombstone;
		if (h->op() != wire::Op::Read) m.timestamp_ms = commit_time_ms_;
		AddChangeHeaders(*h, table, under_old_key, key_moved, keys_, &m);
		if (under_old_key) m.AddHeader("__debezium.newkey", debezium_keys_.key);
		else if (key_moved) m.AddHeader("__debezium.oldkey", debezium_keys_.old_key);
		if (tombstone) return Status::Ok();
		m.rendered = true;
		DebeziumEventContext context = EventContext(op, h->xid(), h->commit_lsn(), h->lsn(), &table.schema, &table.table);
		if (op == 'r') context.snapshot = SnapshotOf(h->relid());
		return debezium_->ChangeValue(change, layout, context, &m.value);
	};
	const bool tombstones = options_.tombstones && keys_.has_key;
	switch (h->op()) {
		case wire::Op::Insert: return add('c', false, false);
		case wire::Op::Read:
			st = add('r', false, false);
			if (st.ok()) HoldSnapshotRow(h->relid(), out);
			return st;
		case wire::Op::Delete:
			st = add('d', false, false);
			if (st.ok() && tombstones) st = add('d', false, true);
			return st;
		case wire::Op::Update:
			if (!key_moved) return add('u', false, false);
			// As Debezium writes a key change: a delete under the old key
			// (and its tombstone), then a create under the new one.
			st = add('d', true, false);
			if (st.ok() && tombstones) st = add('d', true, true);
			if (st.ok()) st = add('c', false, false);
			return st;
	}
	return Status::Error(ErrorKind::kInvalidData, "a change has an operation this shipper does not know",
	                     "op " + std::to_string(static_cast<int>(h->op())),
	                     "Check that the slot uses the flatwal plugin of the same version as this shipper.");
}

void Router::RouteDebeziumTruncate(const wire::Truncate& truncate, RoutedMessages* out) {
	if (debezium_->options().Skips('t') || truncate.tables() == nullptr) return;  // skipped.operations: Debezium's default
	for (const wire::TableRef* ref : *truncate.tables()) {
		// A Debezium truncate empties its whole table: a partition truncated
		// on its own has no Debezium event (docs/debezium.md).
		if (ref->partition_of() != nullptr) continue;
		const std::string schema = flatbuffers::GetString(ref->schema_name());
		const std::string table = flatbuffers::GetString(ref->table_name());
		OutMessage& m = out->Add();
		m.topic = TableTopic(schema, table);
		m.timestamp_ms = commit_time_ms_;
		AddTruncateHeaders(truncate, "truncate", schema, table, &m);  // no key, as Debezium writes it
		m.rendered = true;
		debezium_->TruncateValue(schema, table,
		                         EventContext('t', truncate.xid(), truncate.commit_lsn(), truncate.lsn(), &schema, &table),
		                         &m.value);
	}
}

void Router::RouteDebeziumMessage(const wire::Message& message, RoutedMessages* out) {
	const size_t first = out->size();
	RouteMessage(message, out);  // the headers of the flatwal format
	OutMessage& m = out->At(first);
	m.topic = DebeziumMessageTopic();
	m.has_key = true;
	debezium_->MessageKey(message, &m.key);
	m.rendered = true;
	DebeziumEventContext context = EventContext('m', message.xid(), message.commit_lsn(), message.lsn(), nullptr, nullptr);
	if (!message.transactional()) {
		context.in_transaction = false;  // Debezium gives non-transactional messages no transaction block
		context.commit_time_micros = 0;
	}
	debezium_->MessageValue(message, context, &m.value);
}

void Router::FollowSnapshot(const wire::SnapshotMarker& marker, RoutedMessages* out) {
	if (marker.phase() == wire::SnapshotPhase::End) {
		ReleaseSnapshotRow(marker.relid(), true, out);
		snapshots_.erase(marker.relid());
		return;
	}
	// The initial snapshot's markers carry the slot's consistent point; on-demand ones carry 0.
	SnapshotRun& run = snapshots_[marker.relid()];
	run.initial = marker.consistent_lsn() != 0;
	run.first_sent = run.holding = false;
}

void Router::HoldSnapshotRow(uint32_t relid, RoutedMessages* out) {
	auto it = snapshots_.find(relid);
	if (it == snapshots_.end() || !it->second.initial) return;  // on-demand rows say "incremental" and go at once
	SnapshotRun& run = it->second;
	if (run.holding) {
		std::swap(out->At(out->size() - 1), run.held);  // the previous row goes out in this one's place
	} else {
		out->TakeLast(&run.held);
		run.holding = true;
	}
}

// A held row goes out when the next one arrives; the table's last row says
// "last_in_data_collection" (unless it was also the first).
void Router::ReleaseSnapshotRow(uint32_t relid, bool last, RoutedMessages* out) {
	auto it = snapshots_.find(relid);
	if (it == snapshots_.end() || !it->second.holding) return;
	SnapshotRun& run = it->second;
	run.holding = false;
	OutMessage& m = out->Add();
	std::swap(m, run.held);
	if (!last) return;
	// source.snapshot is the envelope's last "snapshot" key: row values
	// before it are JSON-escaped, and nothing after it is user text.
	static const std::string kKey = "\"snapshot\":\"true\"";
	const size_t at = m.value.rfind(kKey);
	if (at != std::string::npos) m.value.replace(at + kKey.size() - 5, 4, "last_in_data_collection");
}

// source.snapshot of a read row: "first" for the initial snapshot's first
// row, "first_in_data_collection" for each later table's first, "true" for
// the rest (the last becomes "last_in_data_collection" when it is released);
// "incremental" for on-demand snapshots. ("last", the whole snapshot's final
// row, is not known here: the tables' snapshots end one by one.)
const char* Router::SnapshotOf(uint32_t relid) {
	auto it = snapshots_.find(relid);
	if (it == snapshots_.end()) return "true";
	SnapshotRun& run = it->second;
	if (!run.initial) return "incremental";
	if (run.first_sent) return "true";
	run.first_sent = true;
	if (initial_snapshot_started_) return "first_in_data_collection";
	initial_snapshot_started_ = true;
	return "first";
}

void Router::BeginDebeziumTransaction(const wire::Begin& begin, RoutedMessages* out) {
	in_transaction_ = true;
	transaction_events_ = 0;
	collection_events_.clear();
	if (!options_.debezium.transaction_metadata) return;
	// Debezium names a PostgreSQL transaction "<txId>:<lsn>".
	transaction_id_.clear();
	AppendDecimal(begin.xid(), &transaction_id_);
	transaction_id_.push_back(':');
	AppendDecimal(begin.final_lsn(), &transaction_id_);
	OutMessage& m = out->Add();
	m.topic = DebeziumTransactionTopic();
	m.has_key = true;
	debezium_->TransactionKey(transaction_id_, &m.key);
	m.timestamp_ms = commit_time_ms_;
	if (AddLeadHeaders("begin", nullptr, nullptr, &m)) AppendDecimal(begin.xid(), &m.AddHeader(kHeaderXid));
	m.rendered = true;
	debezium_->TransactionValue(true, transaction_id_, begin.commit_time_micros(), 0, collection_events_, &m.value);
}

void Router::EndDebeziumTransaction(RoutedMessages* out) {
	if (!in_transaction_) return;
	in_transaction_ = false;
	if (!options_.debezium.transaction_metadata) return;
	OutMessage& m = out->Add();
	m.topic = DebeziumTransactionTopic();
	m.has_key = true;
	debezium_->TransactionKey(transaction_id_, &m.key);
	m.timestamp_ms = commit_time_micros_ / 1000;
	AddLeadHeaders("commit", nullptr, nullptr, &m);
	m.rendered = true;
	debezium_->TransactionValue(false, transaction_id_, commit_time_micros_, transaction_events_, collection_events_,
	                            &m.value);
}

}  // namespace flatwal
