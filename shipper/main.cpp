// main.cpp — flatwal-shipper's entry point: settings, signals, exit code.
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include "config.h"
#include "shipper.h"
#include "stop_signal.h"

extern char** environ;

namespace {

int Fail(const flatwal::Status& st) {
	std::cerr << "flatwal-shipper: " << st.message() << "\n";
	if (!st.detail().empty()) std::cerr << "DETAIL: " << st.detail() << "\n";
	if (!st.hint().empty()) std::cerr << "HINT: " << st.hint() << "\n";
	return flatwal::kExitConfig;
}

}  // namespace

int main(int argc, char** argv) {
	flatwal::ShipperConfig config;
	flatwal::CommandLine command;
	std::vector<std::string> args(argv + 1, argv + argc);
	// The file comes first, so flags and environment override it: find it before the rest.
	flatwal::ShipperConfig discard;
	flatwal::Status st = flatwal::ParseCommandLine(args, &command, &discard);
	if (!st.ok()) return Fail(st);
	if (command.help) {
		std::cout << flatwal::kUsage;
		return 0;
	}
	if (command.version) {
		std::cout << "flatwal-shipper 0.1 (wire format 1)\n";
		return 0;
	}
	if (!command.config_file.empty()) {
		std::ifstream in(command.config_file);
		if (!in) return Fail(flatwal::Status::Error(flatwal::ErrorKind::kInvalidParameter,
		                                             "cannot read config file " + command.config_file,
		                                             std::strerror(errno)));
		std::stringstream text;
		text << in.rdbuf();
		st = flatwal::ParseConfigText(text.str(), command.config_file, &config);
		if (!st.ok()) return Fail(st);
	}
	std::map<std::string, std::string> env;
	for (char** e = environ; *e != nullptr; ++e) {
		const char* eq = std::strchr(*e, '=');
		if (eq != nullptr) env[std::string(*e, eq - *e)] = eq + 1;
	}
	st = flatwal::ApplyEnvironment(env, &config);
	if (st.ok()) st = flatwal::ParseCommandLine(args, &command, &config);
	if (st.ok()) st = flatwal::Validate(config);
	if (!st.ok()) return Fail(st);

	const flatwal::StopFlag* stop = flatwal::InstallStopSignals("flatwal-shipper");
	signal(SIGPIPE, SIG_IGN);
	return flatwal::Shipper(config, stop).Run();
}
