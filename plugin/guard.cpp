// guard.cpp — turns captured C++ failures into PostgreSQL errors.
#include "guard.h"

#include <cstring>

namespace flatwal {
namespace {

void CopyText(char* dst, size_t size, const std::string& src) {
	size_t n = src.size() < size - 1 ? src.size() : size - 1;
	std::memcpy(dst, src.data(), n);
	dst[n] = '\0';
}

int SqlStateFor(ErrorKind kind) {
	switch (kind) {
		case ErrorKind::kInvalidParameter: return ERRCODE_INVALID_PARAMETER_VALUE;
		case ErrorKind::kInvalidData: return ERRCODE_DATA_CORRUPTED;
		case ErrorKind::kNotSupported: return ERRCODE_FEATURE_NOT_SUPPORTED;
		case ErrorKind::kInternal: return ERRCODE_INTERNAL_ERROR;
		case ErrorKind::kUnavailable: return ERRCODE_CONNECTION_FAILURE;
		case ErrorKind::kRefused: return ERRCODE_INSUFFICIENT_PRIVILEGE;
	}
	return ERRCODE_INTERNAL_ERROR;
}

}  // namespace

void CapturePendingError(const Status& status, PendingError* out) {
	out->set = true;
	out->sqlstate = SqlStateFor(status.kind());
	CopyText(out->message, sizeof out->message, status.message());
	CopyText(out->detail, sizeof out->detail, status.detail());
	CopyText(out->hint, sizeof out->hint, status.hint());
}

void CaptureInternalError(const char* what, PendingError* out) {
	out->set = true;
	out->sqlstate = ERRCODE_INTERNAL_ERROR;
	CopyText(out->message, sizeof out->message, std::string("flatwal internal error: ") + what);
	out->detail[0] = '\0';
	CopyText(out->hint, sizeof out->hint, "Report this as a bug with the statement that caused it.");
}

void CaptureOutOfMemory(PendingError* out) {
	out->set = true;
	out->sqlstate = ERRCODE_OUT_OF_MEMORY;
	std::strcpy(out->message, "out of memory in flatwal");
	out->detail[0] = '\0';
	out->hint[0] = '\0';
}

void RaisePendingError(const PendingError& error) {
	ereport(ERROR, (errcode(error.sqlstate), errmsg_internal("%s", error.message),
	                error.detail[0] ? errdetail_internal("%s", error.detail) : 0,
	                error.hint[0] ? errhint("%s", error.hint) : 0));
	pg_unreachable();
}

}  // namespace flatwal
