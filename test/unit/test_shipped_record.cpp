// Unit tests for the record of how far a slot was shipped
// (shipper/shipped_record.cpp) and the LSN text it carries (format/lsn.h):
// what the shipper writes it reads back, and a record it did not write, or
// of another slot, is not taken for one.
#include "unit.h"

#include <string>

#include "lsn.h"
#include "shipped_record.h"

namespace {

void lsn_text_reads_back(void**) {
	uint64_t lsn = 0;
	for (uint64_t v : {0ULL, 0x16B374D848ULL, 0xFFFFFFFFFFFFFFFFULL, 0x100000000ULL}) {
		assert_true(flatwal::ParseLsn(flatwal::LsnText(v), &lsn));
		assert_true(lsn == v);
	}
	assert_true(flatwal::ParseLsn("16/b374d848", &lsn) && lsn == 0x16B374D848ULL);  // either case
	for (const char* bad : {"", "/", "16/", "/1", "16B374D848", "1/2/3", "123456789/0", "0/123456789", "G/0", "0/0 ", "-1/0"})
		assert_false(flatwal::ParseLsn(bad, &lsn));
}

void a_record_reads_back_for_its_slot_only(void**) {
	const flatwal::ShippedEnd end{3, 0x5A3F2B8};
	const std::string value = flatwal::ShippedRecordValue("failover", end);
	assert_string_equal(value.c_str(), "{\"slot\":\"failover\",\"timeline\":3,\"end_lsn\":\"0/5A3F2B8\"}");
	flatwal::ShippedEnd read;
	assert_true(flatwal::ParseShippedRecord(value, "failover", &read));
	assert_true(read == end);
	assert_false(flatwal::ParseShippedRecord(value, "other", &read));
	// A slot name JSON must escape is compared escaped.
	const std::string odd = flatwal::ShippedRecordValue("a\"b", end);
	assert_true(flatwal::ParseShippedRecord(odd, "a\"b", &read));
	assert_false(flatwal::ParseShippedRecord(odd, "a", &read));
}

void what_the_shipper_did_not_write_is_refused(void**) {
	flatwal::ShippedEnd read{7, 7};
	for (const char* bad : {"", "{}", "not json", "{\"slot\":\"s\"}", "{\"slot\":\"s\",\"timeline\":0,\"end_lsn\":\"0/1\"}",
	                        "{\"slot\":\"s\",\"timeline\":-1,\"end_lsn\":\"0/1\"}",
	                        "{\"slot\":\"s\",\"timeline\":99999999999,\"end_lsn\":\"0/1\"}",
	                        "{\"slot\":\"s\",\"timeline\":2,\"end_lsn\":\"zz\"}", "{\"slot\":\"s\",\"timeline\":2,\"end_lsn\":12}"})
		assert_false(flatwal::ParseShippedRecord(bad, "s", &read));
	assert_true(read.timeline == 7 && read.end_lsn == 7);  // untouched
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(lsn_text_reads_back),
	    cmocka_unit_test(a_record_reads_back_for_its_slot_only),
	    cmocka_unit_test(what_the_shipper_did_not_write_is_refused),
	};
	return cmocka_run_group_tests_name("shipped_record", tests, nullptr, nullptr);
}
