// row_packer.h — packs one row image into a flatwal Row (see flatwal.fbs:
// one kind per column, each payload in the vector its kind names).
//
// Values are added in column order. Arrays go into the FlatBufferBuilder as
// they are added (FlatBuffers builds children before their parent); every
// other payload waits in scratch space until Finish() writes the vectors.
// Clear() keeps the scratch capacity, so a reused RowPacker allocates
// nothing once it has seen its widest row. Pure C++ (no PostgreSQL), shared
// by the plugin's encoder and the unit tests that build frames.
#ifndef FLATWAL_ROW_PACKER_H
#define FLATWAL_ROW_PACKER_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "wire.h"

namespace flatwal {

// Scratch space grown beyond this by one unusually large row is freed after
// use instead of being kept for the next row: the steady state allocates
// nothing, and a huge row does not pin its memory in the walsender for the
// rest of the session.
constexpr size_t kRetainedScratchBytes = size_t{8} << 20;

class RowPacker {
 public:
	explicit RowPacker(flatbuffers::FlatBufferBuilder* builder) : b_(builder) {}

	void Clear();

	void AddAbsent() { kinds_.push_back(wire::Kind::Absent); }
	void AddNull() { kinds_.push_back(wire::Kind::Null); }
	void AddUnchanged() { kinds_.push_back(wire::Kind::Unchanged); }
	void AddBool(bool value);
	// Int, Date, Time, Timestamp, TimestampTz.
	void AddInt(wire::Kind kind, int64_t value);
	void AddFloat(double value);
	// Text, Numeric, Json, TextOutput.
	void AddText(wire::Kind kind, const char* data, size_t length);
	void AddBytes(const uint8_t* data, size_t length);
	void AddTimeTz(int64_t micros, int32_t offset_seconds);
	void AddInterval(int32_t months, int32_t days, int64_t micros);
	void AddUuid(const uint8_t bytes[16]);
	// An array whose elements were packed by another RowPacker on the same builder.
	void AddArray(uint32_t element_type_oid, const int32_t* dimensions, const int32_t* lower_bounds, int ndim,
	              flatbuffers::Offset<wire::Row> elements);

	// Writes the Row table; the builder is ready for the next row after Clear().
	flatbuffers::Offset<wire::Row> Finish();

	// Bytes of scratch space held for the next row.
	size_t retained_bytes() const;

 private:
	flatbuffers::FlatBufferBuilder* b_;
	std::vector<wire::Kind> kinds_;
	std::vector<int64_t> ints_;
	std::string data_;                  // variable-length payloads, back to back
	std::vector<uint32_t> data_ends_;
	std::vector<double> floats_;
	std::vector<uint8_t> bools_;
	std::vector<wire::Uuid16> uuids_;
	std::vector<wire::IntervalValue> intervals_;
	std::vector<wire::TimeTzValue> timetzs_;
	std::vector<flatbuffers::Offset<wire::Array>> arrays_;
};

}  // namespace flatwal

#endif  // FLATWAL_ROW_PACKER_H
