// decoder.cpp — the output plugin callbacks. They decide *what* to emit; the
// FrameEncoder decides *how*. Every callback is extern "C" and Guarded.
#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "frames.h"
#include "guard.h"
#include "plugin_state.h"

extern "C" {
PG_MODULE_MAGIC;
PGDLLEXPORT void _PG_output_plugin_init(OutputPluginCallbacks* cb);
}

namespace flatwal {
namespace {

// The session whose relation cache the relcache callback invalidates.
PluginState* g_active_state = nullptr;

// Every callback comes through here: the encoder learns the timeline of the
// WAL page being decoded (the reader follows the timeline history).
PluginState& StateOf(LogicalDecodingContext* ctx) {
	PluginState& st = *static_cast<PluginState*>(ctx->output_plugin_private);
	st.encoder.set_timeline(ctx->reader->currTLI);
	return st;
}

void OnRelcacheInvalidation(Datum, Oid relid) {
	if (g_active_state == nullptr) return;
	if (OidIsValid(relid))
		g_active_state->relations.Invalidate(relid);
	else
		g_active_state->relations.InvalidateAll();
}

void DeleteState(void* arg) {
	PluginState* state = static_cast<PluginState*>(arg);
	if (g_active_state == state) g_active_state = nullptr;
	delete state;
}

// ---------------------------------------------------------------- output

// Hands `parts` to the walsender as one message.
void WriteMessage(LogicalDecodingContext* ctx, std::initializer_list<std::pair<const char*, size_t>> parts) {
	OutputPluginPrepareWrite(ctx, true);
	for (const auto& part : parts) appendBinaryStringInfo(ctx->out, part.first, static_cast<int>(part.second));
	OutputPluginWrite(ctx, true);
}

void Flush(LogicalDecodingContext* ctx, PluginState& st) {
	if (st.pending.empty()) return;
	WriteMessage(ctx, {{st.pending.data(), st.pending.size()}});
	st.pending.clear();
	// A batch holds up to batch_bytes plus one frame; keep no more after a huge frame.
	if (st.pending.capacity() > std::max<size_t>(kRetainedScratchBytes, 2 * st.options.batch_bytes))
		std::string().swap(st.pending);
}

// Queues the frame the encoder just finished; writes when the batch is full.
// A frame that fills a batch by itself (every frame without batching, a huge
// row with it) goes straight to the walsender's buffer: queueing it would cost
// one more copy of it.
void Emit(LogicalDecodingContext* ctx, PluginState& st) {
	if (st.pending.empty() && st.encoder.size() + kFrameLengthBytes >= st.options.batch_bytes) {
		char prefix[kFrameLengthBytes];
		EncodeFrameLength(st.encoder.size(), prefix);
		WriteMessage(ctx, {{prefix, kFrameLengthBytes}, {reinterpret_cast<const char*>(st.encoder.data()), st.encoder.size()}});
		return;
	}
	AppendFrame(&st.pending, st.encoder.data(), st.encoder.size());
	if (st.pending.size() >= st.options.batch_bytes) Flush(ctx, st);
}

// Sends the frame that opens the current transaction or stream block, once.
void OpenTransaction(LogicalDecodingContext* ctx, PluginState& st, ReorderBufferTXN* txn) {
	if (TransactionIdIsValid(st.stream_xid)) {
		if (!st.stream_block_open) {
			bool first = st.stream_seq.find(txn->xid) == st.stream_seq.end();
			st.stream_seq.emplace(txn->xid, 0);
			st.encoder.StreamStart(txn->xid, first);
			Emit(ctx, st);
			st.stream_block_open = true;
		}
		return;
	}
	if (!st.txn_open) {
		st.txn_open = true;
		if (st.options.include_transaction) {
			st.encoder.Begin(txn->xid, txn->final_lsn, flatwal_commit_time(txn));
			Emit(ctx, st);
		}
	}
}

bool Streaming(const PluginState& st) { return TransactionIdIsValid(st.stream_xid); }

uint32 NextSeq(PluginState& st, ReorderBufferTXN* txn) {
	return Streaming(st) ? ++st.stream_seq[txn->xid] : ++st.txn_seq;
}

XLogRecPtr CommitLsnOf(const PluginState& st, ReorderBufferTXN* txn) {
	return Streaming(st) ? InvalidXLogRecPtr : txn->final_lsn;
}

// Runs body with the per-change memory context current, and resets it after.
template <typename Body>
void InChangeContext(PluginState& st, Body&& body) {
	MemoryContext old = MemoryContextSwitchTo(st.change_context);
	body();
	MemoryContextSwitchTo(old);
	MemoryContextReset(st.change_context);
}

void SendSchemaIfNew(LogicalDecodingContext* ctx, PluginState& st, Relation relation, RelInfo& info) {
	if (info.schema_sent && info.sent_version == info.version && info.sent_shape == info.shape) return;
	st.encoder.Schema(RelationGetRelid(relation), info);
	Emit(ctx, st);
	info.schema_sent = true;
	info.sent_version = info.version;
	info.sent_shape = info.shape;
}

// ---------------------------------------------------------------- callbacks

// Kept apart from Startup so that its C++ locals are gone before any call
// that may long-jump. Reading a List and its DefElems raises no error.
void ParseOptionList(List* list, Options* out) {
	std::vector<RawOption> raw;
	ListCell* cell;
	foreach (cell, list) {
		DefElem* elem = static_cast<DefElem*>(lfirst(cell));
		raw.push_back(RawOption{elem->defname, elem->arg != nullptr, elem->arg != nullptr ? strVal(elem->arg) : ""});
	}
	Check(ParseOptions(raw, out));
}

void Startup(LogicalDecodingContext* ctx, OutputPluginOptions* opt, bool is_init) {
	MemoryContext session = AllocSetContextCreate(ctx->context, "flatwal session", ALLOCSET_DEFAULT_SIZES);
	PluginState* st = new PluginState(session);
	MemoryContextCallback* cleanup =
	    static_cast<MemoryContextCallback*>(MemoryContextAlloc(session, sizeof(MemoryContextCallback)));
	cleanup->func = DeleteState;
	cleanup->arg = st;
	MemoryContextRegisterResetCallback(session, cleanup);
	ctx->output_plugin_private = st;
	opt->output_type = OUTPUT_PLUGIN_BINARY_OUTPUT;
	opt->receive_rewrites = false;

	ParseOptionList(ctx->output_plugin_options, &st->options);
	ctx->streaming = ctx->streaming && st->options.stream_changes;

	static bool callback_registered = false;
	if (!callback_registered) {
		CacheRegisterRelcacheCallback(OnRelcacheInvalidation, (Datum)0);
		callback_registered = true;
	}
	g_active_state = st;

	if (!is_init && !st->options.skip_origins.empty()) {
		// Origin names live in a catalog; the walsender calls us outside a transaction.
		bool own_transaction = !IsTransactionState();
		if (own_transaction) StartTransactionCommand();
		for (const std::string& name : st->options.skip_origins)
			st->skipped_origins.push_back(replorigin_by_name(name.c_str(), false));
		if (own_transaction) CommitTransactionCommand();
	}
}

// Begin is sent lazily by OpenTransaction, with the first captured change,
// so that transactions touching no captured table produce no frames.
void Begin(LogicalDecodingContext*, ReorderBufferTXN*) {}

void Commit(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, XLogRecPtr commit_lsn) {
	PluginState& st = StateOf(ctx);
	if (!st.txn_open) {
		OutputPluginUpdateProgress(ctx, true);  // nothing captured: let the client confirm past it
		return;
	}
	if (st.options.include_transaction) {
		st.encoder.Commit(txn->xid, commit_lsn, txn->end_lsn, flatwal_commit_time(txn));
		Emit(ctx, st);
	}
	Flush(ctx, st);
	st.txn_open = false;
	st.txn_seq = 0;
}

// Opens the partitioned table a partition's changes are published as.
Relation OpenPublishingAncestor(const RelInfo& partition) {
	Relation ancestor = RelationIdGetRelation(partition.publish_as);
	if (!RelationIsValid(ancestor))
		elog(ERROR, "flatwal: could not open partitioned table %u to publish its partition's change", partition.publish_as);
	return ancestor;
}

// Whether a TRUNCATE's relations hold every leaf partition of `table` (as
// the catalog was when it ran: decoding reads it under the historic snapshot).
bool AllPartitionsTruncated(Oid table, int nrelations, Relation relations[]) {
	List* members = find_all_inheritors(table, NoLock, nullptr);
	bool all = true;
	ListCell* cell;
	foreach (cell, members) {
		const Oid member = lfirst_oid(cell);
		if (get_rel_relkind(member) == RELKIND_PARTITIONED_TABLE) continue;  // no rows of its own
		bool truncated = false;
		for (int i = 0; i < nrelations && !truncated; ++i) truncated = RelationGetRelid(relations[i]) == member;
		all = all && truncated;
	}
	list_free(members);
	return all;
}

// A partition's row in the partitioned table's column order (they may differ:
// dropped columns, partitions attached with another layout). Allocated in the
// per-change memory context.
HeapTuple InAncestorRowType(HeapTuple tuple, TupleConversionMap* map) {
	return tuple != nullptr && map != nullptr ? execute_attr_map_tuple(tuple, map) : tuple;
}

void Change(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, Relation relation, ReorderBufferChange* change) {
	PluginState& st = StateOf(ctx);
	InChangeContext(st, [&] {
		RelInfo* info = &st.relations.Get(relation, st.options);
		if (!info->captured) return;
		ChangeMeta meta;
		switch (change->action) {
			case REORDER_BUFFER_CHANGE_INSERT: meta.op = wire::Op::Insert; break;
			case REORDER_BUFFER_CHANGE_UPDATE: meta.op = wire::Op::Update; break;
			case REORDER_BUFFER_CHANGE_DELETE: meta.op = wire::Op::Delete; break;
			default: return;
		}
		HeapTuple old_tuple = flatwal_change_old_tuple(change), new_tuple = flatwal_change_new_tuple(change);
		Relation published = relation;
		if (OidIsValid(info->publish_as)) {
			published = OpenPublishingAncestor(*info);
			TupleConversionMap* map = st.relations.AncestorMap(relation, published, info);
			old_tuple = InAncestorRowType(old_tuple, map);
			new_tuple = InAncestorRowType(new_tuple, map);
			info = &st.relations.Get(published, st.options);
		}
		OpenTransaction(ctx, st, txn);
		SendSchemaIfNew(ctx, st, published, *info);
		meta.xid = txn->xid;
		meta.subxid = change->txn != nullptr && change->txn->xid != txn->xid ? change->txn->xid : InvalidTransactionId;
		meta.lsn = change->lsn;
		meta.commit_lsn = CommitLsnOf(st, txn);
		meta.seq = NextSeq(st, txn);
		st.encoder.Change(published, *info, meta, old_tuple, new_tuple);
		Emit(ctx, st);
		if (published != relation) RelationClose(published);
	});
}

void Truncate(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, int nrelations, Relation relations[],
              ReorderBufferChange* change) {
	PluginState& st = StateOf(ctx);
	InChangeContext(st, [&] {
		st.truncated.clear();
		st.opened.clear();
		for (int i = 0; i < nrelations; ++i) {
			const RelInfo& info = st.relations.Get(relations[i], st.options);
			if (!info.captured) continue;
			if (!OidIsValid(info.publish_as)) {
				st.truncated.push_back({relations[i], nullptr});
				continue;
			}
			// A partition's truncate is its partitioned table's, named once,
			// when every partition of the table was truncated (TRUNCATE of
			// the table). A partition truncated on its own is named itself,
			// as a partition of it: consumers must not empty the whole table.
			bool named = false;
			for (const TruncatedTable& t : st.truncated) named |= RelationGetRelid(t.relation) == info.publish_as;
			if (named) continue;
			if (AllPartitionsTruncated(info.publish_as, nrelations, relations)) {
				st.opened.push_back(OpenPublishingAncestor(info));
				st.truncated.push_back({st.opened.back(), nullptr});
				continue;
			}
			Relation ancestor = nullptr;
			for (Relation r : st.opened) ancestor = RelationGetRelid(r) == info.publish_as ? r : ancestor;
			if (ancestor == nullptr) st.opened.push_back(ancestor = OpenPublishingAncestor(info));
			st.truncated.push_back({relations[i], ancestor});
		}
		if (!st.truncated.empty()) {
			OpenTransaction(ctx, st, txn);
			st.encoder.Truncate(txn->xid, change->lsn, CommitLsnOf(st, txn), st.truncated, change->data.truncate.cascade,
			                    change->data.truncate.restart_seqs);
			Emit(ctx, st);
		}
		for (Relation r : st.opened) RelationClose(r);
	});
}

void Message(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, XLogRecPtr lsn, bool transactional,
             const char* prefix, Size size, const char* content) {
	PluginState& st = StateOf(ctx);
	if (!st.options.include_messages) return;
	TransactionId xid = InvalidTransactionId;
	XLogRecPtr commit_lsn = InvalidXLogRecPtr;
	if (transactional) {
		OpenTransaction(ctx, st, txn);
		xid = txn->xid;
		commit_lsn = CommitLsnOf(st, txn);
	}
	st.encoder.Message(xid, lsn, commit_lsn, transactional, prefix, content, size);
	Emit(ctx, st);
	if (!transactional) Flush(ctx, st);
}

bool FilterByOrigin(LogicalDecodingContext* ctx, RepOriginId origin_id) {
	const PluginState& st = StateOf(ctx);
	if (origin_id == InvalidRepOriginId) return false;
	if (st.options.origin == OriginFilter::kNone) return true;
	for (RepOriginId skipped : st.skipped_origins)
		if (skipped == origin_id) return true;
	return false;
}

void StreamStart(LogicalDecodingContext* ctx, ReorderBufferTXN* txn) {
	PluginState& st = StateOf(ctx);
	st.stream_xid = txn->xid;
	st.stream_block_open = false;  // StreamStart is sent with the first captured change
}

void StreamStop(LogicalDecodingContext* ctx, ReorderBufferTXN* txn) {
	PluginState& st = StateOf(ctx);
	if (st.stream_block_open) {
		st.encoder.StreamStop(txn->xid);
		Emit(ctx, st);
	}
	Flush(ctx, st);
	st.stream_xid = InvalidTransactionId;
	st.stream_block_open = false;
}

void StreamCommit(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, XLogRecPtr commit_lsn) {
	PluginState& st = StateOf(ctx);
	if (st.stream_seq.erase(txn->xid) == 0) {
		OutputPluginUpdateProgress(ctx, true);
		return;
	}
	st.encoder.StreamCommit(txn->xid, commit_lsn, txn->end_lsn, flatwal_commit_time(txn));
	Emit(ctx, st);
	Flush(ctx, st);
}

void StreamAbort(LogicalDecodingContext* ctx, ReorderBufferTXN* txn, XLogRecPtr abort_lsn) {
	PluginState& st = StateOf(ctx);
	// txn is the top-level transaction or one of its subtransactions.
	TransactionId top = txn->toptxn != nullptr ? txn->toptxn->xid : txn->xid;
	if (st.stream_seq.find(top) == st.stream_seq.end()) return;
	st.encoder.StreamAbort(top, txn->xid == top ? InvalidTransactionId : txn->xid, abort_lsn);
	Emit(ctx, st);
	Flush(ctx, st);
	if (txn->xid == top) st.stream_seq.erase(top);
}

// Every entry point runs inside Guarded; these adapters keep the table below short.
template <auto Callback, typename... Args>
void Entry(Args... args) {
	Guarded([&] { Callback(args...); });
}

template <auto Callback, typename... Args>
bool FilterEntry(Args... args) {
	bool result = false;
	Guarded([&] { result = Callback(args...); });
	return result;
}

}  // namespace

PluginState::PluginState(MemoryContext session_context)
    : relations(session_context),
      change_context(AllocSetContextCreate(session_context, "flatwal change", ALLOCSET_DEFAULT_SIZES)) {}

}  // namespace flatwal

void _PG_output_plugin_init(OutputPluginCallbacks* cb) {
	using namespace flatwal;
	cb->startup_cb = Entry<Startup, LogicalDecodingContext*, OutputPluginOptions*, bool>;
	cb->begin_cb = Entry<Begin, LogicalDecodingContext*, ReorderBufferTXN*>;
	cb->change_cb = Entry<Change, LogicalDecodingContext*, ReorderBufferTXN*, Relation, ReorderBufferChange*>;
	cb->truncate_cb = Entry<Truncate, LogicalDecodingContext*, ReorderBufferTXN*, int, Relation*, ReorderBufferChange*>;
	cb->commit_cb = Entry<Commit, LogicalDecodingContext*, ReorderBufferTXN*, XLogRecPtr>;
	cb->message_cb = Entry<Message, LogicalDecodingContext*, ReorderBufferTXN*, XLogRecPtr, bool, const char*, Size,
	                       const char*>;
	cb->filter_by_origin_cb = FilterEntry<FilterByOrigin, LogicalDecodingContext*, RepOriginId>;
	cb->stream_start_cb = Entry<StreamStart, LogicalDecodingContext*, ReorderBufferTXN*>;
	cb->stream_stop_cb = Entry<StreamStop, LogicalDecodingContext*, ReorderBufferTXN*>;
	cb->stream_abort_cb = Entry<StreamAbort, LogicalDecodingContext*, ReorderBufferTXN*, XLogRecPtr>;
	cb->stream_commit_cb = Entry<StreamCommit, LogicalDecodingContext*, ReorderBufferTXN*, XLogRecPtr>;
	cb->stream_change_cb = cb->change_cb;
	cb->stream_message_cb = cb->message_cb;
	cb->stream_truncate_cb = cb->truncate_cb;
}
