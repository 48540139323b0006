// number_text.h — numbers as decimal text, appended without printf or a
// temporary string: the one spelling of integers and doubles for every
// renderer, header and statement flatwal writes (the shipper writes several
// numbers for every message). Pure C++, header-only.
#ifndef FLATWAL_NUMBER_TEXT_H
#define FLATWAL_NUMBER_TEXT_H

#include <charconv>
#include <string>
#include <type_traits>

namespace flatwal {

// An integer of any width and sign: "-42".
template <typename Integer>
inline void AppendDecimal(Integer value, std::string* out) {
	static_assert(std::is_integral<Integer>::value, "integers only");
	char text[24];
	out->append(text, std::to_chars(text, text + sizeof text, value).ptr);
}

// A finite float or double as the shortest text that reads back exactly
// ("0.1", "1e+300"). NaN and the infinities are each caller's to spell.
template <typename Floating>
inline void AppendShortest(Floating value, std::string* out) {
	static_assert(std::is_floating_point<Floating>::value, "floating point only");
	char text[32];
	out->append(text, std::to_chars(text, text + sizeof text, value).ptr);
}

}  // namespace flatwal

#endif  // FLATWAL_NUMBER_TEXT_H
