// snapshot_functions.cpp — SQL functions that encode rows read by a snapshot
// with the very FrameEncoder the decoding callbacks use, so a consumer cannot
// tell a snapshot row from a streamed one except by op = read.
//
//   flatwal.read_frame(tbl regclass, row record, seq bigint, snapshot_lsn pg_lsn) -> bytea
//   flatwal.schema_frame(tbl regclass) -> bytea
#include "encoder.h"
#include "guard.h"

extern "C" {
PG_FUNCTION_INFO_V1(flatwal_read_frame);
PG_FUNCTION_INFO_V1(flatwal_schema_frame);
PGDLLEXPORT Datum flatwal_read_frame(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum flatwal_schema_frame(PG_FUNCTION_ARGS);
}

namespace flatwal {
namespace {

// Lives for one query (fn_extra), so a million-row snapshot reuses one builder.
struct QueryState {
	explicit QueryState(MemoryContext context) : relations(context) {}
	Options options;  // defaults: nothing here depends on them
	RelationCache relations;
	FrameEncoder encoder;
};

void DeleteQueryState(void* arg) { delete static_cast<QueryState*>(arg); }

QueryState& StateFor(FunctionCallInfo fcinfo) {
	FmgrInfo* flinfo = fcinfo->flinfo;
	if (flinfo->fn_extra == nullptr) {
		auto* callback = static_cast<MemoryContextCallback*>(
		    MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(MemoryContextCallback)));
		QueryState* state = new QueryState(flinfo->fn_mcxt);
		callback->func = DeleteQueryState;
		callback->arg = state;
		MemoryContextRegisterResetCallback(flinfo->fn_mcxt, callback);
		flinfo->fn_extra = state;
	}
	return *static_cast<QueryState*>(flinfo->fn_extra);
}

// The timeline this server writes (or, on a standby, replays): the one a
// snapshot's consistent point and rows belong to.
TimeLineID CurrentTimeline() {
	if (!RecoveryInProgress()) return GetWALInsertionTimeLine();
	TimeLineID replayed = 0;
	(void)GetXLogReplayRecPtr(&replayed);
	return replayed;
}

bytea* CopyFrame(const FrameEncoder& encoder) {
	bytea* out = static_cast<bytea*>(palloc(VARHDRSZ + encoder.size()));
	SET_VARSIZE(out, VARHDRSZ + encoder.size());
	memcpy(VARDATA(out), encoder.data(), encoder.size());
	return out;
}

}  // namespace
}  // namespace flatwal

Datum flatwal_read_frame(PG_FUNCTION_ARGS) {
	Oid relid = PG_GETARG_OID(0);
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(1);
	int64 seq = PG_GETARG_INT64(2);
	XLogRecPtr snapshot_lsn = PG_GETARG_LSN(3);
	bytea* frame = nullptr;
	flatwal::Guarded([&] {
		flatwal::QueryState& state = flatwal::StateFor(fcinfo);
		Relation rel = table_open(relid, AccessShareLock);
		if (HeapTupleHeaderGetTypeId(row) != rel->rd_rel->reltype)
			ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
			                errmsg("the row passed to flatwal.read_frame() is not a row of table %s",
			                       RelationGetRelationName(rel)),
			                errhint("Call it as flatwal.read_frame('t'::regclass, t, ...) FROM t.")));
		HeapTupleData tuple;
		tuple.t_len = HeapTupleHeaderGetDatumLength(row);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = relid;
		tuple.t_data = row;
		flatwal::ChangeMeta meta;
		meta.op = flatwal::wire::Op::Read;
		meta.xid = InvalidTransactionId;
		meta.subxid = InvalidTransactionId;
		meta.lsn = InvalidXLogRecPtr;
		meta.commit_lsn = snapshot_lsn;  // with seq, unique per snapshot; sorts before the stream
		meta.seq = static_cast<uint32>(seq);
		state.encoder.set_timeline(flatwal::CurrentTimeline());
		state.encoder.Change(rel, state.relations.Get(rel, state.options), meta, nullptr, &tuple);
		frame = flatwal::CopyFrame(state.encoder);
		table_close(rel, AccessShareLock);
	});
	PG_RETURN_BYTEA_P(frame);
}

Datum flatwal_schema_frame(PG_FUNCTION_ARGS) {
	Oid relid = PG_GETARG_OID(0);
	bytea* frame = nullptr;
	flatwal::Guarded([&] {
		flatwal::QueryState& state = flatwal::StateFor(fcinfo);
		Relation rel = table_open(relid, AccessShareLock);
		state.encoder.set_timeline(flatwal::CurrentTimeline());
		state.encoder.Schema(relid, state.relations.Get(rel, state.options));
		frame = flatwal::CopyFrame(state.encoder);
		table_close(rel, AccessShareLock);
	});
	PG_RETURN_BYTEA_P(frame);
}
