// stop_signal.h — how every flatwal program learns that it should stop: the
// first SIGINT or SIGTERM raises a flag that the program's loops read between
// steps (finish the step, flush, confirm what is safe, exit 0); a second one
// leaves at once with exit code 1, for an operator who will not wait.
#ifndef FLATWAL_STOP_SIGNAL_H
#define FLATWAL_STOP_SIGNAL_H

#include <atomic>

namespace flatwal {

using StopFlag = std::atomic<int>;  // > 0: a stop was asked for

// Installs the handlers; `program` names the process in the line a second
// signal writes to stderr. Returns the flag they raise (one per process).
const StopFlag* InstallStopSignals(const char* program);

}  // namespace flatwal

#endif  // FLATWAL_STOP_SIGNAL_H
