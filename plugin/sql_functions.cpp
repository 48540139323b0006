// sql_functions.cpp — the extension's C++ functions callable from SQL.
#include "frames.h"
#include "guard.h"
#include "render_json.h"

extern "C" {
PG_FUNCTION_INFO_V1(flatwal_to_json);
PG_FUNCTION_INFO_V1(flatwal_frames);
PG_FUNCTION_INFO_V1(flatwal_catalog_changed);
PGDLLEXPORT Datum flatwal_to_json(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum flatwal_frames(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum flatwal_catalog_changed(PG_FUNCTION_ARGS);
}

namespace flatwal {
namespace {

const char kPassFramesHint[] =
    "Pass the data column of pg_logical_slot_get_binary_changes() for a flatwal slot, or one Kafka message "
    "value written by flatwal-shipper.";

// Finds the single frame in `data`: a bare frame, or a message holding one frame.
Status SingleFrame(const uint8_t* data, size_t size, const uint8_t** frame, size_t* length) {
	if (LooksLikeBareFrame(data, size)) {
		*frame = data;
		*length = size;
		return Status::Ok();
	}
	FrameReader reader(data, size);
	if (!reader.Next(frame, length) || !LooksLikeBareFrame(*frame, *length))
		return Status::Error(ErrorKind::kInvalidData, "not a flatwal frame",
		                     "The " + std::to_string(size) + " bytes given are neither a frame nor a message of frames.",
		                     kPassFramesHint);
	const uint8_t* extra;
	size_t extra_length;
	if (reader.Next(&extra, &extra_length) || reader.malformed())
		return Status::Error(ErrorKind::kInvalidParameter, "the message holds more than one flatwal frame", {},
		                     "Split it first: SELECT flatwal.to_json(f) FROM flatwal.frames(data) AS f.");
	return Status::Ok();
}

// Copies into palloc'd memory without raising an error on failure, so no
// long-jump can pass over the caller's C++ objects.
char* CopyToPalloc(const std::string& text) {
	char* copy = static_cast<char*>(palloc_extended(text.size() + 1, MCXT_ALLOC_NO_OOM));
	if (copy == nullptr) throw std::bad_alloc();
	std::memcpy(copy, text.c_str(), text.size() + 1);
	return copy;
}

char* RenderToCString(const uint8_t* data, size_t size) {
	const uint8_t* frame = nullptr;
	size_t length = 0;
	Check(SingleFrame(data, size, &frame, &length));
	std::string json;
	Check(RenderFrameJson(frame, length, &json));
	return CopyToPalloc(json);
}

}  // namespace
}  // namespace flatwal

Datum flatwal_to_json(PG_FUNCTION_ARGS) {
	bytea* data = PG_GETARG_BYTEA_PP(0);
	char* json = nullptr;
	flatwal::Guarded([&] {
		json = flatwal::RenderToCString(reinterpret_cast<const uint8_t*>(VARDATA_ANY(data)), VARSIZE_ANY_EXHDR(data));
	});
	// json_in checks the text once more (syntax, encoding) and keeps it as written.
	return DirectFunctionCall1(json_in, CStringGetDatum(json));
}

Datum flatwal_frames(PG_FUNCTION_ARGS) {
	bytea* data = PG_GETARG_BYTEA_PP(0);
	const uint8_t* bytes = reinterpret_cast<const uint8_t*>(VARDATA_ANY(data));
	size_t size = VARSIZE_ANY_EXHDR(data);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
	flatwal::Guarded([&] {
		auto put = [&](const uint8_t* frame, size_t length) {
			bytea* out = static_cast<bytea*>(palloc(VARHDRSZ + length));
			SET_VARSIZE(out, VARHDRSZ + length);
			memcpy(VARDATA(out), frame, length);
			Datum value = PointerGetDatum(out);
			bool isnull = false;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
		};
		if (flatwal::LooksLikeBareFrame(bytes, size)) return put(bytes, size);
		flatwal::FrameReader reader(bytes, size);
		const uint8_t* frame;
		size_t length;
		while (reader.Next(&frame, &length)) put(frame, length);
		if (reader.malformed())
			flatwal::Check(flatwal::Status::Error(
			    flatwal::ErrorKind::kInvalidData, "malformed flatwal message",
			    "A frame length at byte " + std::to_string(reader.offset()) + " runs past the end of the " +
			        std::to_string(size) + " bytes given.",
			    flatwal::kPassFramesHint));
	});
	return (Datum)0;
}

// AFTER ROW trigger on flatwal.source_tables and flatwal.schema_versions: a
// row changed for table `relid`, so logical decoding sessions must re-read
// that table's registration. The relcache invalidation is WAL-logged with
// this transaction and replayed by decoding at exactly this point.
Datum flatwal_catalog_changed(PG_FUNCTION_ARGS) {
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("flatwal.catalog_changed() must be called as a trigger")));
	flatwal::Guarded([&] {
		TriggerData* trigger = reinterpret_cast<TriggerData*>(fcinfo->context);
		TupleDesc desc = RelationGetDescr(trigger->tg_relation);
		int attnum = SPI_fnumber(desc, "relid");
		if (attnum <= 0) elog(ERROR, "flatwal.catalog_changed(): table %s has no relid column",
		                      RelationGetRelationName(trigger->tg_relation));
		HeapTuple tuples[2] = {trigger->tg_trigtuple, trigger->tg_newtuple};
		for (HeapTuple tuple : tuples) {
			if (tuple == nullptr) continue;
			bool isnull;
			Oid relid = DatumGetObjectId(heap_getattr(tuple, attnum, desc, &isnull));
			if (!isnull && SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid))) CacheInvalidateRelcacheByRelid(relid);
		}
	});
	return PointerGetDatum(nullptr);
}
