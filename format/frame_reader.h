// frame_reader.h — the one way to read a frame that came from outside (a
// replication message, a Kafka message value, a bytea argument): give it
// 8-byte alignment, verify it, and check what FlatBuffers' verifier cannot.
//
// Every reader of frames (flatwal.to_json, the shipper, flatwal-consume,
// the sink) goes through ReadFrame, so a check added here covers them all.
// Pure C++ (no PostgreSQL).
#ifndef FLATWAL_FRAME_READER_H
#define FLATWAL_FRAME_READER_H

#include <cstddef>
#include <cstdint>
#include <vector>

#include "status.h"
#include "wire.h"

namespace flatwal {

// PostgreSQL's MAXDIM: no array value has more dimensions.
constexpr size_t kMaxArrayDimensions = 6;

// Aligned memory for frames that arrive misaligned, reused from frame to
// frame: reading allocates only when a frame is larger than any before it.
class FrameScratch {
 public:
	// An 8-byte aligned copy of the bytes, valid until the next call.
	const uint8_t* AlignedCopy(const uint8_t* bytes, size_t length);

 private:
	std::vector<uint64_t> words_;
};

// Verifies a bare frame that is already 8-byte aligned: file identifier,
// FlatBuffers structure, format version, and the rules of the format that
// the schema cannot state (an event type comes with its event; arrays have
// at most kMaxArrayDimensions dimensions and elements that are not arrays).
// On success *event points into `frame`.
Status VerifyFrame(const uint8_t* frame, size_t length, const wire::Event** event);

// True when the array has at most kMaxArrayDimensions dimensions and they
// multiply out to exactly its number of elements. A frame can pass
// verification and still lie here, so renderers check before nesting.
bool ArrayDimensionsMatchElements(const wire::Array* array);

// Reads a bare frame at any alignment: verified in place when it is
// aligned, else copied into `scratch` first. *event stays valid while both
// the bytes and the scratch do.
Status ReadFrame(const uint8_t* bytes, size_t length, FrameScratch* scratch, const wire::Event** event);

}  // namespace flatwal

#endif  // FLATWAL_FRAME_READER_H
