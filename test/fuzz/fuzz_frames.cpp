// libFuzzer target: everything that reads frames from the network. The
// input is taken both as one bare frame (a Kafka message value, what
// flatwal-consume and to_json read) and as one replication message of
// length-prefixed frames (what the shipper reads); each frame goes through
// ReadFrame, the JSON renderer, the shipper's router and key rendering (both
// output formats), and
// flatwal-sink's folding of a change into a batch (rendering every value).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "change_set.h"
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
	flatwal::RouterOptions flatbuffers_options;
	flatbuffers_options.topic_prefix = "fuzz";
	flatbuffers_options.transactions_topic = true;
	flatwal::Router router(flatbuffers_options, catalog);
	flatwal::RoutedMessages routes;
	(void)router.Route(*event, &routes);
	// The Debezium format, with the options that change how values are read.
	for (int variant = 0; variant < 2; ++variant) {
		flatwal::RouterOptions options;
		options.topic_prefix = "fuzz";
		options.transactions_topic = true;
		options.format = flatwal::OutputFormat::kDebeziumJson;
		options.debezium.schemas = variant == 1;
		options.debezium.transaction_metadata = variant == 1;
		options.debezium.decimal = variant == 1 ? flatwal::DecimalMode::kDouble : flatwal::DecimalMode::kPrecise;
		options.debezium.interval = variant == 1 ? flatwal::IntervalMode::kString : flatwal::IntervalMode::kNumeric;
		options.debezium.hstore = variant == 1 ? flatwal::HstoreMode::kMap : flatwal::HstoreMode::kJson;
		options.now_micros = [] { return int64_t{0}; };
		flatwal::Router debezium(std::move(options), catalog);
		routes.clear();
		(void)debezium.Route(*event, &routes);
	}
	if (event->body_type() != flatwal::wire::Body::Change) return;
	// The sink, with a table shaped like the change's own rows (a change whose
	// rows do not match its table is refused there, not read past).
	const flatwal::wire::Change& change = *event->body_as_Change();
	const flatwal::wire::Row* row = change.after() != nullptr ? change.after() : change.before();
	size_t columns = flatwal::RowReader(row).columns();
	flatwal::TableVersion table;
	for (size_t i = 0; i < columns && i < 64; ++i)
		table.columns.push_back({"c" + std::to_string(i), "text", 25, 25, -1, false, i == 0});
	if (!table.columns.empty()) table.key_columns = {0};
	// Both value forms: PostgreSQL's input text (arrays nested, bytea, times) and JSON.
	for (flatwal::ValueForm form : {flatwal::ValueForm::kPgText, flatwal::ValueForm::kJson}) {
		flatwal::ChangeSet set(&table, form, /*history=*/true);
		(void)set.Add(change, false, 0);
		(void)set.Add(change, true, 1);
		for (const flatwal::RowAction& row : set.rows()) {
			for (size_t i = 0; i < table.columns.size(); ++i) (void)set.value(row, i);
			if (form == flatwal::ValueForm::kJson) (void)set.Document(row);
		}
	}
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
