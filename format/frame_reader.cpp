// frame_reader.cpp — see frame_reader.h.
#include "frame_reader.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "frames.h"
#include "row_packer.h"
#include "row_reader.h"

namespace flatwal {
namespace {

// Arrays inside a row image: at most kMaxArrayDimensions dimensions, and
// elements that are not themselves arrays (PostgreSQL has multidimensional
// arrays, never arrays of arrays). Readers can then walk an array without
// recursion whose depth a frame decides.
Status CheckArrays(const wire::Row* row) {
	if (row == nullptr || row->arrays() == nullptr) return Status::Ok();
	for (const wire::Array* array : *row->arrays()) {
		const auto* dimensions = array->dimensions();
		if (dimensions != nullptr && dimensions->size() > kMaxArrayDimensions)
			return Status::Error(ErrorKind::kInvalidData, "corrupt flatwal frame",
			                     "An array value has " + std::to_string(dimensions->size()) +
			                         " dimensions; PostgreSQL arrays have at most " +
			                         std::to_string(kMaxArrayDimensions) + ".");
		const wire::Row* elements = array->elements();
		if (elements != nullptr && elements->arrays() != nullptr && elements->arrays()->size() != 0)
			return Status::Error(ErrorKind::kInvalidData, "corrupt flatwal frame",
			                     "An array's elements hold array values; PostgreSQL writes a "
			                     "multidimensional array instead.");
	}
	return Status::Ok();
}

Status CheckFormatRules(const wire::Event& event) {
	// FlatBuffers accepts a union whose type is set and whose table is missing.
	if (event.body_type() != wire::Body::NONE && event.body() == nullptr)
		return Status::Error(ErrorKind::kInvalidData, "corrupt flatwal frame",
		                     "The frame names an event type but carries no event.");
	if (event.body_type() != wire::Body::Change) return Status::Ok();
	const wire::Change* change = event.body_as_Change();
	Status st = CheckArrays(change->before());
	return st.ok() ? CheckArrays(change->after()) : st;
}

}  // namespace

const uint8_t* FrameScratch::AlignedCopy(const uint8_t* bytes, size_t length) {
	size_t words = length / 8 + 1;
	// After an unusually large frame, give the memory back instead of keeping it.
	if (words_.capacity() * 8 > kRetainedScratchBytes && words * 8 <= kRetainedScratchBytes)
		std::vector<uint64_t>().swap(words_);
	if (words_.size() < words) words_.resize(words);
	std::memcpy(words_.data(), bytes, length);
	return reinterpret_cast<const uint8_t*>(words_.data());
}

Status VerifyFrame(const uint8_t* frame, size_t length, const wire::Event** event) {
	if (!LooksLikeBareFrame(frame, length))
		return Status::Error(ErrorKind::kInvalidData, "not a flatwal frame",
		                     "The bytes do not carry the file identifier \"FWAL\".",
		                     "Pass the data column of pg_logical_slot_get_binary_changes() for a flatwal slot, "
		                     "or a Kafka message value written by flatwal-shipper.");
	flatbuffers::Verifier verifier(frame, length);
	if (!wire::VerifyEventBuffer(verifier))
		return Status::Error(ErrorKind::kInvalidData, "corrupt flatwal frame",
		                     "The frame of " + std::to_string(length) + " bytes fails FlatBuffers verification.");
	const wire::Event* e = wire::GetEvent(frame);
	if (e->format_version() == 0 || e->format_version() > kFormatVersion)
		return Status::Error(ErrorKind::kNotSupported, "unsupported flatwal format version",
		                     "The frame has format version " + std::to_string(e->format_version()) +
		                         "; this build reads versions 1 to " + std::to_string(kFormatVersion) + ".",
		                     "Upgrade the flatwal extension or consumer that reads it.");
	Status st = CheckFormatRules(*e);
	if (!st.ok()) return st;
	*event = e;
	return Status::Ok();
}

Status ReadFrame(const uint8_t* bytes, size_t length, FrameScratch* scratch, const wire::Event** event) {
	const bool aligned = reinterpret_cast<uintptr_t>(bytes) % 8 == 0;
	return VerifyFrame(aligned ? bytes : scratch->AlignedCopy(bytes, length), length, event);
}

bool ArrayDimensionsMatchElements(const wire::Array* array) {
	if (array->dimensions() == nullptr || array->dimensions()->size() > kMaxArrayDimensions) return false;
	uint64_t product = 1;
	for (int n : *array->dimensions()) {
		if (n <= 0) return false;
		product *= static_cast<uint64_t>(n);
		if (product > UINT32_MAX) return false;
	}
	return product == RowReader(array->elements()).columns();
}

}  // namespace flatwal
