// debezium_types.cpp — see debezium_types.h.
#include "debezium_types.h"

#include <cstring>
#include <vector>

#include "array_walk.h"
#include "base64_text.h"
#include "datetime_text.h"
#include "debezium_scalars.h"
#include "frame_reader.h"
#include "hex_text.h"
#include "json_check.h"
#include "json_string.h"
#include "number_text.h"
#include "text.h"

namespace flatwal {
namespace {

using wire::Kind;

// PostgreSQL's built-in type OIDs (pg_type.dat); they never change.
enum TypeOid : uint32_t {
	kBoolOid = 16, kByteaOid = 17, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kOidOid = 26, kJsonOid = 114,
	kXmlOid = 142, kFloat4Oid = 700, kFloat8Oid = 701, kMoneyOid = 790, kDateOid = 1082, kTimeOid = 1083,
	kTimestampOid = 1114, kTimestampTzOid = 1184, kIntervalOid = 1186, kTimeTzOid = 1266, kBitOid = 1560,
	kVarbitOid = 1562, kNumericOid = 1700, kUuidOid = 2950, kJsonbOid = 3802,
};

// The element type of PostgreSQL's built-in array types.
uint32_t ArrayElementOid(uint32_t oid) {
	switch (oid) {
		case 1000: return kBoolOid;
		case 1001: return kByteaOid;
		case 1005: return kInt2Oid;
		case 1007: return kInt4Oid;
		case 1016: return kInt8Oid;
		case 1028: return kOidOid;
		case 1021: return kFloat4Oid;
		case 1022: return kFloat8Oid;
		case 1231: return kNumericOid;
		case 791: return kMoneyOid;
		case 1182: return kDateOid;
		case 1183: return kTimeOid;
		case 1115: return kTimestampOid;
		case 1185: return kTimestampTzOid;
		case 1187: return kIntervalOid;
		case 1270: return kTimeTzOid;
		case 2951: return kUuidOid;
		case 199: return kJsonOid;
		case 3807: return kJsonbOid;
		case 143: return kXmlOid;
		case 1561: return kBitOid;
		case 1563: return kVarbitOid;
		case 1009: case 1015: case 1014: case 1003: return 25;  // text, varchar, bpchar, name
		default: return 0;
	}
}

// PostgreSQL keeps numeric's precision and scale in its typmod, offset by
// the varlena header size; the scale is an 11-bit signed field since 15.
void NumericTypmod(int32_t typmod, FieldMapping* f) {
	const int32_t t = typmod - 4;
	f->precision = (t >> 16) & 0xffff;
	f->scale = ((t & 0x7ff) ^ 1024) - 1024;
}

FieldMapping MapScalar(uint32_t oid, int32_t typmod, const std::string& type_name, const DebeziumOptions& options) {
	FieldMapping f;
	switch (oid) {
		case kBoolOid: f.type = FieldType::kBoolean; break;
		case kInt2Oid: f.type = FieldType::kInt16; break;
		case kInt4Oid: f.type = FieldType::kInt32; break;
		case kInt8Oid:
		case kOidOid: f.type = FieldType::kInt64; break;
		case kFloat4Oid: f.type = FieldType::kFloat32; break;
		case kFloat8Oid: f.type = FieldType::kFloat64; break;
		case kByteaOid: f.type = FieldType::kBytes; break;
		case kJsonOid:
		case kJsonbOid: f.type = FieldType::kJson; break;
		case kXmlOid: f.type = FieldType::kXml; break;
		case kUuidOid: f.type = FieldType::kUuid; break;
		case kDateOid: f.type = FieldType::kDate; break;
		case kTimeOid: f.type = FieldType::kTime; f.precision = typmod; break;
		case kTimestampOid: f.type = FieldType::kTimestamp; f.precision = typmod; break;
		case kTimestampTzOid: f.type = FieldType::kTimestampTz; break;
		case kTimeTzOid: f.type = FieldType::kTimeTz; break;
		case kIntervalOid: f.type = FieldType::kInterval; break;
		case kBitOid:
			f.type = typmod == 1 ? FieldType::kBitBoolean : FieldType::kBits;
			f.length = typmod;
			break;
		case kVarbitOid:
			f.type = FieldType::kBits;
			f.length = typmod > 0 ? typmod : INT32_MAX;
			break;
		case kNumericOid:
			if (typmod >= 0) {
				f.type = FieldType::kDecimal;
				NumericTypmod(typmod, &f);
			} else {
				f.type = FieldType::kVariableDecimal;
			}
			break;
		case kMoneyOid:
			f.type = FieldType::kDecimal;
			f.money = true;
			f.scale = options.money_fraction_digits;
			break;
		default:
			// hstore is an extension's type: known by name only (format_type
			// qualifies it when its schema is not on the search path).
			f.type = type_name == "hstore" || EndsWith(type_name, ".hstore") ? FieldType::kHstore : FieldType::kString;
			break;
	}
	return f;
}

// ------------------------------------------------------------ the placeholder

void AppendPlaceholder(const FieldMapping& field, const DebeziumOptions& options, std::string* out) {
	const std::string& p = options.unavailable_placeholder;
	switch (field.type) {
		case FieldType::kBytes:
			// Bytes fields carry the placeholder's bytes (base64 under the JsonConverter).
			return AppendBinary(reinterpret_cast<const uint8_t*>(p.data()), p.size(), options, out);
		case FieldType::kDecimal:
		case FieldType::kVariableDecimal:
			if (options.decimal != DecimalMode::kPrecise) break;
			out->push_back('"');
			AppendBase64(reinterpret_cast<const uint8_t*>(p.data()), p.size(), out);
			out->push_back('"');
			return;
		case FieldType::kArray:
			out->push_back('[');
			AppendJsonString(p.data(), p.size(), out);
			out->push_back(']');
			return;
		case FieldType::kHstore:
			if (options.hstore == HstoreMode::kMap) {
				out->append("{\"");
				out->append("__debezium_unavailable_value\":");
				AppendJsonString(p.data(), p.size(), out);
				out->push_back('}');
				return;
			}
			break;
		default: break;
	}
	AppendJsonString(p.data(), p.size(), out);
}

bool AppendArray(const wire::Array* array, const FieldMapping& field, const DebeziumOptions& options, std::string* out);

// One value; false when the frame holds something no mapping can render.
bool AppendValue(const ValueRef& v, const FieldMapping& field, const DebeziumOptions& options, std::string* out) {
	if (v.malformed || !v.known) return false;
	switch (v.kind) {
		case Kind::Absent:
		case Kind::Null: out->append("null"); return true;
		case Kind::Unchanged: AppendPlaceholder(field, options, out); return true;
		case Kind::Bool: out->append(v.boolean ? "true" : "false"); return true;
		case Kind::Int: AppendDecimal(v.integer, out); return true;
		case Kind::Float:
			if (field.type == FieldType::kFloat32) AppendFloat32(v.real, out);
			else AppendDouble(v.real, out);
			return true;
		case Kind::Numeric: AppendNumeric(v, field, options, out); return true;
		case Kind::Text:
		case Kind::TextOutput:
			if (field.type == FieldType::kBitBoolean) {
				out->append(v.size == 1 && v.data[0] == '1' ? "true" : "false");
			} else if (field.type == FieldType::kBits) {
				AppendBits(v, out);
			} else if (field.type == FieldType::kDecimal && field.money) {
				AppendNumeric(v, field, options, out);
			} else if (field.type == FieldType::kHstore) {
				std::string object;
				if (!HstoreToJson(v.data, v.size, &object)) {
					AppendJsonString(v.data, v.size, out, Utf8::kReplaceInvalid);
				} else if (options.hstore == HstoreMode::kMap) {
					out->append(object);
				} else {
					AppendJsonString(object.data(), object.size(), out);
				}
			} else {
				AppendJsonString(v.data, v.size, out, Utf8::kReplaceInvalid);
			}
			return true;
		case Kind::Json:
			if (!IsJsonValue(v.data, v.size)) return false;
			AppendJsonString(v.data, v.size, out, Utf8::kReplaceInvalid);
			return true;
		case Kind::Bytes: AppendBinary(reinterpret_cast<const uint8_t*>(v.data), v.size, options, out); return true;
		case Kind::Uuid:
			out->push_back('"');
			AppendUuidText(v.uuid.bytes()->data(), out);
			out->push_back('"');
			return true;
		case Kind::Date:
			if (v.integer < INT32_MIN || v.integer > INT32_MAX) return false;
			if (options.time == TimePrecisionMode::kIsoString) {
				out->push_back('"');
				if (v.integer == INT32_MAX || v.integer == INT32_MIN) out->append(v.integer > 0 ? "infinity" : "-infinity");
				else AppendIsoDate(v.integer, out), out->push_back('Z');
				out->push_back('"');
			} else {
				AppendDecimal(v.integer, out);
			}
			return true;
		case Kind::Time:
			if (v.integer < 0 || v.integer > kMicrosPerDay) return false;
			if (options.time == TimePrecisionMode::kIsoString) AppendQuotedTime(v.integer, out);
			else AppendDecimal(TimeInMillis(field, options) ? v.integer / 1000 : v.integer, out);
			return true;
		case Kind::TimeTz:
			if (v.timetz.micros() < 0 || v.timetz.micros() > kMicrosPerDay) return false;
			AppendZonedTime(v.timetz, out);
			return true;
		case Kind::Timestamp: AppendTimestampValue(v.integer, field, options, out); return true;
		case Kind::TimestampTz:
			out->push_back('"');
			AppendTimestampText(v.integer, true, out);
			out->push_back('"');
			return true;
		case Kind::Interval:
			if (options.interval == IntervalMode::kString) AppendIsoInterval(v.interval, out);
			else AppendMicroDuration(v.interval, out);
			return true;
		case Kind::Array: return AppendArray(v.array, field, options, out);
		default: return false;
	}
}

bool AppendArray(const wire::Array* array, const FieldMapping& field, const DebeziumOptions& options, std::string* out) {
	const auto* dims = array->dimensions();
	if (dims == nullptr || dims->size() == 0) return out->append("[]"), true;
	if (!ArrayDimensionsMatchElements(array)) return false;
	FieldMapping element = field;
	element.type = field.element;
	return AppendNestedElements(array, '[', ']', ',', out,
	                            [&](const ValueRef& v) { return AppendValue(v, element, options, out); });
}

// ------------------------------------------------------------ schemas

struct SchemaShape {
	const char* type;
	const char* name = nullptr;  // the semantic type, when there is one
};

SchemaShape ShapeOf(FieldType type, const FieldMapping& f, const DebeziumOptions& o) {
	const bool iso = o.time == TimePrecisionMode::kIsoString;
	switch (type) {
		case FieldType::kBoolean:
		case FieldType::kBitBoolean: return {"boolean"};
		case FieldType::kInt16: return {"int16"};
		case FieldType::kInt32: return {"int32"};
		case FieldType::kInt64: return {"int64"};
		case FieldType::kFloat32: return {"float"};
		case FieldType::kFloat64: return {"double"};
		case FieldType::kString: return {"string"};
		case FieldType::kJson: return {"string", "io.debezium.data.Json"};
		case FieldType::kXml: return {"string", "io.debezium.data.Xml"};
		case FieldType::kUuid: return {"string", "io.debezium.data.Uuid"};
		case FieldType::kBytes: return {o.binary == BinaryMode::kBytes ? "bytes" : "string"};
		case FieldType::kBits: return {"bytes", "io.debezium.data.Bits"};
		case FieldType::kDecimal:
			if (o.decimal == DecimalMode::kDouble) return {"double"};
			if (o.decimal == DecimalMode::kString) return {"string"};
			return {"bytes", "org.apache.kafka.connect.data.Decimal"};
		case FieldType::kVariableDecimal:
			if (o.decimal == DecimalMode::kDouble) return {"double"};
			if (o.decimal == DecimalMode::kString) return {"string"};
			return {"struct", "io.debezium.data.VariableScaleDecimal"};
		case FieldType::kDate:
			if (iso) return {"string", "io.debezium.time.IsoDate"};
			return {"int32", o.time == TimePrecisionMode::kConnect ? "org.apache.kafka.connect.data.Date" : "io.debezium.time.Date"};
		case FieldType::kTime:
			if (iso) return {"string", "io.debezium.time.IsoTime"};
			if (o.time == TimePrecisionMode::kConnect) return {"int32", "org.apache.kafka.connect.data.Time"};
			return TimeInMillis(f, o) ? SchemaShape{"int32", "io.debezium.time.Time"}
			                          : SchemaShape{"int64", "io.debezium.time.MicroTime"};
		case FieldType::kTimestamp:
			if (iso) return {"string", "io.debezium.time.IsoTimestamp"};
			if (o.time == TimePrecisionMode::kConnect) return {"int64", "org.apache.kafka.connect.data.Timestamp"};
			return TimestampInMillis(f, o) ? SchemaShape{"int64", "io.debezium.time.Timestamp"}
			                               : SchemaShape{"int64", "io.debezium.time.MicroTimestamp"};
		case FieldType::kTimestampTz: return {"string", "io.debezium.time.ZonedTimestamp"};
		case FieldType::kTimeTz: return {"string", "io.debezium.time.ZonedTime"};
		case FieldType::kInterval:
			return o.interval == IntervalMode::kString ? SchemaShape{"string", "io.debezium.time.Interval"}
			                                           : SchemaShape{"int64", "io.debezium.time.MicroDuration"};
		case FieldType::kHstore: return o.hstore == HstoreMode::kMap ? SchemaShape{"map"} : SchemaShape{"string", "io.debezium.data.Json"};
		case FieldType::kArray: return {"array"};
	}
	return {"string"};
}

// The schema of a field or array element; `field_name` null for an element.
void AppendSchema(FieldType type, const FieldMapping& f, const DebeziumOptions& o, bool optional,
                  const std::string* field_name, std::string* out) {
	const SchemaShape shape = ShapeOf(type, f, o);
	out->append("{\"type\":\"");
	out->append(shape.type);
	out->push_back('"');
	if (type == FieldType::kArray) {
		out->append(",\"items\":");
		AppendSchema(f.element, f, o, true, nullptr, out);
	} else if (type == FieldType::kVariableDecimal && shape.name != nullptr) {
		out->append(",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"field\":\"scale\"},"
		            "{\"type\":\"bytes\",\"optional\":false,\"field\":\"value\"}]");
	} else if (type == FieldType::kHstore && o.hstore == HstoreMode::kMap) {
		out->append(",\"keys\":{\"type\":\"string\",\"optional\":false},\"values\":{\"type\":\"string\",\"optional\":true}");
	}
	out->append(optional ? ",\"optional\":true" : ",\"optional\":false");
	if (shape.name != nullptr) {
		out->append(",\"name\":\"");
		out->append(shape.name);
		out->append("\",\"version\":1");
		if (type == FieldType::kVariableDecimal) out->append(",\"doc\":\"Variable scaled decimal\"");
		if (type == FieldType::kDecimal && o.decimal == DecimalMode::kPrecise) {
			out->append(",\"parameters\":{\"scale\":\"");
			AppendDecimal(f.scale, out);
			out->push_back('"');
			if (!f.money && f.precision >= 0) {
				out->append(",\"connect.decimal.precision\":\"");
				AppendDecimal(f.precision, out);
				out->push_back('"');
			}
			out->push_back('}');
		}
		if (type == FieldType::kBits) {
			out->append(",\"parameters\":{\"length\":\"");
			AppendDecimal(f.length, out);
			out->append("\"}");
		}
	}
	if (field_name != nullptr) {
		out->append(",\"field\":");
		AppendJsonString(field_name->data(), field_name->size(), out, Utf8::kReplaceInvalid);
	}
	out->push_back('}');
}

struct OptionChoice {
	const char* text;
	int value;
};

template <typename Enum, size_t N>
Status Choose(const std::string& name, const std::string& value, const OptionChoice (&choices)[N], Enum* out) {
	std::string accepted;
	for (const OptionChoice& c : choices) {
		if (value == c.text) {
			*out = static_cast<Enum>(c.value);
			return Status::Ok();
		}
		accepted += accepted.empty() ? c.text : std::string(", ") + c.text;
	}
	return Status::Error(ErrorKind::kInvalidParameter, "invalid value \"" + value + "\" for " + name, "",
	                     "Use one of: " + accepted + ".");
}

Status ChooseBool(const std::string& name, const std::string& value, bool* out) {
	if (value == "true" || value == "false") {
		*out = value == "true";
		return Status::Ok();
	}
	return Status::Error(ErrorKind::kInvalidParameter, "invalid value \"" + value + "\" for " + name, "",
	                     "Use true or false.");
}

// A comma-separated list of c, u, d and t, or none (Debezium's spelling).
Status ChooseOperations(const std::string& name, const std::string& value, std::string* out) {
	std::string ops;
	size_t start = 0;
	while (start <= value.size()) {
		size_t comma = value.find(',', start);
		if (comma == std::string::npos) comma = value.size();
		const std::string item = TrimSpace(value.substr(start, comma - start));
		if (item == "none" && value.find(',') == std::string::npos) {
			ops.clear();
		} else if (item.size() == 1 && std::string("cudt").find(item[0]) != std::string::npos) {
			if (ops.find(item[0]) == std::string::npos) ops += item[0];
		} else {
			return Status::Error(ErrorKind::kInvalidParameter, "invalid value \"" + value + "\" for " + name, "",
			                     "Use a comma-separated list of c (inserts), u (updates), d (deletes) and "
			                     "t (truncates), or none.");
		}
		start = comma + 1;
	}
	*out = ops;
	return Status::Ok();
}

}  // namespace

FieldMapping MapColumn(const SchemaColumn& column, const DebeziumOptions& options) {
	const uint32_t oid = column.base_type_oid != 0 ? column.base_type_oid : column.type_oid;
	const uint32_t element = ArrayElementOid(oid);
	const bool is_array = element != 0 || EndsWith(column.type_name, "[]");
	if (!is_array) return MapScalar(oid, column.typmod, column.type_name, options);
	std::string element_name = column.type_name;
	if (EndsWith(element_name, "[]")) element_name.resize(element_name.size() - 2);
	FieldMapping f = MapScalar(element, column.typmod, element_name, options);
	f.element = f.type;
	f.type = FieldType::kArray;
	return f;
}

bool AppendDebeziumValue(const ValueRef& value, const FieldMapping& field, const DebeziumOptions& options,
                         std::string* out) {
	const size_t start = out->size();
	if (AppendValue(value, field, options, out)) return true;
	out->resize(start);
	return false;
}

void AppendFieldSchema(const FieldMapping& field, const DebeziumOptions& options, bool optional,
                       const std::string& field_name, std::string* out) {
	AppendSchema(field.type, field, options, optional, &field_name, out);
}

Status SetDebeziumOption(const std::string& name, const std::string& value, DebeziumOptions* o) {
	if (name == "decimal.handling.mode")
		return Choose(name, value, {{"precise", 0}, {"double", 1}, {"string", 2}}, &o->decimal);
	if (name == "time.precision.mode")
		return Choose(name, value, {{"adaptive", 0}, {"adaptive_time_microseconds", 1}, {"connect", 2}, {"isostring", 3}},
		              &o->time);
	if (name == "binary.handling.mode")
		return Choose(name, value, {{"bytes", 0}, {"base64", 1}, {"base64-url-safe", 2}, {"hex", 3}}, &o->binary);
	if (name == "interval.handling.mode") return Choose(name, value, {{"numeric", 0}, {"string", 1}}, &o->interval);
	if (name == "hstore.handling.mode") return Choose(name, value, {{"json", 0}, {"map", 1}}, &o->hstore);
	if (name == "schemas.enable") return ChooseBool(name, value, &o->schemas);
	if (name == "provide.transaction.metadata") return ChooseBool(name, value, &o->transaction_metadata);
	if (name == "unavailable.value.placeholder") {
		o->unavailable_placeholder = value;
		return Status::Ok();
	}
	if (name == "skipped.operations") return ChooseOperations(name, value, &o->skipped_operations);
	if (name == "money.fraction.digits") {
		int digits = -1;
		auto r = std::from_chars(value.data(), value.data() + value.size(), digits);
		if (r.ec == std::errc() && r.ptr == value.data() + value.size() && digits >= 0 && digits <= 20) {
			o->money_fraction_digits = digits;
			return Status::Ok();
		}
		return Status::Error(ErrorKind::kInvalidParameter, "invalid value \"" + value + "\" for " + name, "",
		                     "Use a number of digits from 0 to 20.");
	}
	return Status::Error(ErrorKind::kInvalidParameter, "unknown Debezium option \"" + name + "\"", "",
	                     "Known options: decimal.handling.mode, time.precision.mode, binary.handling.mode, "
	                     "interval.handling.mode, hstore.handling.mode, schemas.enable, provide.transaction.metadata, "
	                     "unavailable.value.placeholder, money.fraction.digits, skipped.operations.");
}

}  // namespace flatwal
