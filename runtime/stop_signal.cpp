// stop_signal.cpp — see stop_signal.h. The handler does only what is safe in
// a signal handler: a lock-free atomic, write(2) and _exit(2).
#include "stop_signal.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>

namespace flatwal {
namespace {

StopFlag g_stop{0};
char g_second_signal_line[128];
size_t g_second_signal_length = 0;

void OnStopSignal(int) {
	if (g_stop.fetch_add(1) >= 1) {
		ssize_t ignored = write(STDERR_FILENO, g_second_signal_line, g_second_signal_length);
		(void)ignored;
		_exit(1);
	}
}

}  // namespace

const StopFlag* InstallStopSignals(const char* program) {
	const char suffix[] = ": second signal, exiting without flushing\n";
	const size_t name = std::min(std::strlen(program), sizeof g_second_signal_line - sizeof suffix);
	std::memcpy(g_second_signal_line, program, name);
	std::memcpy(g_second_signal_line + name, suffix, sizeof suffix - 1);
	g_second_signal_length = name + sizeof suffix - 1;
	// Without SA_RESTART: a wait in select() returns, and the loop looks at the flag.
	struct sigaction action;
	std::memset(&action, 0, sizeof action);
	action.sa_handler = OnStopSignal;
	sigaction(SIGTERM, &action, nullptr);
	sigaction(SIGINT, &action, nullptr);
	return &g_stop;
}

}  // namespace flatwal
