// row_packer.cpp — see row_packer.h.
#include "row_packer.h"

namespace flatwal {

namespace fb = flatbuffers;

namespace {

template <typename Buffer>
size_t Capacity(const Buffer& b) {
	return b.capacity() * sizeof(typename Buffer::value_type);
}

// Empties a scratch buffer, keeping its memory unless it grew past the limit.
template <typename Buffer>
void Empty(Buffer* b) {
	b->clear();
	if (Capacity(*b) > kRetainedScratchBytes) Buffer().swap(*b);
}

}  // namespace

void RowPacker::Clear() {
	Empty(&kinds_);
	Empty(&ints_);
	Empty(&data_);
	Empty(&data_ends_);
	Empty(&floats_);
	Empty(&bools_);
	Empty(&uuids_);
	Empty(&intervals_);
	Empty(&timetzs_);
	Empty(&arrays_);
}

size_t RowPacker::retained_bytes() const {
	return Capacity(kinds_) + Capacity(ints_) + Capacity(data_) + Capacity(data_ends_) + Capacity(floats_) +
	       Capacity(bools_) + Capacity(uuids_) + Capacity(intervals_) + Capacity(timetzs_) + Capacity(arrays_);
}

void RowPacker::AddBool(bool value) {
	kinds_.push_back(wire::Kind::Bool);
	bools_.push_back(value ? 1 : 0);
}

void RowPacker::AddInt(wire::Kind kind, int64_t value) {
	kinds_.push_back(kind);
	ints_.push_back(value);
}

void RowPacker::AddFloat(double value) {
	kinds_.push_back(wire::Kind::Float);
	floats_.push_back(value);
}

void RowPacker::AddText(wire::Kind kind, const char* data, size_t length) {
	kinds_.push_back(kind);
	data_.append(data, length);
	data_ends_.push_back(static_cast<uint32_t>(data_.size()));
}

void RowPacker::AddBytes(const uint8_t* data, size_t length) {
	AddText(wire::Kind::Bytes, reinterpret_cast<const char*>(data), length);
}

void RowPacker::AddTimeTz(int64_t micros, int32_t offset_seconds) {
	kinds_.push_back(wire::Kind::TimeTz);
	timetzs_.emplace_back(micros, offset_seconds);
}

void RowPacker::AddInterval(int32_t months, int32_t days, int64_t micros) {
	kinds_.push_back(wire::Kind::Interval);
	intervals_.emplace_back(months, days, micros);
}

void RowPacker::AddUuid(const uint8_t bytes[16]) {
	kinds_.push_back(wire::Kind::Uuid);
	uuids_.emplace_back(fb::span<const uint8_t, 16>(bytes, 16));
}

void RowPacker::AddArray(uint32_t element_type_oid, const int32_t* dimensions, const int32_t* lower_bounds, int ndim,
                          fb::Offset<wire::Row> elements) {
	kinds_.push_back(wire::Kind::Array);
	auto dims = b_->CreateVector(dimensions, static_cast<size_t>(ndim));
	auto lbounds = b_->CreateVector(lower_bounds, static_cast<size_t>(ndim));
	arrays_.push_back(wire::CreateArray(*b_, element_type_oid, dims, lbounds, elements));
}

fb::Offset<wire::Row> RowPacker::Finish() {
	// Empty payload vectors are left out: a reader treats a missing vector as empty.
	auto kinds = b_->CreateVector(reinterpret_cast<const uint8_t*>(kinds_.data()), kinds_.size());
	fb::Offset<fb::Vector<int64_t>> ints;
	fb::Offset<fb::Vector<uint8_t>> data;
	fb::Offset<fb::Vector<uint32_t>> data_ends;
	fb::Offset<fb::Vector<double>> floats;
	fb::Offset<fb::Vector<uint8_t>> bools;
	fb::Offset<fb::Vector<const wire::Uuid16*>> uuids;
	fb::Offset<fb::Vector<const wire::IntervalValue*>> intervals;
	fb::Offset<fb::Vector<const wire::TimeTzValue*>> timetzs;
	fb::Offset<fb::Vector<fb::Offset<wire::Array>>> arrays;
	if (!ints_.empty()) ints = b_->CreateVector(ints_);
	if (!data_ends_.empty()) {
		data = b_->CreateVector(reinterpret_cast<const uint8_t*>(data_.data()), data_.size());
		data_ends = b_->CreateVector(data_ends_);
	}
	if (!floats_.empty()) floats = b_->CreateVector(floats_);
	if (!bools_.empty()) bools = b_->CreateVector(bools_);
	if (!uuids_.empty()) uuids = b_->CreateVectorOfStructs(uuids_);
	if (!intervals_.empty()) intervals = b_->CreateVectorOfStructs(intervals_);
	if (!timetzs_.empty()) timetzs = b_->CreateVectorOfStructs(timetzs_);
	if (!arrays_.empty()) arrays = b_->CreateVector(arrays_);
	// The builder holds the payloads now: a huge row's scratch goes at once,
	// not at the next Clear, so it is not alive while the frame is sent.
	if (Capacity(data_) > kRetainedScratchBytes) std::string().swap(data_);
	return wire::CreateRow(*b_, fb::Offset<fb::Vector<wire::Kind>>(kinds.o), ints, data, data_ends, floats, bools,
	                       uuids, intervals, timetzs, arrays);
}

}  // namespace flatwal
