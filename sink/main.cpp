// flatwal-sink — applies flatwal topics to a PostgreSQL target with
// exactly-once effect (checkpoints stored with the rows). See sink.h.
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "exit_codes.h"
#include "log.h"
#include "sink.h"
#include "sink_config.h"

namespace {
volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
	flatwal::SinkConfig config;
	bool help = false;
	flatwal::Status st = flatwal::ParseSinkArgs(argc, argv, environ, &config, &help);
	if (help) {
		std::fputs(flatwal::SinkUsage(), stdout);
		return flatwal::kExitOk;
	}
	if (!st.ok()) {
		std::fprintf(stderr, "flatwal-sink: %s\n%s%s%s", st.message().c_str(), st.hint().c_str(), st.hint().empty() ? "" : "\n",
		             flatwal::SinkUsage());
		return flatwal::kExitConfig;
	}
	flatwal::SetLogLevel(config.log_level);
	std::signal(SIGINT, OnSignal);
	std::signal(SIGTERM, OnSignal);
	flatwal::Sink sink(std::move(config), &g_stop);
	return sink.Run();
}
