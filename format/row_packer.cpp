// row_packer.cpp — see row_packer.h.
#include "row_packer.h"

namespace flatwal {

namespace fb = flatbuffers;

void RowPacker::Clear() {
	kinds_.clear();
	ints_.clear();
	texts_.clear();
	floats_.clear();
	bools_.clear();
	bytes_.clear();
	uuids_.clear();
	intervals_.clear();
	timetzs_.clear();
	arrays_.clear();
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
	texts_.push_back(b_->CreateString(data, length));
}

void RowPacker::AddBytes(const uint8_t* data, size_t length) {
	kinds_.push_back(wire::Kind::Bytes);
	bytes_.push_back(wire::CreateBlob(*b_, b_->CreateVector(data, length)));
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
	fb::Offset<fb::Vector<fb::Offset<fb::String>>> texts;
	fb::Offset<fb::Vector<double>> floats;
	fb::Offset<fb::Vector<uint8_t>> bools;
	fb::Offset<fb::Vector<fb::Offset<wire::Blob>>> bytes;
	fb::Offset<fb::Vector<const wire::Uuid16*>> uuids;
	fb::Offset<fb::Vector<const wire::IntervalValue*>> intervals;
	fb::Offset<fb::Vector<const wire::TimeTzValue*>> timetzs;
	fb::Offset<fb::Vector<fb::Offset<wire::Array>>> arrays;
	if (!ints_.empty()) ints = b_->CreateVector(ints_);
	if (!texts_.empty()) texts = b_->CreateVector(texts_);
	if (!floats_.empty()) floats = b_->CreateVector(floats_);
	if (!bools_.empty()) bools = b_->CreateVector(bools_);
	if (!bytes_.empty()) bytes = b_->CreateVector(bytes_);
	if (!uuids_.empty()) uuids = b_->CreateVectorOfStructs(uuids_);
	if (!intervals_.empty()) intervals = b_->CreateVectorOfStructs(intervals_);
	if (!timetzs_.empty()) timetzs = b_->CreateVectorOfStructs(timetzs_);
	if (!arrays_.empty()) arrays = b_->CreateVector(arrays_);
	return wire::CreateRow(*b_, fb::Offset<fb::Vector<wire::Kind>>(kinds.o), ints, texts, floats, bools, bytes,
	                       uuids, intervals, timetzs, arrays);
}

}  // namespace flatwal
