// row_reader.h — reads a packed flatwal Row column by column (the reverse of
// row_packer.h). A column's payload is the next unread element of the vector
// its kind names (for variable-length kinds, the next slice of `data`), so the
// reader keeps one cursor per vector.
//
// Frames come from outside: a kind may name more payloads than its vector
// holds, or a slice end may fall outside `data` or before the previous end
// (the value is then marked malformed, never read out of bounds), or a
// kind from a newer format that this build does not know (it takes no
// payload, since new kinds come with new vectors). Pure C++, header-only.
#ifndef FLATWAL_ROW_READER_H
#define FLATWAL_ROW_READER_H

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "wire.h"

namespace flatwal {

// One column's value. Which member holds the payload depends on kind (see
// flatwal.fbs). Fixed-width payloads are copied out (a corrupt frame may
// misalign them); pointers point into the frame.
struct ValueRef {
	wire::Kind kind = wire::Kind::Absent;
	bool malformed = false;  // the kind's vector has no element left for it
	bool known = true;       // false: a kind this build does not know
	bool boolean = false;
	int64_t integer = 0;     // Int, Date, Time, Timestamp, TimestampTz
	double real = 0;
	const char* data = nullptr;  // Text, Numeric, Json, TextOutput (UTF-8), Bytes: into the frame
	size_t size = 0;             // bytes at data (no terminator)
	wire::Uuid16 uuid;
	wire::IntervalValue interval;
	wire::TimeTzValue timetz;
	const wire::Array* array = nullptr;
};

class RowReader {
 public:
	explicit RowReader(const wire::Row* row) : row_(row) {}

	size_t columns() const { return row_ != nullptr && row_->kinds() != nullptr ? row_->kinds()->size() : 0; }

	// Reads the next column into *value; false after the last column.
	bool Next(ValueRef* value) {
		if (column_ >= columns()) return false;
		*value = ValueRef();
		value->kind = row_->kinds()->Get(static_cast<flatbuffers::uoffset_t>(column_++));
		switch (value->kind) {
			case wire::Kind::Absent:
			case wire::Kind::Null:
			case wire::Kind::Unchanged:
				break;
			case wire::Kind::Bool: {
				uint8_t b = 0;
				value->malformed = !Copy(row_->bools(), &bools_, &b);
				value->boolean = b != 0;
				break;
			}
			case wire::Kind::Int:
			case wire::Kind::Date:
			case wire::Kind::Time:
			case wire::Kind::Timestamp:
			case wire::Kind::TimestampTz:
				value->malformed = !Copy(row_->ints(), &ints_, &value->integer);
				break;
			case wire::Kind::Float: value->malformed = !Copy(row_->floats(), &floats_, &value->real); break;
			case wire::Kind::Text:
			case wire::Kind::Numeric:
			case wire::Kind::Json:
			case wire::Kind::TextOutput:
			case wire::Kind::Bytes: value->malformed = !Slice(value); break;
			case wire::Kind::TimeTz: value->malformed = !Copy(row_->timetzs(), &timetzs_, &value->timetz); break;
			case wire::Kind::Interval:
				value->malformed = !Copy(row_->intervals(), &intervals_, &value->interval);
				break;
			case wire::Kind::Uuid: value->malformed = !Copy(row_->uuids(), &uuids_, &value->uuid); break;
			case wire::Kind::Array: value->malformed = !Take(row_->arrays(), &arrays_, &value->array); break;
			default: value->known = false; break;
		}
		return true;
	}

 private:
	// Vectors of offsets (strings, tables): FlatBuffers verified each one.
	template <typename Vector, typename T>
	static bool Take(const Vector* vector, flatbuffers::uoffset_t* cursor, T* out) {
		if (vector == nullptr || *cursor >= vector->size()) return false;
		*out = vector->Get((*cursor)++);
		return true;
	}

	// The next payload of `data`: from the previous end to this one.
	bool Slice(ValueRef* value) {
		const auto* ends = row_->data_ends();
		const auto* data = row_->data();
		if (ends == nullptr || data == nullptr || data_cursor_ >= ends->size()) return false;
		uint32_t end = ends->Get(data_cursor_++);
		if (end < data_end_ || end > data->size()) return false;
		value->data = reinterpret_cast<const char*>(data->Data()) + data_end_;
		value->size = end - data_end_;
		data_end_ = end;
		return true;
	}

	// Vectors of scalars and structs: copied bytewise, since the verifier only
	// checks a vector's 4-byte alignment and an element may need 8.
	template <typename Vector, typename T>
	static bool Copy(const Vector* vector, flatbuffers::uoffset_t* cursor, T* out) {
		static_assert(FLATBUFFERS_LITTLEENDIAN, "frames are little-endian, read in place");
		if (vector == nullptr || *cursor >= vector->size()) return false;
		std::memcpy(out, reinterpret_cast<const uint8_t*>(vector->Data()) + size_t{*cursor} * sizeof(T), sizeof(T));
		++*cursor;
		return true;
	}

	const wire::Row* row_;
	size_t column_ = 0;
	flatbuffers::uoffset_t ints_ = 0, data_cursor_ = 0, floats_ = 0, bools_ = 0, uuids_ = 0, intervals_ = 0,
	                       timetzs_ = 0, arrays_ = 0;
	uint32_t data_end_ = 0;  // where the last slice of `data` ended
};

}  // namespace flatwal

#endif  // FLATWAL_ROW_READER_H
