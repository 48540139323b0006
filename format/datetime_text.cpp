// datetime_text.cpp — see datetime_text.h.
#include "datetime_text.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace flatwal {
namespace {

// Howard Hinnant's civil_from_days.
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day) {
	days += 719468;
	const int64_t era = FloorDiv(days, 146097);
	const unsigned doe = static_cast<unsigned>(days - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = static_cast<int64_t>(yoe) + era * 400 + (*month <= 2);
}

}  // namespace

void AppendIsoDate(int64_t days, std::string* out) {
	int64_t y;
	unsigned m, d;
	CivilFromDays(days, &y, &m, &d);
	char buf[40];
	snprintf(buf, sizeof buf, y < 0 ? "-%04" PRId64 "-%02u-%02u" : "%04" PRId64 "-%02u-%02u", y < 0 ? -y : y, m, d);
	out->append(buf);
}

void AppendTimeOfDay(int64_t micros, std::string* out) {
	int64_t secs = micros / kMicrosPerSecond, frac = micros % kMicrosPerSecond;
	char buf[32];
	snprintf(buf, sizeof buf, "%02d:%02d:%02d", int(secs / 3600), int(secs / 60 % 60), int(secs % 60));
	out->append(buf);
	if (frac != 0) {
		snprintf(buf, sizeof buf, ".%06d", int(frac));
		size_t len = strlen(buf);
		while (buf[len - 1] == '0') --len;
		out->append(buf, len);
	}
}

void AppendIsoTimestamp(int64_t days, int64_t micros_of_day, bool utc, std::string* out) {
	AppendIsoDate(days, out);
	out->push_back('T');
	AppendTimeOfDay(micros_of_day, out);
	if (utc) out->push_back('Z');
}

}  // namespace flatwal
