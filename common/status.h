// status.h — the result of a fallible step, leveldb-style: callers must look at it.
// Pure C++: no PostgreSQL header. The seam (guard.h) turns a failed Status into
// ereport(ERROR) with errmsg/errdetail/errhint once every C++ frame is gone.
#ifndef FLATWAL_STATUS_H
#define FLATWAL_STATUS_H

#include <string>
#include <utility>

namespace flatwal {

enum class ErrorKind {
	kInvalidParameter,  // a user-supplied option or argument is wrong
	kInvalidData,       // bytes that are not what they claim to be
	kNotSupported,      // a valid request flatwal cannot serve
	kInternal,          // a bug or resource failure
	kUnavailable,       // the other side cannot answer now (connection lost, server restarting): retry
	kRefused,           // the other side refused for good (authentication, missing object): do not retry
};

class [[nodiscard]] Status {
 public:
	static Status Ok() { return Status(); }
	static Status Error(ErrorKind kind, std::string message, std::string detail = {},
	                    std::string hint = {}) {
		Status s;
		s.ok_ = false;
		s.kind_ = kind;
		s.message_ = std::move(message);
		s.detail_ = std::move(detail);
		s.hint_ = std::move(hint);
		return s;
	}

	bool ok() const { return ok_; }
	// A failure that can pass with time: the caller waits and tries again.
	bool retriable() const { return !ok_ && kind_ == ErrorKind::kUnavailable; }
	ErrorKind kind() const { return kind_; }
	const std::string& message() const { return message_; }
	const std::string& detail() const { return detail_; }
	const std::string& hint() const { return hint_; }

 private:
	Status() = default;
	bool ok_ = true;
	ErrorKind kind_ = ErrorKind::kInternal;
	std::string message_, detail_, hint_;
};

// Carries a failed Status from deep inside C++ code to the seam.
class StatusError : public std::exception {
 public:
	explicit StatusError(Status status) : status_(std::move(status)) {}
	const Status& status() const { return status_; }
	const char* what() const noexcept override { return status_.message().c_str(); }

 private:
	Status status_;
};

// Throws unless ok; for code that sits between the seam and a Status-returning step.
inline void Check(Status status) {
	if (!status.ok()) throw StatusError(std::move(status));
}

}  // namespace flatwal

#endif  // FLATWAL_STATUS_H
