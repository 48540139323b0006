// json_check.cpp — see json_check.h.
#include "json_check.h"

#include <vector>

#include "utf8.h"

namespace flatwal {
namespace {

class JsonChecker {
 public:
	JsonChecker(const char* text, size_t length)
	    : p_(reinterpret_cast<const unsigned char*>(text)), end_(p_ + length) {}

	bool Check() {
		std::vector<unsigned char> open;  // the containers around the current position: '{' or '['
		for (;;) {
			// A value is expected here.
			SkipSpace();
			if (p_ == end_) return false;
			const unsigned char c = *p_;
			if (c == '{' || c == '[') {
				++p_;
				SkipSpace();
				if (p_ < end_ && *p_ == (c == '{' ? '}' : ']')) {
					++p_;  // empty: a complete value
				} else {
					open.push_back(c);
					if (c == '{' && !Key()) return false;
					continue;
				}
			} else if (!Scalar()) {
				return false;
			}
			// After a value: the next member or element, or the end of containers.
			for (;;) {
				SkipSpace();
				if (open.empty()) return p_ == end_;
				if (p_ == end_) return false;
				const unsigned char container = open.back();
				if (*p_ == (container == '{' ? '}' : ']')) {
					++p_;
					open.pop_back();
					continue;
				}
				if (*p_ != ',') return false;
				++p_;
				if (container == '{' && !Key()) return false;
				break;
			}
		}
	}

 private:
	void SkipSpace() {
		while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
	}

	// "name" : — an object member's name and its colon.
	bool Key() {
		SkipSpace();
		if (p_ == end_ || *p_ != '"' || !String()) return false;
		SkipSpace();
		if (p_ == end_ || *p_ != ':') return false;
		++p_;
		return true;
	}

	bool Scalar() {
		const unsigned char c = *p_;
		if (c == '"') return String();
		if (c == '-' || (c >= '0' && c <= '9')) return Number();
		return Word("true") || Word("false") || Word("null");
	}

	bool Word(const char* word) {
		const unsigned char* q = p_;
		for (; *word != '\0'; ++word, ++q)
			if (q == end_ || *q != static_cast<unsigned char>(*word)) return false;
		p_ = q;
		return true;
	}

	bool Digits() {
		const unsigned char* start = p_;
		while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
		return p_ > start;
	}

	// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
	bool Number() {
		if (*p_ == '-') ++p_;
		if (p_ == end_) return false;
		if (*p_ == '0') ++p_;
		else if (!Digits()) return false;
		if (p_ < end_ && *p_ == '.') {
			++p_;
			if (!Digits()) return false;
		}
		if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
			++p_;
			if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
			if (!Digits()) return false;
		}
		return true;
	}

	static bool IsHex(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

	bool String() {
		++p_;  // the opening quote
		while (p_ < end_) {
			const unsigned char c = *p_;
			if (c == '"') {
				++p_;
				return true;
			}
			if (c < 0x20) return false;
			if (c == '\\') {
				if (++p_ == end_) return false;
				const unsigned char e = *p_++;
				if (e == 'u') {
					for (int i = 0; i < 4; ++i, ++p_)
						if (p_ == end_ || !IsHex(*p_)) return false;
				} else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
					return false;
				}
				continue;
			}
			const size_t n = Utf8SequenceLength(p_, static_cast<size_t>(end_ - p_));
			if (n == 0) return false;
			p_ += n;
		}
		return false;
	}

	const unsigned char* p_;
	const unsigned char* end_;
};

}  // namespace

bool IsJsonValue(const char* text, size_t length) { return JsonChecker(text, length).Check(); }

}  // namespace flatwal
