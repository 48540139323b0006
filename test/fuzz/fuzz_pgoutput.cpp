// libFuzzer target: what the pgoutput source reads from the network — one
// pgoutput message (format/pgoutput_messages.cpp), read outside and inside a
// streamed transaction and turned into frames (format/pgoutput_frames.cpp,
// whose state carries over from input to input, as a stream's does; once
// more with a signal table), and a
// value's text (format/text_values.cpp) read as every type, and as an array
// of every element type with either delimiter.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pgoutput_frames.h"
#include "pgoutput_messages.h"
#include "text_values.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
	static flatwal::pgoutput::Decoded decoded;
	(void)flatwal::pgoutput::Decode(data, size, false, &decoded);
	(void)flatwal::pgoutput::Decode(data, size, true, &decoded);
	// Every column read by its type OID's built-in kind (the catalog stands aside).
	static const flatwal::RelationFacts facts = [](const flatwal::pgoutput::Relation& relation,
	                                               std::vector<flatwal::ColumnFacts>* out) {
		out->clear();
		for (const auto& c : relation.columns) {
			flatwal::ColumnFacts f;
			f.base_type_oid = c.type_oid;
			f.text.type = flatwal::TextTypeOfBuiltin(c.type_oid);
			f.primary_key = c.key;
			out->push_back(f);
		}
		return flatwal::Status::Ok();
	};
	static flatwal::PgoutputFrames frames(facts, [](const uint8_t*, size_t) { return flatwal::Status::Ok(); });
	(void)frames.OnMessage(size, data, size);
	// The same stream where public.orders is the signal table (its rows become requests).
	static flatwal::PgoutputFrames signalled(facts, [](const uint8_t*, size_t) { return flatwal::Status::Ok(); });
	static const bool signal_set = [] {
		signalled.set_signal_table("public", "orders", [](const std::vector<std::string>& columns,
		                                                  const std::vector<flatwal::pgoutput::Value>& values) {
			return columns.size() == values.size() ? flatwal::Status::Ok()
			                                       : flatwal::Status::Error(flatwal::ErrorKind::kInternal, "columns");
		});
		return true;
	}();
	(void)signal_set;
	(void)signalled.OnMessage(size, data, size);

	const std::string_view text(reinterpret_cast<const char*>(data), size);
	flatbuffers::FlatBufferBuilder builder;
	flatwal::RowPacker row(&builder), elements(&builder);
	for (int t = 0; t <= static_cast<int>(flatwal::TextType::kTextOutput); ++t) {
		flatwal::TextColumnType type;
		type.type = static_cast<flatwal::TextType>(t);
		(void)flatwal::AddTextValue(type, text, &row, &elements);
		if (type.type == flatwal::TextType::kArray) continue;
		flatwal::TextColumnType array;
		array.type = flatwal::TextType::kArray;
		array.element = type.type;
		array.delimiter = (size & 1) ? ';' : ',';
		(void)flatwal::AddTextValue(array, text, &row, &elements);
	}
	builder.Finish(row.Finish());
	return 0;
}
