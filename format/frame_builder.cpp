// frame_builder.cpp — see frame_builder.h.
#include "frame_builder.h"

#include "frames.h"

namespace flatwal {

void FinishEvent(flatbuffers::FlatBufferBuilder* builder, wire::Body type, flatbuffers::Offset<void> body,
                 uint32_t timeline) {
	builder->Finish(wire::CreateEvent(*builder, kFormatVersion, type, body, timeline), wire::EventIdentifier());
}

void BuildSnapshotMarker(const SnapshotMarkerFields& fields, flatbuffers::FlatBufferBuilder* builder) {
	auto schema = builder->CreateString(fields.schema);
	auto table = builder->CreateString(fields.table);
	auto marker = wire::CreateSnapshotMarker(*builder, fields.relid, schema, table, fields.phase,
	                                         fields.consistent_lsn, fields.rows, fields.resync);
	FinishEvent(builder, wire::Body::SnapshotMarker, marker.Union(), fields.timeline);
}

}  // namespace flatwal
