// flatwal-sink — applies flatwal topics to a PostgreSQL target with
// exactly-once effect (checkpoints stored with the rows). See sink.h.
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "exit_codes.h"
#include "log.h"
#include "sink.h"
#include "sink_config.h"
#include "stop_signal.h"

namespace {
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
	flatwal::Sink sink(std::move(config), flatwal::InstallStopSignals("flatwal-sink"));
	return sink.Run();
}
