// render_json.cpp — see render_json.h. Calendar arithmetic is proleptic
// Gregorian with astronomical year numbering (year 0 = 1 BC).
#include "render_json.h"

#include <charconv>
#include <cinttypes>
#include <climits>
#include <cmath>
#include <cstdio>
#include <memory>

#include "frames.h"

namespace flatwal {
namespace {

using namespace wire;

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

void AppendRaw(std::string* out, const char* s) { out->append(s); }

void AppendInt(std::string* out, int64_t v) {
	char buf[24];
	auto res = std::to_chars(buf, buf + sizeof buf, v);
	out->append(buf, res.ptr);
}

void AppendUnsigned(std::string* out, uint64_t v) {
	char buf[24];
	auto res = std::to_chars(buf, buf + sizeof buf, v);
	out->append(buf, res.ptr);
}

void AppendLsn(std::string* out, uint64_t lsn) {
	char buf[32];
	snprintf(buf, sizeof buf, "\"%X/%X\"", static_cast<unsigned>(lsn >> 32), static_cast<unsigned>(lsn));
	out->append(buf);
}

void AppendFloat(std::string* out, double v) {
	if (std::isnan(v)) return AppendRaw(out, "\"NaN\"");
	if (std::isinf(v)) return AppendRaw(out, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	char buf[32];
	auto res = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back exactly
	out->append(buf, res.ptr);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Howard Hinnant's civil_from_days.
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day) {
	days += 719468;
	const int64_t era = FloorDiv(days, 146097);
	const unsigned doe = static_cast<unsigned>(days - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = static_cast<int64_t>(yoe) + era * 400 + (*month <= 2);
}

void AppendDate(std::string* out, int64_t days) {
	int64_t y;
	unsigned m, d;
	CivilFromDays(days, &y, &m, &d);
	char buf[40];
	snprintf(buf, sizeof buf, y < 0 ? "-%04" PRId64 "-%02u-%02u" : "%04" PRId64 "-%02u-%02u", y < 0 ? -y : y, m, d);
	out->append(buf);
}

// hh:mm:ss[.ffffff], trailing zeros of the fraction dropped.
void AppendTimeOfDay(std::string* out, int64_t micros) {
	int64_t secs = micros / kMicrosPerSecond, frac = micros % kMicrosPerSecond;
	char buf[32];
	snprintf(buf, sizeof buf, "%02d:%02d:%02d", int(secs / 3600), int(secs / 60 % 60), int(secs % 60));
	out->append(buf);
	if (frac != 0) {
		snprintf(buf, sizeof buf, ".%06d", int(frac));
		size_t len = strlen(buf);
		while (buf[len - 1] == '0') --len;
		out->append(buf, len);
	}
}

void AppendTimestamp(std::string* out, int64_t micros, bool utc) {
	if (micros == INT64_MIN) return AppendRaw(out, "\"-infinity\"");
	if (micros == INT64_MAX) return AppendRaw(out, "\"infinity\"");
	int64_t days = FloorDiv(micros, kMicrosPerDay);
	out->push_back('"');
	AppendDate(out, days);
	out->push_back('T');
	AppendTimeOfDay(out, micros - days * kMicrosPerDay);
	if (utc) out->push_back('Z');
	out->push_back('"');
}

void AppendZoneOffset(std::string* out, int offset_seconds) {
	char sign = offset_seconds < 0 ? '-' : '+';
	int abs = offset_seconds < 0 ? -offset_seconds : offset_seconds;
	char buf[16];
	snprintf(buf, sizeof buf, "%c%02d:%02d", sign, abs / 3600, abs / 60 % 60);
	out->append(buf);
	if (abs % 60 != 0) {
		snprintf(buf, sizeof buf, ":%02d", abs % 60);
		out->append(buf);
	}
}

void AppendHex(std::string* out, const uint8_t* data, size_t size) {
	static const char kDigits[] = "0123456789abcdef";
	for (size_t i = 0; i < size; ++i) {
		out->push_back(kDigits[data[i] >> 4]);
		out->push_back(kDigits[data[i] & 15]);
	}
}

void AppendUuid(std::string* out, const Uuid16* uuid) {
	const uint8_t* b = uuid->bytes()->data();
	out->push_back('"');
	for (int i = 0; i < 16; ++i) {
		if (i == 4 || i == 6 || i == 8 || i == 10) out->push_back('-');
		AppendHex(out, b + i, 1);
	}
	out->push_back('"');
}

void AppendString(std::string* out, const flatbuffers::String* s) {
	if (s == nullptr) return AppendRaw(out, "null");
	AppendJsonString(s->c_str(), s->size(), out);
}

// Array elements nested by dimension: [[1,2],[3,4]] for a 2x2 array.
void AppendArrayLevel(std::string* out, const wire::Array* array, size_t dim, size_t* next, ValueStyle style) {
	const auto* dims = array->dimensions();
	const auto* elements = array->elements();
	out->push_back('[');
	int n = dims->Get(static_cast<flatbuffers::uoffset_t>(dim));
	for (int i = 0; i < n; ++i) {
		if (i) out->push_back(',');
		if (dim + 1 < dims->size()) {
			AppendArrayLevel(out, array, dim + 1, next, style);
		} else if (elements != nullptr && *next < elements->size()) {
			RenderValue(elements->Get(static_cast<flatbuffers::uoffset_t>((*next)++)), style, out);
		} else {
			out->append("null");
		}
	}
	out->push_back(']');
}

// True when the dimensions multiply out to exactly the number of elements.
// A frame can pass FlatBuffers verification and still lie here, and nesting
// by lying dimensions could loop for billions of iterations.
bool DimensionsMatchElements(const wire::Array* array) {
	uint64_t product = 1;
	for (int n : *array->dimensions()) {
		if (n <= 0) return false;
		product *= static_cast<uint64_t>(n);
		if (product > UINT32_MAX) return false;
	}
	uint64_t count = array->elements() ? array->elements()->size() : 0;
	return product == count;
}

void AppendArray(std::string* out, const wire::Array* array, ValueStyle style) {
	if (array->dimensions() == nullptr || array->dimensions()->size() == 0) return AppendRaw(out, "[]");
	if (!DimensionsMatchElements(array)) {
		out->append("{\"malformed_array\":true}");
		return;
	}
	size_t next = 0;
	AppendArrayLevel(out, array, 0, &next, style);
}

bool LowerBoundsAreDefault(const wire::Array* array) {
	if (array->lower_bounds() == nullptr) return true;
	for (int lb : *array->lower_bounds())
		if (lb != 1) return false;
	return true;
}

const char* DatumTag(Datum type) {
	switch (type) {
		case Datum::Bool: return "bool";
		case Datum::Int: return "int";
		case Datum::Float: return "float";
		case Datum::Text: return "text";
		case Datum::Bytes: return "bytes";
		case Datum::Numeric: return "numeric";
		case Datum::Date: return "date";
		case Datum::Time: return "time";
		case Datum::TimeTz: return "timetz";
		case Datum::Timestamp: return "timestamp";
		case Datum::TimestampTz: return "timestamptz";
		case Datum::Interval: return "interval";
		case Datum::Uuid: return "uuid";
		case Datum::Json: return "json";
		case Datum::Array: return "array";
		case Datum::TextOutput: return "text_output";
		default: return nullptr;
	}
}

void AppendDatumBody(std::string* out, const Value* v, ValueStyle style) {
	switch (v->datum_type()) {
		case Datum::Bool: return AppendRaw(out, v->datum_as_Bool()->value() ? "true" : "false");
		case Datum::Int: return AppendInt(out, v->datum_as_Int()->value());
		case Datum::Float: return AppendFloat(out, v->datum_as_Float()->value());
		case Datum::Text: return AppendString(out, v->datum_as_Text()->value());
		case Datum::Bytes: {
			const auto* bytes = v->datum_as_Bytes()->value();
			out->append("\"\\\\x");
			if (bytes) AppendHex(out, bytes->data(), bytes->size());
			out->push_back('"');
			return;
		}
		case Datum::Numeric: return AppendString(out, v->datum_as_Numeric()->value());
		case Datum::Date: {
			int days = v->datum_as_Date()->days();
			if (days == INT32_MIN) return AppendRaw(out, "\"-infinity\"");
			if (days == INT32_MAX) return AppendRaw(out, "\"infinity\"");
			out->push_back('"');
			AppendDate(out, days);
			out->push_back('"');
			return;
		}
		case Datum::Time:
			out->push_back('"');
			AppendTimeOfDay(out, v->datum_as_Time()->micros());
			out->push_back('"');
			return;
		case Datum::TimeTz:
			out->push_back('"');
			AppendTimeOfDay(out, v->datum_as_TimeTz()->micros());
			AppendZoneOffset(out, v->datum_as_TimeTz()->offset_seconds());
			out->push_back('"');
			return;
		case Datum::Timestamp: return AppendTimestamp(out, v->datum_as_Timestamp()->micros(), false);
		case Datum::TimestampTz: return AppendTimestamp(out, v->datum_as_TimestampTz()->micros(), true);
		case Datum::Interval: {
			const auto* iv = v->datum_as_Interval();
			out->append("{\"months\":");
			AppendInt(out, iv->months());
			out->append(",\"days\":");
			AppendInt(out, iv->days());
			out->append(",\"micros\":");
			AppendInt(out, iv->micros());
			out->push_back('}');
			return;
		}
		case Datum::Uuid:
			if (v->datum_as_Uuid()->value() == nullptr) return AppendRaw(out, "null");
			return AppendUuid(out, v->datum_as_Uuid()->value());
		case Datum::Json: {
			const auto* text = v->datum_as_Json()->value();
			return text ? out->append(text->c_str(), text->size()), void() : AppendRaw(out, "null");
		}
		case Datum::Array: return AppendArray(out, v->datum_as_Array(), style);
		case Datum::TextOutput: return AppendString(out, v->datum_as_TextOutput()->value());
		default: return AppendRaw(out, "null");
	}
}

void AppendRow(std::string* out, const Row* row) {
	if (row == nullptr || row->values() == nullptr) return AppendRaw(out, "null");
	out->push_back('[');
	bool first = true;
	for (const Value* v : *row->values()) {
		if (!first) out->push_back(',');
		first = false;
		RenderValue(v, ValueStyle::kTyped, out);
	}
	out->push_back(']');
}

void AppendBytesAsString(std::string* out, const flatbuffers::Vector<uint8_t>* bytes) {
	if (bytes == nullptr) return AppendRaw(out, "null");
	AppendJsonString(reinterpret_cast<const char*>(bytes->data()), bytes->size(), out);
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
	void Int(const char* name, int64_t v) { AppendInt(Key(name), v); }
	void Unsigned(const char* name, uint64_t v) { AppendUnsigned(Key(name), v); }
	void Bool(const char* name, bool v) { AppendRaw(Key(name), v ? "true" : "false"); }
	void Lsn(const char* name, uint64_t v) { AppendLsn(Key(name), v); }
	void Str(const char* name, const flatbuffers::String* s) { AppendString(Key(name), s); }
	void Literal(const char* name, const char* s) { AppendJsonString(s, strlen(s), Key(name)); }
	void Time(const char* name, int64_t micros) { AppendTimestamp(Key(name), micros, true); }
	void Close() { out_->push_back('}'); }

 private:
	std::string* out_;
	bool first_ = true;
};

const char* OpName(Op op) {
	switch (op) {
		case Op::Insert: return "insert";
		case Op::Update: return "update";
		case Op::Delete: return "delete";
		case Op::Read: return "read";
	}
	return "unknown";
}

const char* OldImageName(OldImage image) {
	switch (image) {
		case OldImage::None: return "none";
		case OldImage::Key: return "key";
		case OldImage::Full: return "full";
		case OldImage::Unavailable: return "unavailable";
	}
	return "unknown";
}

const char* IdentityName(ReplicaIdentity identity) {
	switch (identity) {
		case ReplicaIdentity::Default: return "default";
		case ReplicaIdentity::Nothing: return "nothing";
		case ReplicaIdentity::Full: return "full";
		case ReplicaIdentity::Index: return "index";
	}
	return "unknown";
}

void RenderChange(ObjectWriter& w, const Change* c) {
	w.Literal("op", OpName(c->op()));
	w.Unsigned("xid", c->xid());
	if (c->subxid() != 0) w.Unsigned("subxid", c->subxid());
	w.Lsn("lsn", c->lsn());
	w.Lsn("commit_lsn", c->commit_lsn());
	w.Unsigned("seq", c->seq());
	w.Unsigned("relid", c->relid());
	w.Str("schema", c->schema_name());
	w.Str("table", c->table_name());
	w.Unsigned("version", c->version());
	AppendBytesAsString(w.Key("key"), c->key());
	if (c->old_key() != nullptr) AppendBytesAsString(w.Key("old_key"), c->old_key());
	w.Literal("old_image", OldImageName(c->old_image()));
	AppendRow(w.Key("before"), c->before());
	AppendRow(w.Key("after"), c->after());
}

void RenderSchema(ObjectWriter& w, const Schema* s) {
	w.Unsigned("relid", s->relid());
	w.Str("schema", s->schema_name());
	w.Str("table", s->table_name());
	w.Unsigned("version", s->version());
	w.Literal("replica_identity", IdentityName(s->replica_identity()));
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
			AppendInt(out, k);
		}
	}
	out->push_back(']');
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
			tw.Close();
		}
	}
	out->push_back(']');
}

void RenderEvent(const Event* e, std::string* out) {
	ObjectWriter w(out);
	w.Unsigned("format_version", e->format_version());
	if (e->body() == nullptr) {
		w.Literal("event", "malformed");
		w.Close();
		return;
	}
	switch (e->body_type()) {
		case Body::Begin: {
			const auto* b = e->body_as_Begin();
			w.Literal("event", "begin");
			w.Unsigned("xid", b->xid());
			w.Lsn("final_lsn", b->final_lsn());
			w.Time("commit_time", b->commit_time_micros());
			break;
		}
		case Body::Commit: {
			const auto* c = e->body_as_Commit();
			w.Literal("event", "commit");
			w.Unsigned("xid", c->xid());
			w.Lsn("commit_lsn", c->commit_lsn());
			w.Lsn("end_lsn", c->end_lsn());
			w.Time("commit_time", c->commit_time_micros());
			break;
		}
		case Body::Change:
			w.Literal("event", "change");
			RenderChange(w, e->body_as_Change());
			break;
		case Body::Truncate: {
			const auto* t = e->body_as_Truncate();
			w.Literal("event", "truncate");
			w.Unsigned("xid", t->xid());
			w.Lsn("lsn", t->lsn());
			w.Lsn("commit_lsn", t->commit_lsn());
			RenderTables(w, t->tables());
			w.Bool("cascade", t->cascade());
			w.Bool("restart_identity", t->restart_identity());
			break;
		}
		case Body::Message: {
			const auto* m = e->body_as_Message();
			w.Literal("event", "message");
			w.Unsigned("xid", m->xid());
			w.Lsn("lsn", m->lsn());
			w.Lsn("commit_lsn", m->commit_lsn());
			w.Bool("transactional", m->transactional());
			w.Str("prefix", m->prefix());
			std::string* o = w.Key("content");
			o->append("\"\\\\x");
			if (m->content()) AppendHex(o, m->content()->data(), m->content()->size());
			o->push_back('"');
			break;
		}
		case Body::Schema:
			w.Literal("event", "schema");
			RenderSchema(w, e->body_as_Schema());
			break;
		case Body::StreamStart:
			w.Literal("event", "stream_start");
			w.Unsigned("xid", e->body_as_StreamStart()->xid());
			w.Bool("first_segment", e->body_as_StreamStart()->first_segment());
			break;
		case Body::StreamStop:
			w.Literal("event", "stream_stop");
			w.Unsigned("xid", e->body_as_StreamStop()->xid());
			break;
		case Body::StreamCommit: {
			const auto* c = e->body_as_StreamCommit();
			w.Literal("event", "stream_commit");
			w.Unsigned("xid", c->xid());
			w.Lsn("commit_lsn", c->commit_lsn());
			w.Lsn("end_lsn", c->end_lsn());
			w.Time("commit_time", c->commit_time_micros());
			break;
		}
		case Body::SnapshotMarker: {
			const auto* m = e->body_as_SnapshotMarker();
			w.Literal("event", m->phase() == SnapshotPhase::Start ? "snapshot_start" : "snapshot_end");
			w.Unsigned("relid", m->relid());
			w.Str("schema", m->schema_name());
			w.Str("table", m->table_name());
			w.Lsn("consistent_lsn", m->consistent_lsn());
			if (m->phase() == SnapshotPhase::End) w.Unsigned("rows", m->rows());
			break;
		}
		case Body::StreamAbort: {
			const auto* a = e->body_as_StreamAbort();
			w.Literal("event", "stream_abort");
			w.Unsigned("xid", a->xid());
			w.Unsigned("subxid", a->subxid());
			w.Lsn("abort_lsn", a->abort_lsn());
			break;
		}
		default:
			w.Literal("event", "unknown");
			break;
	}
	w.Close();
}

}  // namespace

void AppendJsonString(const char* text, size_t length, std::string* out) {
	out->push_back('"');
	for (size_t i = 0; i < length; ++i) {
		unsigned char c = static_cast<unsigned char>(text[i]);
		switch (c) {
			case '"': out->append("\\\""); break;
			case '\\': out->append("\\\\"); break;
			case '\n': out->append("\\n"); break;
			case '\r': out->append("\\r"); break;
			case '\t': out->append("\\t"); break;
			default:
				if (c < 0x20) {
					char buf[8];
					snprintf(buf, sizeof buf, "\\u%04x", c);
					out->append(buf);
				} else {
					out->push_back(static_cast<char>(c));
				}
		}
	}
	out->push_back('"');
}

void RenderValue(const Value* value, ValueStyle style, std::string* out) {
	if (value == nullptr) return AppendRaw(out, "null");
	Datum type = value->datum_type();
	if (type == Datum::Null) return AppendRaw(out, "null");
	if (type == Datum::Unchanged) return AppendRaw(out, "{\"unchanged\":true}");
	if (type == Datum::NONE) return AppendRaw(out, "{\"absent\":true}");
	if (value->datum() == nullptr) return AppendRaw(out, "{\"malformed_value\":true}");  // a type without a value
	const char* tag = DatumTag(type);
	if (tag == nullptr) {
		// A datum kind from a newer format, or a corrupt type byte: the verifier
		// lets unknown union members through, so say what it was.
		out->append("{\"unknown_datum_type\":");
		AppendUnsigned(out, static_cast<uint8_t>(type));
		out->push_back('}');
		return;
	}
	if (style == ValueStyle::kPlain) return AppendDatumBody(out, value, style);
	out->append("{\"");
	out->append(tag);
	out->append("\":");
	AppendDatumBody(out, value, style);
	if (type == Datum::Array) {
		const auto* array = value->datum_as_Array();
		out->append(",\"element_type_oid\":");
		AppendUnsigned(out, array->element_type_oid());
		if (!LowerBoundsAreDefault(array)) {
			out->append(",\"lower_bounds\":[");
			bool first = true;
			for (int lb : *array->lower_bounds()) {
				if (!first) out->push_back(',');
				first = false;
				AppendInt(out, lb);
			}
			out->push_back(']');
		}
	}
	out->push_back('}');
}

Status VerifyFrame(const uint8_t* frame, size_t length, const Event** event) {
	if (!LooksLikeBareFrame(frame, length))
		return Status::Error(ErrorKind::kInvalidData, "not a flatwal frame",
		                     "The bytes do not carry the file identifier \"FWAL\".",
		                     "Pass the data column of pg_logical_slot_get_binary_changes() for a flatwal slot, "
		                     "or a Kafka message value written by flatwal-shipper.");
	flatbuffers::Verifier verifier(frame, length);
	if (!VerifyEventBuffer(verifier))
		return Status::Error(ErrorKind::kInvalidData, "corrupt flatwal frame",
		                     "The frame of " + std::to_string(length) + " bytes fails FlatBuffers verification.");
	const Event* e = GetEvent(frame);
	if (e->format_version() == 0 || e->format_version() > kFormatVersion)
		return Status::Error(ErrorKind::kNotSupported, "unsupported flatwal format version",
		                     "The frame has format version " + std::to_string(e->format_version()) +
		                         "; this build reads versions 1 to " + std::to_string(kFormatVersion) + ".",
		                     "Upgrade the flatwal extension or consumer that reads it.");
	*event = e;
	return Status::Ok();
}

Status RenderFrameJson(const uint8_t* frame, size_t length, std::string* out) {
	// FlatBuffers fields are read in place, so give the frame 8-byte alignment.
	std::unique_ptr<uint64_t[]> aligned(new uint64_t[length / 8 + 1]);
	std::memcpy(aligned.get(), frame, length);
	const uint8_t* data = reinterpret_cast<const uint8_t*>(aligned.get());
	const Event* event = nullptr;
	Status st = VerifyFrame(data, length, &event);
	if (!st.ok()) return st;
	RenderEvent(event, out);
	return Status::Ok();
}

}  // namespace flatwal
