// Unit tests for the plugin's option parser (plugin/options.cpp).
#include "unit.h"

#include <cstring>

#include "options.h"

using flatwal::Options;
using flatwal::ParseOptions;
using flatwal::RawOption;
using flatwal::Status;

namespace {

Status Parse(std::vector<RawOption> raw, Options* out) { return ParseOptions(raw, out); }

RawOption Opt(const char* name, const char* value) { return RawOption{name, true, value}; }

void defaults_when_no_options(void**) {
	Options o;
	assert_true(Parse({}, &o).ok());
	assert_true(o.include_transaction);
	assert_true(o.include_messages);
	assert_false(o.stream_changes);
	assert_int_equal(o.batch_bytes, 0);
	assert_true(o.origin == flatwal::OriginFilter::kAny);
	assert_true(o.tables.uses_catalog());
}

void booleans_accept_postgres_spellings(void**) {
	const char* truthy[] = {"true", "on", "YES", "1", " True "};
	const char* falsy[] = {"false", "off", "no", "0", "FALSE"};
	for (const char* v : truthy) {
		Options o;
		o.stream_changes = false;
		assert_true(Parse({Opt("stream_changes", v)}, &o).ok());
		assert_true(o.stream_changes);
	}
	for (const char* v : falsy) {
		Options o;
		assert_true(Parse({Opt("include_transaction", v)}, &o).ok());
		assert_false(o.include_transaction);
	}
}

void boolean_without_value_means_true(void**) {
	Options o;
	assert_true(Parse({RawOption{"stream_changes", false, ""}}, &o).ok());
	assert_true(o.stream_changes);
}

void bad_boolean_is_rejected_with_hint(void**) {
	Options o;
	Status st = Parse({Opt("include_messages", "maybe")}, &o);
	assert_false(st.ok());
	assert_true(st.kind() == flatwal::ErrorKind::kInvalidParameter);
	assert_string_eq(st.message(), "invalid value for flatwal option \"include_messages\"");
	assert_string_eq(st.detail(), "The value given was \"maybe\".");
	assert_string_eq(st.hint(), "Use true or false.");
}

void unknown_option_names_the_known_ones(void**) {
	Options o;
	Status st = Parse({Opt("include-xids", "1")}, &o);
	assert_false(st.ok());
	assert_string_eq(st.message(), "unrecognized flatwal option \"include-xids\"");
	assert_non_null(strstr(st.detail().c_str(), "include_transaction"));
	assert_non_null(strstr(st.detail().c_str(), "batch_bytes"));
}

void duplicate_option_is_rejected(void**) {
	Options o;
	Status st = Parse({Opt("batch_bytes", "10"), Opt("batch_bytes", "20")}, &o);
	assert_false(st.ok());
	assert_string_eq(st.message(), "flatwal option \"batch_bytes\" is given more than once");
}

void failed_parse_leaves_output_untouched(void**) {
	Options o;
	o.batch_bytes = 77;
	assert_false(Parse({Opt("batch_bytes", "10"), Opt("nonsense", "1")}, &o).ok());
	assert_int_equal(o.batch_bytes, 77);
}

void batch_bytes_range(void**) {
	Options o;
	assert_true(Parse({Opt("batch_bytes", "0")}, &o).ok());
	assert_int_equal(o.batch_bytes, 0);
	assert_true(Parse({Opt("batch_bytes", "65536")}, &o).ok());
	assert_int_equal(o.batch_bytes, 65536);
	assert_true(Parse({Opt("batch_bytes", std::to_string(flatwal::kMaxBatchBytes).c_str())}, &o).ok());
	assert_false(Parse({Opt("batch_bytes", std::to_string(flatwal::kMaxBatchBytes + 1).c_str())}, &o).ok());
	assert_false(Parse({Opt("batch_bytes", "-1")}, &o).ok());
	assert_false(Parse({Opt("batch_bytes", "1k")}, &o).ok());
	assert_false(Parse({Opt("batch_bytes", "")}, &o).ok());
	assert_false(Parse({Opt("batch_bytes", "99999999999999999999")}, &o).ok());
	Status st = Parse({RawOption{"batch_bytes", false, ""}}, &o);
	assert_false(st.ok());
	assert_string_eq(st.message(), "flatwal option \"batch_bytes\" needs a value");
}

void origin_values(void**) {
	Options o;
	assert_true(Parse({Opt("origin", "none")}, &o).ok());
	assert_true(o.origin == flatwal::OriginFilter::kNone);
	assert_true(Parse({Opt("origin", "any")}, &o).ok());
	assert_true(o.origin == flatwal::OriginFilter::kAny);
	Status st = Parse({Opt("origin", "local")}, &o);
	assert_false(st.ok());
	assert_string_eq(st.hint(), "Use \"any\" or \"none\".");
}

void skip_origins_list(void**) {
	Options o;
	assert_true(Parse({Opt("skip_origins", "a, b,c")}, &o).ok());
	assert_int_equal(o.skip_origins.size(), 3);
	assert_string_eq(o.skip_origins[0], "a");
	assert_string_eq(o.skip_origins[1], "b");
	assert_string_eq(o.skip_origins[2], "c");
	assert_false(Parse({Opt("skip_origins", "a,,b")}, &o).ok());
}

void table_patterns(void**) {
	Options o;
	assert_true(Parse({Opt("tables", "public.orders, audit.*")}, &o).ok());
	assert_false(o.tables.uses_catalog());
	assert_true(o.tables.Matches("public", "orders"));
	assert_false(o.tables.Matches("public", "order"));
	assert_false(o.tables.Matches("other", "orders"));
	assert_true(o.tables.Matches("audit", "anything"));

	assert_true(Parse({Opt("tables", "*")}, &o).ok());
	assert_true(o.tables.Matches("x", "y"));
	assert_string_eq(o.table_set, "default");
	assert_true(Parse({Opt("table_set", " orders ")}, &o).ok());
	assert_string_eq(o.table_set, "orders");
	assert_false(Parse({Opt("table_set", "")}, &o).ok());
	// SQL identifier rules: unquoted names fold to lower case, quoted ones keep theirs.
	assert_true(Parse({Opt("tables", "PUBLIC.O, \"Sales\".\"Q1 \"\"Big\"\", Orders\", Audit.*")}, &o).ok());
	assert_true(o.tables.Matches("public", "o"));
	assert_false(o.tables.Matches("PUBLIC", "O"));
	assert_true(o.tables.Matches("Sales", "Q1 \"Big\", Orders"));
	assert_false(o.tables.Matches("sales", "q1 \"big\", orders"));
	assert_true(o.tables.Matches("audit", "x"));
	assert_true(Parse({Opt("tables", "\"*\".t")}, &o).ok());  // a schema named *, not a wildcard
	assert_true(o.tables.Matches("*", "t"));
	assert_false(o.tables.Matches("x", "t"));

	const char* malformed[] = {"orders", ".orders", "public.", "a.b.c", "public.orders,"};
	for (const char* v : malformed) {
		Status st = Parse({Opt("tables", v)}, &o);
		assert_false(st.ok());
		assert_string_eq(st.message(), "invalid value for flatwal option \"tables\"");
	}
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults_when_no_options),
	    cmocka_unit_test(booleans_accept_postgres_spellings),
	    cmocka_unit_test(boolean_without_value_means_true),
	    cmocka_unit_test(bad_boolean_is_rejected_with_hint),
	    cmocka_unit_test(unknown_option_names_the_known_ones),
	    cmocka_unit_test(duplicate_option_is_rejected),
	    cmocka_unit_test(failed_parse_leaves_output_untouched),
	    cmocka_unit_test(batch_bytes_range),
	    cmocka_unit_test(origin_values),
	    cmocka_unit_test(skip_origins_list),
	    cmocka_unit_test(table_patterns),
	};
	return cmocka_run_group_tests_name("options", tests, nullptr, nullptr);
}
