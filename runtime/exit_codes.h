// exit_codes.h — what the exit code of every flatwal program means
// (docs/shipper.md, "Exit codes"): one list, so that a script or an orchestrator
// reads the shipper's, flatwal-sink's and flatwal-consume's codes alike.
#ifndef FLATWAL_EXIT_CODES_H
#define FLATWAL_EXIT_CODES_H

namespace flatwal {

enum ExitCode {
	kExitOk = 0,               // done, or stopped on a signal
	kExitConfig = 1,           // bad settings or arguments
	kExitKafka = 2,            // Kafka failed for good (the shipper: a message it cannot deliver)
	kExitRefused = 3,          // PostgreSQL or the target refused for good (a missing slot, a lost one with --no-resync, ...)
	kExitStoppedOnError = 4,   // flatwal-sink --on-error=stop met a message it cannot apply
};

}  // namespace flatwal

#endif  // FLATWAL_EXIT_CODES_H
