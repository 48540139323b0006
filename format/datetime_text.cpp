// datetime_text.cpp — see datetime_text.h.
#include "datetime_text.h"

#include <charconv>
#include <climits>

#include "number_text.h"

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

// `value` in exactly `width` decimal digits (zero-padded; `value` fits).
void AppendDigits(uint64_t value, int width, std::string* out) {
	char buf[20];
	for (int i = width; i-- > 0; value /= 10) buf[i] = static_cast<char>('0' + value % 10);
	out->append(buf, static_cast<size_t>(width));
}

// `value` in at least `width` digits.
void AppendPadded(uint64_t value, int width, std::string* out) {
	char buf[24];
	auto res = std::to_chars(buf, buf + sizeof buf, value);
	for (auto n = res.ptr - buf; n < width; ++n) out->push_back('0');
	out->append(buf, res.ptr);
}

}  // namespace

void AppendIsoDate(int64_t days, std::string* out) {
	int64_t y;
	unsigned m, d;
	CivilFromDays(days, &y, &m, &d);
	if (y < 0) out->push_back('-');
	AppendPadded(y < 0 ? 0 - static_cast<uint64_t>(y) : static_cast<uint64_t>(y), 4, out);
	out->push_back('-');
	AppendDigits(m, 2, out);
	out->push_back('-');
	AppendDigits(d, 2, out);
}

void AppendTimeOfDay(int64_t micros, std::string* out) {
	const uint64_t secs = static_cast<uint64_t>(micros / kMicrosPerSecond);
	uint64_t frac = static_cast<uint64_t>(micros % kMicrosPerSecond);
	AppendDigits(secs / 3600, 2, out);
	out->push_back(':');
	AppendDigits(secs / 60 % 60, 2, out);
	out->push_back(':');
	AppendDigits(secs % 60, 2, out);
	if (frac == 0) return;
	int width = 6;
	for (; frac % 10 == 0; frac /= 10) --width;  // trailing zeros dropped
	out->push_back('.');
	AppendDigits(frac, width, out);
}

void AppendIsoTimestamp(int64_t days, int64_t micros_of_day, bool utc, std::string* out) {
	AppendIsoDate(days, out);
	out->push_back('T');
	AppendTimeOfDay(micros_of_day, out);
	if (utc) out->push_back('Z');
}

void AppendTimestampText(int64_t micros, bool utc, std::string* out) {
	if (micros == INT64_MIN) return out->append("-infinity"), void();
	if (micros == INT64_MAX) return out->append("infinity"), void();
	const int64_t days = FloorDiv(micros, kMicrosPerDay);
	int64_t of_day = micros % kMicrosPerDay;  // days * kMicrosPerDay could overflow near INT64_MIN
	if (of_day < 0) of_day += kMicrosPerDay;
	AppendIsoTimestamp(days, of_day, utc, out);
}

void AppendZoneOffset(int offset_seconds, std::string* out) {
	out->push_back(offset_seconds < 0 ? '-' : '+');
	const uint64_t abs = offset_seconds < 0 ? 0 - static_cast<uint64_t>(static_cast<int64_t>(offset_seconds))
	                                        : static_cast<uint64_t>(offset_seconds);
	AppendPadded(abs / 3600, 2, out);
	out->push_back(':');
	AppendDigits(abs / 60 % 60, 2, out);
	if (abs % 60 == 0) return;
	out->push_back(':');
	AppendDigits(abs % 60, 2, out);
}

void AppendIntervalText(const wire::IntervalValue& interval, std::string* out) {
	AppendDecimal(interval.months(), out);
	out->append(" mons ");
	AppendDecimal(interval.days(), out);
	out->append(" days ");
	const int64_t micros = interval.micros();
	const uint64_t magnitude = micros < 0 ? 0 - static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
	if (micros < 0) out->push_back('-');
	AppendDecimal(magnitude / 3600000000u, out);
	out->push_back(':');
	AppendDigits(magnitude / 60000000u % 60u, 2, out);
	out->push_back(':');
	AppendDigits(magnitude / 1000000u % 60u, 2, out);
	out->push_back('.');
	AppendDigits(magnitude % 1000000u, 6, out);
}

}  // namespace flatwal
