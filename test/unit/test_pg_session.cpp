// Unit tests for how the shipper classifies PostgreSQL failures
// (runtime/pg_session.cpp) and backs off between attempts (runtime/backoff.h).
#include "unit.h"

#include "backoff.h"
#include "pg_session.h"

namespace {

using flatwal::Backoff;
using std::chrono::milliseconds;

void transient_sqlstates(void**) {
	// Conditions of the server or session: lost connections, shutdown, statement_timeout and lock_timeout,
	// disk full, out of memory, too many connections, I/O errors, read-only, idle-in-transaction timeout.
	for (const char* code : {"08006", "08001", "57P01", "57P03", "57014", "55P03", "53100", "53200", "53300", "58030",
	                         "25006", "25P03", "55006", "40001", "40P01"})
		assert_true(flatwal::SqlStateIsTransient(code));
	for (const char* code : {"42P01", "42501", "28P01", "28000", "55000", "3D000", "22023", "0A000", "08P01", "57P04", "23505", "",
	                         "57", "5"})
		assert_false(flatwal::SqlStateIsTransient(code));
}

// Only data exceptions and constraint violations are the data's fault.
void sqlstates_that_blame_the_data(void**) {
	for (const char* code : {"22P02", "22003", "22001", "22008", "22021", "23505", "23502", "23503", "23514"})
		assert_true(flatwal::SqlStateBlamesTheData(code));
	for (const char* code : {"55P03", "57014", "53100", "42501", "42P01", "40001", "XX000", "", "22"})
		assert_false(flatwal::SqlStateBlamesTheData(code));
}

// Nothing listens on port 1: a failure that passes with time, not a refusal.
void unreachable_server_is_retriable(void**) {
	flatwal::PgSession session;
	flatwal::Status st =
	    session.Connect("host=127.0.0.1 port=1 connect_timeout=2", flatwal::PgSession::Kind::kSql, "unit test");
	assert_false(st.ok());
	assert_true(st.retriable());
	assert_true(st.message().find("unit test") != std::string::npos);
	assert_false(session.connected());
	st = session.Exec("SELECT 1");
	assert_true(st.retriable());
}

void backoff_doubles_to_a_limit_and_resets(void**) {
	Backoff backoff(milliseconds(500), milliseconds(3000));
	auto t0 = Backoff::Clock::now();
	assert_true(backoff.Ready(t0));
	assert_int_equal(backoff.Failed(t0).count(), 500);
	assert_false(backoff.Ready(t0 + milliseconds(499)));
	assert_true(backoff.Ready(t0 + milliseconds(500)));
	assert_int_equal(backoff.Failed(t0).count(), 1000);
	assert_int_equal(backoff.Failed(t0).count(), 2000);
	assert_int_equal(backoff.Failed(t0).count(), 3000);
	assert_int_equal(backoff.Failed(t0).count(), 3000);
	backoff.Succeeded();
	assert_true(backoff.Ready(t0));
	assert_int_equal(backoff.Failed(t0).count(), 500);
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(transient_sqlstates),
	    cmocka_unit_test(sqlstates_that_blame_the_data),
	    cmocka_unit_test(unreachable_server_is_retriable),
	    cmocka_unit_test(backoff_doubles_to_a_limit_and_resets),
	};
	return cmocka_run_group_tests_name("pg_session", tests, nullptr, nullptr);
}
