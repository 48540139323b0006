// render_json.cpp — see render_json.h.
#include "render_json.h"

#include <cinttypes>
#include <climits>
#include <cmath>

#include "array_walk.h"
#include "datetime_text.h"
#include "frame_reader.h"
#include "hex_text.h"
#include "json_check.h"
#include "json_string.h"
#include "lsn.h"
#include "number_text.h"
#include "row_reader.h"
#include "wire_names.h"

namespace flatwal {
namespace {

using namespace wire;

void AppendRaw(std::string* out, const char* s) { out->append(s); }

void AppendQuotedLsn(std::string* out, uint64_t lsn) {
	out->push_back('"');
	AppendLsn(lsn, out);
	out->push_back('"');
}

void AppendFloat(std::string* out, double v) {
	if (std::isnan(v)) return AppendRaw(out, "\"NaN\"");
	if (std::isinf(v)) return AppendRaw(out, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	AppendShortest(v, out);
}

// What a value whose payload is out of its kind's range renders as.
constexpr char kMalformedValue[] = "{\"malformed_value\":true}";
// PostgreSQL's time zone offsets stay within ±15:59:59; anything within a day is shown.
constexpr int kMaxZoneOffsetSeconds = 86400;

// Time of day: 00:00:00 to 24:00:00 (PostgreSQL accepts 24:00:00).
bool IsTimeOfDay(int64_t micros) { return micros >= 0 && micros <= kMicrosPerDay; }

// False when a payload lies outside what its kind can mean: a frame may carry
// any number where a date belongs, and any bytes where JSON belongs (copied
// into the output as they are, so they must be one JSON value).
bool PayloadInRange(const ValueRef& v) {
	switch (v.kind) {
		case Kind::Date: return v.integer >= INT32_MIN && v.integer <= INT32_MAX;
		case Kind::Time: return IsTimeOfDay(v.integer);
		case Kind::TimeTz:
			return IsTimeOfDay(v.timetz.micros()) && v.timetz.offset_seconds() >= -kMaxZoneOffsetSeconds &&
			       v.timetz.offset_seconds() <= kMaxZoneOffsetSeconds;
		case Kind::Json: return IsJsonValue(v.data, v.size);
		default: return true;
	}
}

void AppendTimestamp(std::string* out, int64_t micros, bool utc) {
	out->push_back('"');
	AppendTimestampText(micros, utc, out);
	out->push_back('"');
}

void AppendUuid(std::string* out, const Uuid16* uuid) {
	out->push_back('"');
	AppendUuidText(uuid->bytes()->data(), out);
	out->push_back('"');
}

void AppendString(std::string* out, const flatbuffers::String* s) {
	if (s == nullptr) return AppendRaw(out, "null");
	AppendJsonString(s->c_str(), s->size(), out, Utf8::kReplaceInvalid);
}

void AppendArray(std::string* out, const wire::Array* array, ValueStyle style) {
	if (array->dimensions() == nullptr || array->dimensions()->size() == 0) return AppendRaw(out, "[]");
	const size_t start = out->size();
	if (!ArrayDimensionsMatchElements(array) ||
	    !AppendNestedElements(array, '[', ']', ',', out, [&](const ValueRef& element) {
		    RenderValue(element, style, out);
		    return true;
	    })) {
		// Dimensions that do not add up, or an array inside one (ReadFrame refuses both).
		out->resize(start);
		out->append("{\"malformed_array\":true}");
	}
}

bool LowerBoundsAreDefault(const wire::Array* array) {
	if (array->lower_bounds() == nullptr) return true;
	for (int lb : *array->lower_bounds())
		if (lb != 1) return false;
	return true;
}

void AppendPayload(std::string* out, const ValueRef& v, ValueStyle style) {
	switch (v.kind) {
		case Kind::Bool: return AppendRaw(out, v.boolean ? "true" : "false");
		case Kind::Int: return AppendDecimal(v.integer, out);
		case Kind::Float: return AppendFloat(out, v.real);
		case Kind::Text:
		case Kind::Numeric:
		case Kind::TextOutput: return AppendJsonString(v.data, v.size, out, Utf8::kReplaceInvalid);
		case Kind::Json: return out->append(v.data, v.size), void();  // checked by PayloadInRange
		case Kind::Bytes:
			out->append("\"\\\\x");
			AppendHex(reinterpret_cast<const uint8_t*>(v.data), v.size, out);
			out->push_back('"');
			return;
		case Kind::Date:
			if (v.integer == INT32_MIN) return AppendRaw(out, "\"-infinity\"");
			if (v.integer == INT32_MAX) return AppendRaw(out, "\"infinity\"");
			out->push_back('"');
			AppendIsoDate(v.integer, out);
			out->push_back('"');
			return;
		case Kind::Time:
			out->push_back('"');
			AppendTimeOfDay(v.integer, out);
			out->push_back('"');
			return;
		case Kind::TimeTz:
			out->push_back('"');
			AppendTimeOfDay(v.timetz.micros(), out);
			AppendZoneOffset(v.timetz.offset_seconds(), out);
			out->push_back('"');
			return;
		case Kind::Timestamp: return AppendTimestamp(out, v.integer, false);
		case Kind::TimestampTz: return AppendTimestamp(out, v.integer, true);
		case Kind::Interval:
			if (style == ValueStyle::kPostgresInput) {
				out->push_back('"');
				AppendIntervalText(v.interval, out);
				out->push_back('"');
				return;
			}
			out->append("{\"months\":");
			AppendDecimal(v.interval.months(), out);
			out->append(",\"days\":");
			AppendDecimal(v.interval.days(), out);
			out->append(",\"micros\":");
			AppendDecimal(v.interval.micros(), out);
			out->push_back('}');
			return;
		case Kind::Uuid: return AppendUuid(out, &v.uuid);
		case Kind::Array: return AppendArray(out, v.array, style);
		default: return AppendRaw(out, "null");
	}
}

void AppendRow(std::string* out, const Row* row) {
	if (row == nullptr || row->kinds() == nullptr) return AppendRaw(out, "null");
	out->push_back('[');
	RowReader reader(row);
	ValueRef v;
	for (bool first = true; reader.Next(&v); first = false) {
		if (!first) out->push_back(',');
		RenderValue(v, ValueStyle::kTyped, out);
	}
	out->push_back(']');
}

// Small helper that writes "key":value pairs with commas in between.
class ObjectWriter {
 public:
	explicit ObjectWriter(std::string* out) : out_(out) { out_->push_back('{'); }
	std::string* Key(const char* name) {
		if (!first_) out_->push_back(',');
		first_ = false;
		out_->push_back('"');
		out_->append(name);
		out_->append("\":");
		return out_;
	}
	void Int(const char* name, int64_t v) { AppendDecimal(v, Key(name)); }
	void Unsigned(const char* name, uint64_t v) { AppendDecimal(v, Key(name)); }
	void Bool(const char* name, bool v) { AppendRaw(Key(name), v ? "true" : "false"); }
	void Lsn(const char* name, uint64_t v) { AppendQuotedLsn(Key(name), v); }
	void Str(const char* name, const flatbuffers::String* s) { AppendString(Key(name), s); }
	void Literal(const char* name, const char* s) { AppendJsonString(s, strlen(s), Key(name)); }
	void Time(const char* name, int64_t micros) { AppendTimestamp(Key(name), micros, true); }
	void Close() { out_->push_back('}'); }

 private:
	std::string* out_;
	bool first_ = true;
};

void RenderChange(ObjectWriter& w, const Change* c) {
	const ChangeHeader* h = c->header();  // required: the verifier refuses a change without it
	w.Literal("op", OpName(h->op()));
	w.Unsigned("xid", h->xid());
	if (h->subxid() != 0) w.Unsigned("subxid", h->subxid());
	w.Lsn("lsn", h->lsn());
	w.Lsn("commit_lsn", h->commit_lsn());
	w.Unsigned("seq", h->seq());
	w.Unsigned("relid", h->relid());
	w.Unsigned("version", h->version());
	w.Literal("old_image", OldImageName(h->old_image()));
	AppendRow(w.Key("before"), c->before());
	AppendRow(w.Key("after"), c->after());
}

void RenderSchema(ObjectWriter& w, const Schema* s) {
	w.Unsigned("relid", s->relid());
	w.Str("schema", s->schema_name());
	w.Str("table", s->table_name());
	w.Unsigned("version", s->version());
	w.Literal("replica_identity", ReplicaIdentityName(s->replica_identity()));
	std::string* out = w.Key("columns");
	out->push_back('[');
	if (s->columns() != nullptr) {
		bool first = true;
		for (const Column* col : *s->columns()) {
			if (!first) out->push_back(',');
			first = false;
			ObjectWriter cw(out);
			cw.Str("name", col->name());
			cw.Str("type", col->type_name());
			cw.Unsigned("type_oid", col->type_oid());
			if (col->base_type_oid() != col->type_oid()) cw.Unsigned("base_type_oid", col->base_type_oid());
			cw.Int("typmod", col->typmod());
			cw.Bool("not_null", col->not_null());
			cw.Bool("key", col->key());
			if (col->masked()) cw.Bool("masked", true);  // only when set: most columns are not
			if (col->attnum() != 0) cw.Int("attnum", col->attnum());
			if (col->missing_text() != nullptr) cw.Str("missing", col->missing_text());
			cw.Close();
		}
	}
	out->push_back(']');
	out = w.Key("key_columns");
	out->push_back('[');
	if (s->key_columns() != nullptr) {
		bool first = true;
		for (uint16_t k : *s->key_columns()) {
			if (!first) out->push_back(',');
			first = false;
			AppendDecimal(k, out);
		}
	}
	out->push_back(']');
	if (s->excluded_columns() != nullptr && s->excluded_columns()->size() > 0) {
		out = w.Key("excluded_columns");
		out->push_back('[');
		bool first = true;
		for (const flatbuffers::String* name : *s->excluded_columns()) {
			if (!first) out->push_back(',');
			first = false;
			AppendJsonString(name->c_str(), name->size(), out, Utf8::kReplaceInvalid);
		}
		out->push_back(']');
	}
}

void RenderTables(ObjectWriter& w, const flatbuffers::Vector<flatbuffers::Offset<TableRef>>* tables) {
	std::string* out = w.Key("tables");
	out->push_back('[');
	if (tables != nullptr) {
		bool first = true;
		for (const TableRef* t : *tables) {
			if (!first) out->push_back(',');
			first = false;
			ObjectWriter tw(out);
			tw.Unsigned("relid", t->relid());
			tw.Str("schema", t->schema_name());
			tw.Str("table", t->table_name());
			if (const TableRef* parent = t->partition_of()) {
				std::string* p = tw.Key("partition_of");
				ObjectWriter pw(p);
				pw.Unsigned("relid", parent->relid());
				pw.Str("schema", parent->schema_name());
				pw.Str("table", parent->table_name());
				pw.Close();
			}
			tw.Close();
		}
	}
	out->push_back(']');
}

void RenderBegin(ObjectWriter& w, const Begin* b) {
	w.Literal("event", "begin");
	w.Unsigned("xid", b->xid());
	w.Lsn("final_lsn", b->final_lsn());
	w.Time("commit_time", b->commit_time_micros());
}

void RenderCommit(ObjectWriter& w, const Commit* c) {
	w.Literal("event", "commit");
	w.Unsigned("xid", c->xid());
	w.Lsn("commit_lsn", c->commit_lsn());
	w.Lsn("end_lsn", c->end_lsn());
	w.Time("commit_time", c->commit_time_micros());
}

void RenderTruncate(ObjectWriter& w, const Truncate* t) {
	w.Literal("event", "truncate");
	w.Unsigned("xid", t->xid());
	w.Lsn("lsn", t->lsn());
	w.Lsn("commit_lsn", t->commit_lsn());
	RenderTables(w, t->tables());
	w.Bool("cascade", t->cascade());
	w.Bool("restart_identity", t->restart_identity());
}

void RenderMessage(ObjectWriter& w, const Message* m) {
	w.Literal("event", "message");
	w.Unsigned("xid", m->xid());
	w.Lsn("lsn", m->lsn());
	w.Lsn("commit_lsn", m->commit_lsn());
	w.Bool("transactional", m->transactional());
	w.Str("prefix", m->prefix());
	std::string* o = w.Key("content");
	o->append("\"\\\\x");
	if (m->content()) AppendHex(m->content()->data(), m->content()->size(), o);
	o->push_back('"');
}

void RenderStreamStart(ObjectWriter& w, const StreamStart* s) {
	w.Literal("event", "stream_start");
	w.Unsigned("xid", s->xid());
	w.Bool("first_segment", s->first_segment());
}

void RenderStreamStop(ObjectWriter& w, const StreamStop* s) {
	w.Literal("event", "stream_stop");
	w.Unsigned("xid", s->xid());
}

void RenderStreamCommit(ObjectWriter& w, const StreamCommit* c) {
	w.Literal("event", "stream_commit");
	w.Unsigned("xid", c->xid());
	w.Lsn("commit_lsn", c->commit_lsn());
	w.Lsn("end_lsn", c->end_lsn());
	w.Time("commit_time", c->commit_time_micros());
}

void RenderStreamAbort(ObjectWriter& w, const StreamAbort* a) {
	w.Literal("event", "stream_abort");
	w.Unsigned("xid", a->xid());
	w.Unsigned("subxid", a->subxid());
	w.Lsn("abort_lsn", a->abort_lsn());
}

void RenderSnapshotMarker(ObjectWriter& w, const SnapshotMarker* m) {
	w.Literal("event", m->phase() == SnapshotPhase::Start ? "snapshot_start" : "snapshot_end");
	w.Unsigned("relid", m->relid());
	w.Str("schema", m->schema_name());
	w.Str("table", m->table_name());
	w.Lsn("consistent_lsn", m->consistent_lsn());
	if (m->phase() == SnapshotPhase::End) w.Unsigned("rows", m->rows());
	if (m->resync()) w.Bool("resync", true);
}

void RenderBody(ObjectWriter& w, const Event& e) {
	switch (e.body_type()) {
		case Body::Begin: return RenderBegin(w, e.body_as_Begin());
		case Body::Commit: return RenderCommit(w, e.body_as_Commit());
		case Body::Change:
			w.Literal("event", "change");
			return RenderChange(w, e.body_as_Change());
		case Body::Truncate: return RenderTruncate(w, e.body_as_Truncate());
		case Body::Message: return RenderMessage(w, e.body_as_Message());
		case Body::Schema:
			w.Literal("event", "schema");
			return RenderSchema(w, e.body_as_Schema());
		case Body::StreamStart: return RenderStreamStart(w, e.body_as_StreamStart());
		case Body::StreamStop: return RenderStreamStop(w, e.body_as_StreamStop());
		case Body::StreamCommit: return RenderStreamCommit(w, e.body_as_StreamCommit());
		case Body::SnapshotMarker: return RenderSnapshotMarker(w, e.body_as_SnapshotMarker());
		case Body::StreamAbort: return RenderStreamAbort(w, e.body_as_StreamAbort());
		default: return w.Literal("event", "unknown");
	}
}

}  // namespace

bool ValueIsWellFormed(const ValueRef& value) { return !value.malformed && value.known && PayloadInRange(value); }

void RenderValue(const ValueRef& value, ValueStyle style, std::string* out) {
	if (value.malformed || !PayloadInRange(value)) return AppendRaw(out, kMalformedValue);
	if (!value.known) {
		// A kind from a newer format, or a corrupt kind byte: say what it was.
		out->append("{\"unknown_kind\":");
		AppendDecimal(static_cast<unsigned>(value.kind), out);
		out->push_back('}');
		return;
	}
	if (value.kind == Kind::Null) return AppendRaw(out, "null");
	if (value.kind == Kind::Unchanged) return AppendRaw(out, "{\"unchanged\":true}");
	if (value.kind == Kind::Absent) return AppendRaw(out, "{\"absent\":true}");
	if (style != ValueStyle::kTyped) return AppendPayload(out, value, style);
	out->append("{\"");
	out->append(KindName(value.kind));
	out->append("\":");
	AppendPayload(out, value, style);
	if (value.kind == Kind::Array) {
		out->append(",\"element_type_oid\":");
		AppendDecimal(value.array->element_type_oid(), out);
		if (!LowerBoundsAreDefault(value.array)) {
			out->append(",\"lower_bounds\":[");
			bool first = true;
			for (int lb : *value.array->lower_bounds()) {
				if (!first) out->push_back(',');
				first = false;
				AppendDecimal(lb, out);
			}
			out->push_back(']');
		}
	}
	out->push_back('}');
}

bool RenderRowKey(const Row* row, const uint16_t* key_columns, size_t count, std::string* out) {
	out->push_back('[');
	for (size_t i = 0; i < count; ++i) {
		if (i) out->push_back(',');
		// Keys are short: walking the row again per key column beats keeping an index.
		RowReader reader(row);
		ValueRef v;
		for (size_t column = 0; column <= key_columns[i]; ++column)
			if (!reader.Next(&v)) return false;
		RenderValue(v, ValueStyle::kPlain, out);
	}
	out->push_back(']');
	return true;
}

void RenderEventJson(const Event& event, std::string* out) {
	ObjectWriter w(out);
	w.Unsigned("format_version", event.format_version());
	if (event.timeline() != 0) w.Unsigned("timeline", event.timeline());
	if (event.body() == nullptr)
		w.Literal("event", "malformed");
	else
		RenderBody(w, event);
	w.Close();
}

Status RenderFrameJson(const uint8_t* frame, size_t length, std::string* out) {
	FrameScratch scratch;
	const Event* event = nullptr;
	Status st = ReadFrame(frame, length, &scratch, &event);
	if (st.ok()) RenderEventJson(*event, out);
	return st;
}

}  // namespace flatwal
