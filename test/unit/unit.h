// unit.h — CMocka for C++ test files (cmocka.h has no extern "C" guard).
#ifndef FLATWAL_TEST_UNIT_H
#define FLATWAL_TEST_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {
#include <cmocka.h>
}

#include <string>

// Fails the test, showing both strings, unless they are equal.
#define assert_string_eq(actual, expected) \
	assert_string_equal(std::string(actual).c_str(), std::string(expected).c_str())

#endif  // FLATWAL_TEST_UNIT_H
