// guard.h — the one seam where C++ meets PostgreSQL's error handling.
//
// Every function PostgreSQL calls (plugin callbacks, SQL functions, triggers)
// is extern "C" and runs its body through Guarded(). A C++ exception or a
// failed Status thrown as StatusError is caught there, copied into a plain
// struct, and only then, with no C++ object left alive, raised as
// ereport(ERROR). PostgreSQL errors raised inside the body long-jump out as
// usual, which is safe because seam code keeps no destructible locals (pg.h).
#ifndef FLATWAL_GUARD_H
#define FLATWAL_GUARD_H

#include <new>
#include <stdexcept>

#include "pg.h"
#include "status.h"

namespace flatwal {

// A trivially destructible copy of an error, so it can cross a long-jump.
struct PendingError {
	bool set;
	int sqlstate;
	char message[1024];
	char detail[1024];
	char hint[1024];
};

void CapturePendingError(const Status& status, PendingError* out);
void CaptureInternalError(const char* what, PendingError* out);
void CaptureOutOfMemory(PendingError* out);
[[noreturn]] void RaisePendingError(const PendingError& error);

template <typename Body>
void Guarded(Body&& body) {
	PendingError error;
	error.set = false;
	try {
		body();
	} catch (const StatusError& e) {
		CapturePendingError(e.status(), &error);
	} catch (const std::bad_alloc&) {
		CaptureOutOfMemory(&error);
	} catch (const std::exception& e) {
		CaptureInternalError(e.what(), &error);
	} catch (...) {
		CaptureInternalError("unknown C++ exception", &error);
	}
	if (error.set) RaisePendingError(error);
}

}  // namespace flatwal

#endif  // FLATWAL_GUARD_H
