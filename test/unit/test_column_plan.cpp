// Unit tests for what the table catalog calls each column through renames and
// drops (format/table_catalog.cpp) and the column DDL flatwal-sink plans from
// it for a PostgreSQL target (sink/column_plan.cpp).
#include "unit.h"

#include <vector>

#include "column_plan.h"
#include "frame_builder.h"
#include "table_catalog.h"

namespace {

namespace wire = flatwal::wire;
namespace fb = flatbuffers;
using flatwal::ColumnStep;
using flatwal::TargetColumn;

struct Built {
	fb::FlatBufferBuilder b;
	const wire::Event& event() { return *wire::GetEvent(b.GetBufferPointer()); }
};

// A Schema frame of relid 16384 whose columns are (name, attnum) pairs.
void BuildNamedColumns(Built* f, uint32_t version, std::vector<std::pair<const char*, int16_t>> names) {
	fb::FlatBufferBuilder& b = f->b;
	std::vector<fb::Offset<wire::Column>> columns;
	for (const auto& [name, attnum] : names)
		columns.push_back(wire::CreateColumn(b, b.CreateString(name), 25, b.CreateString("text"), 25, -1, false, false,
		                                     false, attnum));
	auto s = wire::CreateSchema(b, 16384, b.CreateString("public"), b.CreateString("t"), version,
	                            wire::ReplicaIdentity::Default, b.CreateVector(columns));
	flatwal::FinishEvent(&b, wire::Body::Schema, s.Union());
}

// A column renamed (twice) keeps its attnum: the catalog names what it was
// called before, newest first, so a target can rename instead of adding a
// column, and writes every version's values under the newest name. A column
// dropped and added again under the same name is a new attnum, not a rename:
// the dropped one gets a name of its own. A frame without attnums (0) names
// nothing, nor does it make the others dropped.
void the_catalog_tells_a_rename_by_its_attnum(void**) {
	flatwal::TableCatalog catalog;
	auto column = [&catalog](uint32_t version, const char* name) -> const flatwal::SchemaColumn* {
		for (const flatwal::SchemaColumn& c : catalog.Find(16384, version)->columns)
			if (c.name == name) return &c;
		return nullptr;
	};
	Built v1, v2, v3, v4;
	BuildNamedColumns(&v1, 1, {{"id", 1}, {"card", 2}, {"note", 3}});
	BuildNamedColumns(&v2, 2, {{"id", 1}, {"card_number", 2}, {"note", 3}});
	BuildNamedColumns(&v3, 3, {{"id", 1}, {"pan", 2}, {"note", 4}});  // note dropped and added again
	BuildNamedColumns(&v4, 4, {{"id", 0}, {"pan", 0}});
	for (Built* f : {&v1, &v3, &v2, &v4}) catalog.Learn(*f->event().body_as_Schema());  // any order
	const std::vector<std::string> pan = catalog.EarlierNames(16384, 2);
	assert_int_equal(pan.size(), 2);
	assert_string_eq(pan[0], "card_number");
	assert_string_eq(pan[1], "card");
	assert_true(catalog.EarlierNames(16384, 4).empty());
	assert_true(catalog.EarlierNames(16384, 1).empty());
	assert_true(catalog.EarlierNames(16384, 0).empty());
	assert_true(catalog.EarlierNames(99, 2).empty());
	// Every version's column is written under its attnum's name in the newest
	// version that has the attnum; without one, under its own.
	assert_string_eq(column(1, "card")->latest_name, "pan");
	assert_string_eq(column(1, "note")->latest_name, "note (dropped, attnum 3)");  // not the note of v3
	assert_string_eq(column(3, "note")->latest_name, "note");
	assert_string_eq(column(4, "pan")->latest_name, "pan");
	assert_string_eq(column(2, "card_number")->name, "card_number");
	assert_int_equal(column(2, "card_number")->attnum, 2);
	assert_null(column(2, "card"));
}

// DROP COLUMN c, then RENAME COLUMN x TO c: the live column is written as c,
// the dropped one (by older versions' changes) under a name of its own. Then
// DROP COLUMN c again: two dropped columns were last called c, and each still
// has a name of its own.
void a_rename_onto_a_dropped_columns_name_keeps_them_apart(void**) {
	flatwal::TableCatalog catalog;
	Built v1, v2, v3;
	BuildNamedColumns(&v1, 1, {{"id", 1}, {"x", 2}, {"c", 3}});
	BuildNamedColumns(&v2, 2, {{"id", 1}, {"x", 2}});
	BuildNamedColumns(&v3, 3, {{"id", 1}, {"c", 2}});
	for (Built* f : {&v1, &v2, &v3}) catalog.Learn(*f->event().body_as_Schema());
	const std::vector<flatwal::SchemaColumn>& old = catalog.Find(16384, 1)->columns;
	assert_string_eq(old[1].latest_name, "c");
	assert_string_eq(old[2].latest_name, "c (dropped, attnum 3)");
	const std::vector<std::string> x = catalog.EarlierNames(16384, 2);
	assert_int_equal(x.size(), 1);
	assert_string_eq(x[0], "x");
	Built v4;
	BuildNamedColumns(&v4, 4, {{"id", 1}});
	catalog.Learn(*v4.event().body_as_Schema());
	assert_string_eq(old[1].latest_name, "c (dropped, attnum 2)");
	assert_string_eq(old[2].latest_name, "c (dropped, attnum 3)");
	// PostgreSQL keeps 63 bytes of a name: the attnum is what stays.
	const std::string long_name(60, 'n');
	assert_string_eq(flatwal::DroppedColumnName(long_name, 3), std::string(43, 'n') + " (dropped, attnum 3)");
	assert_string_eq(flatwal::DroppedColumnName(std::string(41, 'e') + "\xc3\xa9x", 12),  // é not cut in two
	                 std::string(41, 'e') + " (dropped, attnum 12)");
}

// Plans `version` of relid 16384 (every column text) against `columns`, and
// applies the steps to them as PostgreSQL would.
flatwal::Status Plan(const flatwal::TableCatalog& catalog, uint32_t version, std::vector<TargetColumn>* columns,
                     std::vector<ColumnStep>* steps, bool markable = true) {
	const flatwal::TableVersion& table = *catalog.Find(16384, version);
	std::vector<std::string> types(table.columns.size(), "text");
	const std::vector<std::vector<std::string>> later(table.columns.size());
	flatwal::Status st = flatwal::PlanColumns(table, catalog, &types, later, "public.t", markable, *columns, steps);
	if (!st.ok()) return st;
	auto named = [columns](const std::string& name) {
		for (TargetColumn& c : *columns)
			if (c.name == name) return &c;
		fail_msg("no target column %s", name.c_str());
		return &columns->front();
	};
	for (const ColumnStep& step : *steps) {
		if (step.kind == ColumnStep::Kind::kRename) {
			for (const TargetColumn& c : *columns) assert_true(c.name != step.new_name);
			named(step.name)->name = step.new_name;
		} else if (step.kind == ColumnStep::Kind::kAdd) {
			columns->push_back({table.columns[step.column].latest_name, "text", 0});
		} else if (step.kind == ColumnStep::Kind::kRetype) {
			named(step.name)->type = types[step.column];
		} else {
			named(step.name)->attnum = step.attnum;
		}
	}
	return st;
}

// The target's columns as "name:attnum" in order, to compare in one string.
std::string Shown(const std::vector<TargetColumn>& columns) {
	std::string out;
	for (const TargetColumn& c : columns) out += (out.empty() ? "" : ", ") + c.name + ":" + std::to_string(c.attnum);
	return out;
}

void Learn(flatwal::TableCatalog* catalog, uint32_t version, std::vector<std::pair<const char*, int16_t>> names) {
	Built f;
	BuildNamedColumns(&f, version, std::move(names));
	catalog->Learn(*f.event().body_as_Schema());
}

// Only what the sink writes is a mark; a comment of the user's is not.
void only_the_sinks_own_comment_marks_a_column(void**) {
	assert_int_equal(flatwal::AttnumOfMark("flatwal: source column attnum 7"), 7);
	assert_int_equal(flatwal::AttnumOfMark("flatwal: source column attnum 1600"), 1600);
	assert_int_equal(flatwal::AttnumOfMark("flatwal: source column attnum 1601"), 0);
	assert_int_equal(flatwal::AttnumOfMark("flatwal: source column attnum "), 0);
	assert_int_equal(flatwal::AttnumOfMark("flatwal: source column attnum 7x"), 0);
	assert_int_equal(flatwal::AttnumOfMark("flatwal: source column attnum 99999999999"), 0);
	assert_int_equal(flatwal::AttnumOfMark("the customer's card"), 0);
	assert_int_equal(flatwal::AttnumOfMark(""), 0);
}

// A table CREATE just made (its columns unmarked, by name) is marked column
// by column; planned again, nothing is left to do.
void a_new_table_is_marked_once(void**) {
	flatwal::TableCatalog catalog;
	Learn(&catalog, 1, {{"id", 1}, {"note", 2}});
	std::vector<TargetColumn> columns = {{"id", "text", 0}, {"note", "text", 0}, {"_flatwal_seq", "bigint", 0}};
	std::vector<ColumnStep> steps;
	assert_true(Plan(catalog, 1, &columns, &steps).ok());
	assert_int_equal(steps.size(), 2);
	assert_string_eq(Shown(columns), "id:1, note:2, _flatwal_seq:0");
	assert_true(Plan(catalog, 1, &columns, &steps).ok());
	assert_int_equal(steps.size(), 0);
}

// The randomized test's family (seeds 100, 203, 300): DROP COLUMN c, RENAME
// COLUMN x TO c, DROP COLUMN c again, ADD COLUMN c. Each source column keeps
// its own target column whatever order the versions are prepared in, and
// preparing any version again changes nothing.
void renames_onto_dropped_names_keep_every_column_apart(void**) {
	flatwal::TableCatalog catalog;
	Learn(&catalog, 1, {{"id", 1}, {"x", 2}, {"c", 3}});
	std::vector<TargetColumn> columns = {{"id", "text", 1}, {"x", "text", 2}, {"c", "text", 3}};
	std::vector<ColumnStep> steps;
	Learn(&catalog, 2, {{"id", 1}, {"x", 2}});
	Learn(&catalog, 3, {{"id", 1}, {"c", 2}});
	assert_true(Plan(catalog, 3, &columns, &steps).ok());
	assert_string_eq(Shown(columns), "id:1, c:2, c (dropped, attnum 3):3");
	assert_true(Plan(catalog, 1, &columns, &steps).ok());  // an old change of the dropped c
	assert_int_equal(steps.size(), 0);
	Learn(&catalog, 4, {{"id", 1}});
	Learn(&catalog, 5, {{"id", 1}, {"c", 5}});
	for (uint32_t version : {5u, 1u, 3u, 4u, 2u, 5u}) assert_true(Plan(catalog, version, &columns, &steps).ok());
	assert_string_eq(Shown(columns), "id:1, c (dropped, attnum 2):2, c (dropped, attnum 3):3, c:5");
	for (uint32_t version : {1u, 2u, 3u, 4u, 5u}) {
		assert_true(Plan(catalog, version, &columns, &steps).ok());
		assert_int_equal(steps.size(), 0);
	}
}

// RENAME a TO tmp, b TO a, tmp TO b: the columns trade names, values stay.
void two_columns_that_trade_names_keep_their_values(void**) {
	flatwal::TableCatalog catalog;
	Learn(&catalog, 1, {{"a", 1}, {"b", 2}});
	Learn(&catalog, 2, {{"b", 1}, {"a", 2}});
	std::vector<TargetColumn> columns = {{"a", "text", 1}, {"b", "text", 2}};
	std::vector<ColumnStep> steps;
	assert_true(Plan(catalog, 2, &columns, &steps).ok());
	assert_string_eq(Shown(columns), "b:1, a:2");
}

// A table made before marks: its columns are adopted by name, or by a name
// the column had before a rename; an unmarked column of another type is
// refused (a marked one is retyped), and so is an unmarked column where a
// marked one must go.
void unmarked_columns_are_adopted_by_name_and_conflicts_refused(void**) {
	flatwal::TableCatalog catalog;
	Learn(&catalog, 1, {{"id", 1}, {"card", 2}});
	Learn(&catalog, 2, {{"id", 1}, {"card_number", 2}});
	std::vector<TargetColumn> columns = {{"id", "text", 0}, {"card", "text", 0}};
	std::vector<ColumnStep> steps;
	assert_true(Plan(catalog, 2, &columns, &steps).ok());
	assert_string_eq(Shown(columns), "id:1, card_number:2");

	std::vector<TargetColumn> retyped = {{"id", "integer", 0}, {"card_number", "text", 2}};
	flatwal::Status st = Plan(catalog, 2, &retyped, &steps, false);
	assert_false(st.ok());
	assert_int_equal(static_cast<int>(st.kind()), static_cast<int>(flatwal::ErrorKind::kNotSupported));
	retyped = {{"id", "integer", 1}, {"card_number", "text", 2}};
	assert_true(Plan(catalog, 2, &retyped, &steps).ok());
	assert_int_equal(steps.size(), 1);
	assert_int_equal(static_cast<int>(steps[0].kind), static_cast<int>(ColumnStep::Kind::kRetype));
	assert_string_eq(Shown(retyped), "id:1, card_number:2");
	assert_string_eq(retyped[0].type, "text");

	std::vector<TargetColumn> in_the_way = {{"id", "text", 1}, {"card", "text", 2}, {"card_number", "text", 0}};
	st = Plan(catalog, 2, &in_the_way, &steps);
	assert_false(st.ok());
	assert_int_equal(static_cast<int>(st.kind()), static_cast<int>(flatwal::ErrorKind::kNotSupported));
}

// ALTER COLUMN … TYPE at the source (versions 1 integer, 2 bigint, 3
// numeric): a followed column takes each newer version's type, and keeps it
// for an older version's changes that arrive after (partitions are read in
// no order): their values are read as the type the target holds.
void a_column_follows_type_changes_forward_only(void**) {
	flatwal::TableCatalog catalog;
	for (uint32_t version : {1u, 2u, 3u}) Learn(&catalog, version, {{"id", 1}, {"n", 2}});
	const char* version_types[] = {"", "integer", "bigint", "numeric"};
	std::vector<TargetColumn> columns = {{"id", "text", 1}, {"n", "integer", 2}};
	auto plan = [&](uint32_t version, uint32_t newest, std::vector<ColumnStep>* steps, std::string* read_as) {
		const flatwal::TableVersion& table = *catalog.Find(16384, version);
		std::vector<std::string> types = {"text", version_types[version]};
		std::vector<std::vector<std::string>> later(2);
		for (uint32_t v = version + 1; v <= newest; ++v) later[1].push_back(version_types[v]);
		flatwal::Status st = flatwal::PlanColumns(table, catalog, &types, later, "public.t", true, columns, steps);
		for (const ColumnStep& step : *steps)
			if (step.kind == ColumnStep::Kind::kRetype) columns[1].type = types[step.column];
		*read_as = types[1];
		return st;
	};
	std::vector<ColumnStep> steps;
	std::string read_as;
	assert_true(plan(2, 2, &steps, &read_as).ok());  // version 2 first: the column becomes bigint
	assert_int_equal(steps.size(), 1);
	assert_string_eq(columns[1].type, "bigint");
	assert_true(plan(1, 2, &steps, &read_as).ok());  // then version 1's changes: read as bigint, nothing altered
	assert_int_equal(steps.size(), 0);
	assert_string_eq(read_as, "bigint");
	assert_true(plan(3, 3, &steps, &read_as).ok());
	assert_string_eq(columns[1].type, "numeric");
	for (uint32_t older : {1u, 2u}) {
		assert_true(plan(older, 3, &steps, &read_as).ok());
		assert_int_equal(steps.size(), 0);
		assert_string_eq(read_as, "numeric");
	}
	// Unknown to the catalog when version 1 was planned, a later version's type is no reason to keep it.
	assert_true(plan(1, 1, &steps, &read_as).ok());
	assert_int_equal(steps.size(), 1);
	assert_string_eq(columns[1].type, "integer");
}

// The catalog's later columns of an attnum, oldest first; none for attnum 0.
void the_catalog_names_an_attnums_later_columns(void**) {
	flatwal::TableCatalog catalog;
	Learn(&catalog, 1, {{"id", 1}, {"a", 2}});
	Learn(&catalog, 3, {{"id", 1}, {"b", 2}});
	Learn(&catalog, 2, {{"id", 1}});
	const std::vector<const flatwal::SchemaColumn*> later = catalog.LaterColumns(16384, 1, 2);
	assert_int_equal(later.size(), 1);
	assert_string_eq(later[0]->name, "b");
	assert_int_equal(catalog.LaterColumns(16384, 1, 1).size(), 2);
	assert_true(catalog.LaterColumns(16384, 3, 1).empty());
	assert_true(catalog.LaterColumns(16384, 1, 0).empty());
	assert_true(catalog.LaterColumns(99, 1, 1).empty());
}

// A session that does not own the table cannot mark: columns go by name.
void without_ownership_columns_go_by_name(void**) {
	flatwal::TableCatalog catalog;
	Learn(&catalog, 1, {{"id", 1}, {"note", 2}});
	std::vector<TargetColumn> columns = {{"id", "text", 0}};
	std::vector<ColumnStep> steps;
	assert_true(Plan(catalog, 1, &columns, &steps, false).ok());
	assert_int_equal(steps.size(), 1);
	assert_int_equal(static_cast<int>(steps[0].kind), static_cast<int>(ColumnStep::Kind::kAdd));
	assert_string_eq(Shown(columns), "id:0, note:0");
}

}  // namespace

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(the_catalog_tells_a_rename_by_its_attnum),
	    cmocka_unit_test(a_rename_onto_a_dropped_columns_name_keeps_them_apart),
	    cmocka_unit_test(only_the_sinks_own_comment_marks_a_column),
	    cmocka_unit_test(a_new_table_is_marked_once),
	    cmocka_unit_test(renames_onto_dropped_names_keep_every_column_apart),
	    cmocka_unit_test(two_columns_that_trade_names_keep_their_values),
	    cmocka_unit_test(unmarked_columns_are_adopted_by_name_and_conflicts_refused),
	    cmocka_unit_test(without_ownership_columns_go_by_name),
	    cmocka_unit_test(a_column_follows_type_changes_forward_only),
	    cmocka_unit_test(the_catalog_names_an_attnums_later_columns),
	};
	return cmocka_run_group_tests(tests, nullptr, nullptr);
}
