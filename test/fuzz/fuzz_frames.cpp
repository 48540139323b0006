// libFuzzer target: everything that reads frames from the network. The
// input is taken both as one bare frame (a Kafka message value, what
// flatwal-consume and to_json read) and as one replication message of
// length-prefixed frames (what the shipper reads); each frame goes through
// ReadFrame, the JSON renderer, and the shipper's router and key rendering.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "frame_reader.h"
#include "frames.h"
#include "render_json.h"
#include "router.h"

namespace {

void ReadLikeEveryConsumer(const uint8_t* bytes, size_t length, flatwal::TableCatalog* catalog) {
	static flatwal::FrameScratch scratch;
	const flatwal::wire::Event* event = nullptr;
	if (!flatwal::ReadFrame(bytes, length, &scratch, &event).ok()) return;
	std::string json;
	flatwal::RenderEventJson(*event, &json);
	flatwal::Router router({"fuzz", true, true}, catalog);
	std::vector<flatwal::OutMessage> routes;
	(void)router.Route(*event, &routes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
	flatwal::TableCatalog catalog;
	// A bare frame: copied to the heap so the sanitizer sees reads past its end.
	std::vector<uint8_t> bare(data, data + size);
	ReadLikeEveryConsumer(bare.data(), bare.size(), &catalog);
	flatwal::FrameReader reader(data, size);
	const uint8_t* frame;
	size_t length;
	while (reader.Next(&frame, &length)) ReadLikeEveryConsumer(frame, length, &catalog);
	return 0;
}
