// pgoutput_messages.cpp — see pgoutput_messages.h. Integers are big-endian;
// strings end with a NUL byte.
#include "pgoutput_messages.h"

#include <cstring>
#include <string>

namespace flatwal {
namespace pgoutput {
namespace {

// A cursor over one message that refuses to read past its end: after the
// first short read every later read fails too, and the caller checks once.
class Cursor {
 public:
	Cursor(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}

	bool failed() const { return failed_; }
	bool at_end() const { return p_ == end_; }

	uint64_t Unsigned(int bytes) {
		if (!Need(static_cast<size_t>(bytes))) return 0;
		uint64_t v = 0;
		for (int i = 0; i < bytes; ++i) v = (v << 8) | p_[i];
		p_ += bytes;
		return v;
	}
	uint8_t U8() { return static_cast<uint8_t>(Unsigned(1)); }
	uint16_t U16() { return static_cast<uint16_t>(Unsigned(2)); }
	uint32_t U32() { return static_cast<uint32_t>(Unsigned(4)); }
	uint64_t U64() { return Unsigned(8); }

	std::string_view CString() {
		if (failed_) return {};
		const void* nul = std::memchr(p_, 0, static_cast<size_t>(end_ - p_));
		if (nul == nullptr) {
			failed_ = true;
			return {};
		}
		std::string_view s(reinterpret_cast<const char*>(p_), static_cast<const uint8_t*>(nul) - p_);
		p_ = static_cast<const uint8_t*>(nul) + 1;
		return s;
	}

	std::string_view Bytes(size_t n) {
		if (!Need(n)) return {};
		std::string_view s(reinterpret_cast<const char*>(p_), n);
		p_ += n;
		return s;
	}

 private:
	bool Need(size_t n) {
		if (failed_ || static_cast<size_t>(end_ - p_) < n) failed_ = true;
		return !failed_;
	}
	const uint8_t* p_;
	const uint8_t* end_;
	bool failed_ = false;
};

Status Malformed(Type type, const std::string& what) {
	return Status::Error(ErrorKind::kInvalidData, std::string("malformed pgoutput ") + TypeName(type) + " message: " + what,
	                     "", "The slot must be a slot of PostgreSQL's pgoutput plugin streamed by one client.");
}

// TupleData: a column count, then per column its format byte and, for text
// and binary values, a length and the bytes.
bool ReadTuple(Cursor* c, std::vector<Value>* values) {
	uint16_t count = c->U16();
	values->clear();
	for (uint16_t i = 0; i < count && !c->failed(); ++i) {
		Value v;
		v.format = static_cast<char>(c->U8());
		if (v.format == 't' || v.format == 'b') {
			uint32_t length = c->U32();
			v.data = c->Bytes(length);
		} else if (v.format != 'n' && v.format != 'u') {
			return false;
		}
		values->push_back(v);
	}
	return !c->failed();
}

Status ReadChange(Type type, Cursor* c, Change* out) {
	out->type = type;
	out->relid = c->U32();
	out->old_kind = 0;
	out->old_values.clear();
	out->new_values.clear();
	char tag = static_cast<char>(c->U8());
	if (tag == 'K' || tag == 'O') {
		if (type == Type::kInsert) return Malformed(type, "an insert with an old row");
		out->old_kind = tag;
		if (!ReadTuple(c, &out->old_values)) return Malformed(type, "its old row is cut short or has an unknown value kind");
		if (type == Type::kUpdate) tag = static_cast<char>(c->U8());
	}
	if (type == Type::kDelete) {
		if (out->old_kind == 0) return Malformed(type, "a delete without its old row's key");
	} else {
		if (tag != 'N') return Malformed(type, "no new row where one was expected");
		if (!ReadTuple(c, &out->new_values)) return Malformed(type, "its new row is cut short or has an unknown value kind");
	}
	return Status::Ok();
}

}  // namespace

const char* TypeName(Type type) {
	switch (type) {
		case Type::kBegin: return "Begin";
		case Type::kCommit: return "Commit";
		case Type::kOrigin: return "Origin";
		case Type::kRelation: return "Relation";
		case Type::kType: return "Type";
		case Type::kInsert: return "Insert";
		case Type::kUpdate: return "Update";
		case Type::kDelete: return "Delete";
		case Type::kTruncate: return "Truncate";
		case Type::kMessage: return "Message";
		case Type::kStreamStart: return "Stream Start";
		case Type::kStreamStop: return "Stream Stop";
		case Type::kStreamCommit: return "Stream Commit";
		case Type::kStreamAbort: return "Stream Abort";
		case Type::kBeginPrepare: return "Begin Prepare";
		case Type::kPrepare: return "Prepare";
		case Type::kCommitPrepared: return "Commit Prepared";
		case Type::kRollbackPrepared: return "Rollback Prepared";
		case Type::kStreamPrepare: return "Stream Prepare";
	}
	return "unknown";
}

Status Decode(const uint8_t* data, size_t size, bool streaming, Decoded* out) {
	if (size == 0) return Status::Error(ErrorKind::kInvalidData, "empty pgoutput message");
	Cursor c(data + 1, size - 1);
	const Type type = static_cast<Type>(data[0]);
	out->type = type;
	Status st = Status::Ok();
	switch (type) {
		case Type::kBegin:
			out->begin.final_lsn = c.U64();
			out->begin.commit_time_pg = static_cast<int64_t>(c.U64());
			out->begin.xid = c.U32();
			break;
		case Type::kCommit:
			(void)c.U8();  // flags: none defined
			out->commit.commit_lsn = c.U64();
			out->commit.end_lsn = c.U64();
			out->commit.commit_time_pg = static_cast<int64_t>(c.U64());
			break;
		case Type::kOrigin:
			(void)c.U64();
			(void)c.CString();
			break;
		case Type::kRelation: {
			if (streaming) (void)c.U32();
			Relation& r = out->relation;
			r.relid = c.U32();
			r.schema = c.CString();
			r.table = c.CString();
			r.replica_identity = static_cast<char>(c.U8());
			uint16_t count = c.U16();
			r.columns.clear();
			for (uint16_t i = 0; i < count && !c.failed(); ++i) {
				RelationColumn col;
				col.key = (c.U8() & 1) != 0;
				col.name = c.CString();
				col.type_oid = c.U32();
				col.typmod = static_cast<int32_t>(c.U32());
				r.columns.push_back(col);
			}
			if (!c.failed() && std::string_view("dnfi").find(r.replica_identity) == std::string_view::npos)
				return Malformed(type, std::string("unknown replica identity '") + r.replica_identity + "'");
			break;
		}
		case Type::kType:
			if (streaming) (void)c.U32();
			out->type_info.oid = c.U32();
			out->type_info.schema = c.CString();
			out->type_info.name = c.CString();
			break;
		case Type::kInsert:
		case Type::kUpdate:
		case Type::kDelete:
			if (streaming) (void)c.U32();
			st = ReadChange(type, &c, &out->change);
			break;
		case Type::kTruncate: {
			if (streaming) (void)c.U32();
			uint32_t count = c.U32();
			uint8_t options = c.U8();
			out->truncate.cascade = (options & 1) != 0;
			out->truncate.restart_identity = (options & 2) != 0;
			out->truncate.relids.clear();
			for (uint32_t i = 0; i < count && !c.failed(); ++i) out->truncate.relids.push_back(c.U32());
			break;
		}
		case Type::kMessage: {
			if (streaming) (void)c.U32();
			out->message.transactional = (c.U8() & 1) != 0;
			out->message.lsn = c.U64();
			out->message.prefix = c.CString();
			uint32_t length = c.U32();
			out->message.content = c.Bytes(length);
			break;
		}
		case Type::kStreamStart:
		case Type::kStreamStop:
		case Type::kStreamCommit:
		case Type::kStreamAbort:
		case Type::kBeginPrepare:
		case Type::kPrepare:
		case Type::kCommitPrepared:
		case Type::kRollbackPrepared:
		case Type::kStreamPrepare:
			return Status::Error(ErrorKind::kNotSupported,
			                     std::string("the pgoutput stream sent a ") + TypeName(type) + " message",
			                     "flatwal-shipper asks for neither streaming of in-progress transactions nor two-phase "
			                     "commit.",
			                     "Check that no other client streams this slot with other options.");
		default:
			return Status::Error(ErrorKind::kInvalidData,
			                     "unknown pgoutput message type " + std::to_string(static_cast<unsigned>(data[0])),
			                     "", "The slot must be a slot of PostgreSQL's pgoutput plugin.");
	}
	if (!st.ok()) return st;
	if (c.failed()) return Malformed(type, "cut short");
	if (!c.at_end()) return Malformed(type, std::to_string(size) + " bytes, more than its fields");
	return Status::Ok();
}

}  // namespace pgoutput
}  // namespace flatwal
