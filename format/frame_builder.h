// frame_builder.h — finishing frames: the one place that stamps the file
// identifier and the format version on an Event. Used by the plugin's
// encoder, by the shipper for the frames it makes itself (snapshot
// markers), and by tests that build frames by hand. Pure C++.
#ifndef FLATWAL_FRAME_BUILDER_H
#define FLATWAL_FRAME_BUILDER_H

#include <cstdint>
#include <string>

#include "wire.h"

namespace flatwal {

// Finishes `builder` as one frame whose body is `body` of type `type`, on
// the source's `timeline` (0: not known, as in frames tests make by hand).
void FinishEvent(flatbuffers::FlatBufferBuilder* builder, wire::Body type, flatbuffers::Offset<void> body,
                 uint32_t timeline = 0);

// A SnapshotMarker frame. consistent_lsn: the initial snapshot's point in the
// stream, 0 for an on-demand snapshot (stitched in chunk by chunk, so it
// replaces nothing). rows: how many read rows came before an End marker.
struct SnapshotMarkerFields {
	uint32_t relid = 0;
	std::string schema, table;
	wire::SnapshotPhase phase = wire::SnapshotPhase::Start;
	uint64_t consistent_lsn = 0;
	uint64_t rows = 0;
	bool resync = false;
	uint32_t timeline = 0;  // of consistent_lsn
};
void BuildSnapshotMarker(const SnapshotMarkerFields& fields, flatbuffers::FlatBufferBuilder* builder);

}  // namespace flatwal

#endif  // FLATWAL_FRAME_BUILDER_H
