// libFuzzer target: the plugin's option parser (plugin/options.cpp), which
// reads what a replication client sends in START_REPLICATION. Each input line
// is one option: "name=value", or "name" without a value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
	std::vector<flatwal::RawOption> raw;
	std::string text(reinterpret_cast<const char*>(data), size);
	size_t start = 0;
	while (start <= text.size()) {
		size_t end = text.find('\n', start);
		if (end == std::string::npos) end = text.size();
		std::string line = text.substr(start, end - start);
		size_t eq = line.find('=');
		if (eq == std::string::npos)
			raw.push_back({line, false, ""});
		else
			raw.push_back({line.substr(0, eq), true, line.substr(eq + 1)});
		start = end + 1;
	}
	flatwal::Options options;
	if (flatwal::ParseOptions(raw, &options).ok() && !options.tables.uses_catalog())
		(void)options.tables.Matches("public", "orders");
	return 0;
}
