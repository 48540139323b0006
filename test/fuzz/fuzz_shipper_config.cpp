// libFuzzer target: the shipper's settings (shipper/config.cpp) from each
// source it reads: the config file, FLATWAL_* environment variables, and the
// command line (the input split at newlines into arguments).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
	const std::string text(reinterpret_cast<const char*>(data), size);
	flatwal::ShipperConfig config;
	(void)flatwal::ParseConfigText(text, "fuzz.conf", &config);

	std::vector<std::string> args;
	std::map<std::string, std::string> env;
	size_t start = 0;
	while (start <= text.size()) {
		size_t end = text.find('\n', start);
		if (end == std::string::npos) end = text.size();
		std::string line = text.substr(start, end - start);
		args.push_back(line);
		size_t eq = line.find('=');
		if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
		start = end + 1;
	}
	flatwal::ShipperConfig from_env;
	(void)flatwal::ApplyEnvironment(env, &from_env);
	flatwal::ShipperConfig from_args;
	flatwal::CommandLine command;
	if (flatwal::ParseCommandLine(args, &command, &from_args).ok()) (void)flatwal::Validate(from_args);
	return 0;
}
