// wire_names.cpp — see wire_names.h.
#include "wire_names.h"

namespace flatwal {

using namespace wire;

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
		case OldImage::KeyUnchanged: return "key_unchanged";
	}
	return "unknown";
}

const char* ReplicaIdentityName(ReplicaIdentity identity) {
	switch (identity) {
		case ReplicaIdentity::Default: return "default";
		case ReplicaIdentity::Nothing: return "nothing";
		case ReplicaIdentity::Full: return "full";
		case ReplicaIdentity::Index: return "index";
	}
	return "unknown";
}

const char* KindName(Kind kind) {
	switch (kind) {
		case Kind::Bool: return "bool";
		case Kind::Int: return "int";
		case Kind::Float: return "float";
		case Kind::Text: return "text";
		case Kind::Bytes: return "bytes";
		case Kind::Numeric: return "numeric";
		case Kind::Date: return "date";
		case Kind::Time: return "time";
		case Kind::TimeTz: return "timetz";
		case Kind::Timestamp: return "timestamp";
		case Kind::TimestampTz: return "timestamptz";
		case Kind::Interval: return "interval";
		case Kind::Uuid: return "uuid";
		case Kind::Json: return "json";
		case Kind::Array: return "array";
		case Kind::TextOutput: return "text_output";
		default: return nullptr;
	}
}

}  // namespace flatwal
