// Unit tests for flatwal-sink's folding of a batch per key (sink/change_set.cpp)
// and the position rule that skips duplicates (sink/position.h).
#include "unit.h"

#include <cstring>
#include <functional>
#include <vector>

#include "change_set.h"
#include "frame_builder.h"
#include "row_packer.h"
#include "timeline_starts.h"

namespace {

namespace wire = flatwal::wire;
namespace fb = flatbuffers;

// Table public.t, relid 16384: (id int key, note text, span interval).
flatwal::SchemaColumn Column(const char* name, const char* type_name, uint32_t type_oid, bool not_null, bool key) {
	flatwal::SchemaColumn column;
	column.name = name;
	column.type_name = type_name;
	column.type_oid = column.base_type_oid = type_oid;
	column.not_null = not_null;
	column.key = key;
	return column;
}

flatwal::TableVersion Table(bool with_key = true) {
	flatwal::TableVersion t;
	t.relid = 16384;
	t.version = 1;
	t.schema = "public";
	t.table = "t";
	t.columns = {Column("id", "integer", 23, true, true), Column("note", "text", 25, false, false),
	             Column("span", "interval", 1186, false, false)};
	if (with_key) t.key_columns = {0};
	return t;
}

struct Values {
	int64_t id;
	const char* note;  // nullptr: unchanged TOAST (or absent in a key-only image)
	bool key_only;
};

struct Built {
	fb::FlatBufferBuilder b;
	const wire::Change& change() { return *wire::GetEvent(b.GetBufferPointer())->body_as_Change(); }
};

void BuildChange(Built* f, wire::Op op, uint32_t seq, const Values* after, const Values* before,
                 wire::OldImage old_image = wire::OldImage::None) {
	fb::FlatBufferBuilder& b = f->b;
	auto pack = [&b](const Values* v) {
		if (v == nullptr) return fb::Offset<wire::Row>();
		flatwal::RowPacker row(&b);
		row.AddInt(wire::Kind::Int, v->id);
		if (v->key_only) {
			row.AddAbsent();
			row.AddAbsent();
		} else {
			if (v->note) row.AddText(wire::Kind::Text, v->note, strlen(v->note));
			else row.AddUnchanged();
			row.AddInterval(14, 3, 3723000004);
		}
		return row.Finish();
	};
	auto after_row = pack(after), before_row = pack(before);
	wire::ChangeHeader header(/*lsn=*/0x1000 + seq, /*commit_lsn=*/0x2000, /*xid=*/700, /*subxid=*/0, seq,
	                          /*relid=*/16384, /*version=*/1, op, old_image);
	flatwal::FinishEvent(&b, wire::Body::Change, wire::CreateChange(b, &header, after_row, before_row).Union());
}

void later_changes_of_a_key_fold_into_one_row_keeping_unchanged_values(void**) {
	flatwal::TableVersion table = Table();
	flatwal::ChangeSet set(&table, flatwal::ValueForm::kJson);
	Built insert, update;
	Values v1{1, "long text", false}, v2{1, nullptr, false};
	BuildChange(&insert, wire::Op::Insert, 1, &v1, nullptr);
	BuildChange(&update, wire::Op::Update, 2, &v2, nullptr, wire::OldImage::KeyUnchanged);
	assert_true(set.Add(insert.change(), false, 0).ok());
	assert_true(set.Add(update.change(), false, 1).ok());
	assert_int_equal(set.rows().size(), 1);
	const flatwal::RowAction& row = *set.Find("[1]");
	assert_true(row.op == flatwal::RowAction::Op::kUpsert);
	assert_true(row.complete);  // the note the insert carried
	assert_int_equal(row.pos.seq, 2);
	assert_int_equal(row.message, 1);
	assert_string_eq(set.Document(row), "{\"id\":1,\"note\":\"long text\",\"span\":\"14 mons 3 days 1:02:03.000004\"}");
}

void an_unchanged_value_alone_is_left_out_of_the_row(void**) {
	flatwal::TableVersion table = Table();
	flatwal::ChangeSet set(&table, flatwal::ValueForm::kJson);
	Built update;
	Values v{5, nullptr, false};
	BuildChange(&update, wire::Op::Update, 1, &v, nullptr, wire::OldImage::KeyUnchanged);
	assert_true(set.Add(update.change(), false, 0).ok());
	const flatwal::RowAction& row = *set.Find("[5]");
	assert_false(row.complete);
	assert_string_eq(set.Document(row), "{\"id\":5,\"span\":\"14 mons 3 days 1:02:03.000004\"}");
}

void a_full_old_row_fills_what_the_new_row_left_unchanged(void**) {
	flatwal::TableVersion table = Table();
	flatwal::ChangeSet set(&table, flatwal::ValueForm::kJson);
	Built update;
	Values after{5, nullptr, false}, before{5, "from the old row", false};
	BuildChange(&update, wire::Op::Update, 1, &after, &before, wire::OldImage::Full);
	assert_true(set.Add(update.change(), false, 0).ok());
	const flatwal::RowAction& row = *set.Find("[5]");
	assert_true(row.complete);
	assert_string_eq(set.value(row, 1), "\"from the old row\"");
}

void a_key_change_deletes_under_the_old_key_and_writes_the_new(void**) {
	flatwal::TableVersion table = Table();
	flatwal::ChangeSet set(&table, flatwal::ValueForm::kJson);
	Built update;
	Values after{2, "x", false}, before{1, nullptr, true};
	BuildChange(&update, wire::Op::Update, 1, &after, &before, wire::OldImage::Key);
	assert_true(set.Add(update.change(), true, 0).ok());   // the message under the old key
	assert_true(set.Add(update.change(), false, 1).ok());  // the one under the new key
	assert_int_equal(set.rows().size(), 2);
	assert_true(set.Find("[1]")->op == flatwal::RowAction::Op::kDelete);
	assert_int_equal(set.Find("[1]")->pos.step, 0);
	assert_string_eq(set.Document(*set.Find("[1]")), "{\"id\":1}");
	assert_true(set.Find("[2]")->op == flatwal::RowAction::Op::kUpsert);
	assert_int_equal(set.Find("[2]")->pos.step, 1);
	// The old-key copy of a change that kept its key is a forged frame.
	Built same;
	Values kept{2, "x", false};
	BuildChange(&same, wire::Op::Update, 2, &kept, nullptr, wire::OldImage::KeyUnchanged);
	assert_false(set.Add(same.change(), true, 2).ok());
}

// A row of key 157 read, the table truncated (in
// another partition, not in the batch), then row 220 moved to 157 leaving
// its value unchanged: the new key's copy must not take the value from the
// row of 157 that the truncate removed — it is the old key's row's
// (the randomized test, seed 602: 157 ended with NULL).
void a_moved_row_takes_nothing_from_an_earlier_row_of_its_new_key(void**) {
	flatwal::TableVersion table = Table();
	Built read, moved;
	Values stale{157, "the removed row's", false}, moved_after{157, nullptr, false}, moved_before{220, nullptr, true};
	BuildChange(&read, wire::Op::Read, 1, &stale, nullptr);
	BuildChange(&moved, wire::Op::Update, 5, &moved_after, &moved_before, wire::OldImage::Key);
	flatwal::ChangeSet set(&table, flatwal::ValueForm::kPgText);
	assert_true(set.Add(read.change(), false, 0).ok());
	assert_true(set.Add(moved.change(), false, 1).ok());  // the new key's copy
	const flatwal::RowAction* row = set.Find("[157]");
	assert_non_null(row);
	assert_int_equal(row->pos.seq, 5);
	assert_false(row->complete);  // the value is the old key's row's: owed by the move
	assert_true(row->owes);
	assert_int_equal(row->owed_from.seq, 5);
	assert_true(set.span(*row, 1).state == flatwal::ValueSpan::State::kNotCarried);
}

void a_delete_replaces_an_earlier_write_of_its_key(void**) {
	flatwal::TableVersion table = Table();
	flatwal::ChangeSet set(&table, flatwal::ValueForm::kJson);
	Built insert, del;
	Values row{3, "a", false}, key{3, nullptr, true};
	BuildChange(&insert, wire::Op::Insert, 1, &row, nullptr);
	BuildChange(&del, wire::Op::Delete, 2, nullptr, &key, wire::OldImage::Key);
	assert_true(set.Add(insert.change(), false, 0).ok());
	assert_true(set.Add(del.change(), false, 1).ok());
	assert_int_equal(set.rows().size(), 1);
	assert_true(set.Find("[3]")->op == flatwal::RowAction::Op::kDelete);
}

void changes_it_cannot_apply_are_refused(void**) {
	flatwal::TableVersion keyless = Table(false);
	flatwal::ChangeSet no_key(&keyless, flatwal::ValueForm::kJson);
	Built insert;
	Values row{3, "a", false};
	BuildChange(&insert, wire::Op::Insert, 1, &row, nullptr);
	flatwal::Status st = no_key.Add(insert.change(), false, 0);
	assert_false(st.ok());
	assert_true(st.kind() == flatwal::ErrorKind::kNotSupported);

	flatwal::TableVersion table = Table();
	flatwal::ChangeSet set(&table, flatwal::ValueForm::kJson);
	Built del;
	BuildChange(&del, wire::Op::Delete, 1, nullptr, nullptr, wire::OldImage::Unavailable);
	assert_false(set.Add(del.change(), false, 0).ok());
	// A row with fewer columns than its schema version says.
	flatwal::TableVersion wider = Table();
	wider.columns.push_back(Column("extra", "text", 25, false, false));
	flatwal::ChangeSet wide(&wider, flatwal::ValueForm::kJson);
	assert_false(wide.Add(insert.change(), false, 0).ok());
	assert_true(set.empty() && wide.empty());
}

// PostgreSQL targets stage text their columns' input functions read; the
// counts pick which statements a batch needs.
void postgres_sets_hold_input_text_and_count_what_needs_more_than_an_upsert(void**) {
	flatwal::TableVersion table = Table();
	flatwal::ChangeSet set(&table, flatwal::ValueForm::kPgText);
	Built insert, update, del, wide_insert;
	Values v1{1, "tab\there", false}, v2{2, nullptr, false}, key{3, nullptr, true};
	BuildChange(&insert, wire::Op::Insert, 1, &v1, nullptr);
	BuildChange(&update, wire::Op::Update, 2, &v2, nullptr, wire::OldImage::KeyUnchanged);
	BuildChange(&del, wire::Op::Delete, 3, nullptr, &key, wire::OldImage::Key);
	assert_true(set.Add(insert.change(), false, 0).ok());
	assert_true(set.Add(update.change(), false, 1).ok());
	assert_true(set.Add(del.change(), false, 2).ok());
	const flatwal::RowAction& one = *set.Find("[1]");
	assert_string_eq(set.value(one, 0), "1");
	assert_string_eq(set.value(one, 1), "tab\there");  // COPY escapes it, not the set
	assert_string_eq(set.value(one, 2), "14 mons 3 days 1:02:03.000004");
	const flatwal::RowAction& two = *set.Find("[2]");
	assert_false(two.complete);
	assert_true(set.span(two, 1).state == flatwal::ValueSpan::State::kNotCarried);
	assert_int_equal(set.deletes(), 1);
	assert_int_equal(set.incomplete(), 1);
	// A later insert of key 2 completes it; a refused change leaves the set as it was.
	Built complete;
	Values v3{2, "now whole", false};
	BuildChange(&complete, wire::Op::Insert, 4, &v3, nullptr);
	assert_true(set.Add(complete.change(), false, 3).ok());
	assert_int_equal(set.incomplete(), 0);
	assert_int_equal(set.rows().size(), 3);
	flatwal::Status st = set.Add(update.change(), true, 4);  // an old-key copy of a change that kept its key
	assert_false(st.ok());
	assert_int_equal(set.rows().size(), 3);
	assert_string_eq(set.value(*set.Find("[2]"), 1), "now whole");
}

void positions_order_by_timeline_then_commit_then_seq_then_step(void**) {
	flatwal::Position a{1, 0x2000, 5, 1}, b{1, 0x2000, 6, 0}, c{1, 0x2001, 1, 0};
	assert_true(a < b && b < c && a <= a && !(b <= a));
	flatwal::Position old_key{1, 0x2000, 6, 0}, new_key{1, 0x2000, 6, 1};
	assert_true(old_key < new_key);  // both copies of a key change apply, once each
	// A promoted standby's change on timeline 2 is newer than a change the old
	// primary shipped on timeline 1 at a higher LSN (a ghost the new one never had).
	flatwal::Position ghost{1, 0x9000, 1, 1}, after_failover{2, 0x5000, 1, 1};
	assert_true(ghost < after_failover && !(after_failover <= ghost));
}

void floors_hide_older_timelines_whatever_their_lsn(void**) {
	// A resynchronisation's snapshot ended at 0x5000 on timeline 2.
	flatwal::Floor floor{2, 0x5000, 0};
	assert_true(floor.Above({1, 0x9000, 1, 1}, 0x8ff0));   // a ghost: gone
	assert_true(floor.Above({2, 0x4000, 1, 1}, 0x3ff0));   // before the snapshot's point
	assert_false(floor.Above({2, 0x5000, 7, 1}, 0));       // a row the snapshot read
	assert_false(floor.Above({2, 0x5100, 1, 1}, 0x50f0));  // streamed after it
	flatwal::Floor truncate{2, 0x6000, 0x5ff0};            // a truncate inside its transaction
	assert_true(truncate.Above({2, 0x6000, 1, 1}, 0x5fe0));
	assert_false(truncate.Above({2, 0x6000, 3, 1}, 0x5ff8));
}

void timeline_starts_tell_ghosts_from_the_old_timelines_history(void**) {
	flatwal::TimelineStarts starts;
	assert_false(starts.Ghost({1, 0x9000, 1, 1}));  // nothing known of a newer timeline
	assert_true(starts.Lowers(2, 0x6000));          // a timeline not seen yet
	starts.Learn(2, 0x6000);                        // a row of timeline 2 at 0x6000: it began at or below
	assert_true(starts.Ghost({1, 0x9000, 1, 1}));   // shipped from the old primary past that point
	assert_true(starts.Ghost({1, 0x6000, 1, 1}));
	assert_false(starts.Ghost({1, 0x5fff, 1, 1}));  // may be history the new primary shares
	assert_false(starts.Ghost({2, 0x9000, 1, 1}));  // the same timeline's rows are never ghosts
	assert_false(starts.Lowers(2, 0x7000));         // above what was looked for already
	assert_true(starts.Lowers(2, 0x5000));
	starts.Learn(2, 0x5000);
	starts.Learn(2, 0x8000);  // the start only falls
	assert_true(starts.Ghost({1, 0x5000, 1, 1}));
	assert_false(starts.Lowers(2, 0x5000));
	starts.Learn(3, 0x9500);  // a second failover: a ghost of timeline 1 is one for timeline 3 too
	assert_true(starts.Ghost({2, 0x9600, 1, 1}) && !starts.Ghost({2, 0x9400, 1, 1}));
	assert_false(starts.Ghost({0, 0x9600, 1, 1}));  // written before positions had a timeline: not known
}

// Each copy of a move that left a value unchanged keeps to its own key. The old-key copy deletes the old
// key and records a credit: the old row's values as the set has them (here
// an earlier insert's) under the old key; the new-key copy is a row that
// owes what it lacks from the move, and a receipt. The set must be applied
// before a move away from a row that still owes (its credit would owe what
// only a later statement settles).
void ledger_copies_keep_to_their_own_keys(void**) {
	flatwal::TableVersion table = Table();
	flatwal::ChangeSet set(&table, flatwal::ValueForm::kPgText);
	Built insert, move, move_on;
	Values inserted{1, "long text", false}, after{2, nullptr, false}, before{1, nullptr, true};
	Values after_on{3, nullptr, false}, before_on{2, nullptr, true};
	BuildChange(&insert, wire::Op::Insert, 1, &inserted, nullptr);
	BuildChange(&move, wire::Op::Update, 2, &after, &before, wire::OldImage::Key);
	BuildChange(&move_on, wire::Op::Update, 3, &after_on, &before_on, wire::OldImage::Key);
	assert_true(set.Add(insert.change(), false, 0).ok());
	assert_false(set.MustApplyFirst(move.change(), true));
	assert_true(set.Add(move.change(), true, 1).ok());  // the old key's copy
	assert_true(set.Find("[1]")->op == flatwal::RowAction::Op::kDelete);
	assert_int_equal(set.ledger().size(), 1);
	const flatwal::RowAction& credit = set.ledger()[0];
	assert_true(credit.op == flatwal::RowAction::Op::kCredit);
	assert_true(credit.complete);
	assert_string_eq(std::string(set.value(credit, 0)), "1");  // the old key
	assert_string_eq(std::string(set.value(credit, 1)), "long text");
	assert_int_equal(credit.owed_from.seq, 2);
	assert_true(set.Add(move.change(), false, 2).ok());  // the new key's copy
	const flatwal::RowAction* moved = set.Find("[2]");
	assert_true(moved->op == flatwal::RowAction::Op::kUpsert && moved->owes && !moved->complete);
	assert_true(set.span(*moved, 1).state == flatwal::ValueSpan::State::kNotCarried);  // not filled from anywhere
	assert_int_equal(moved->owed_from.seq, 2);
	assert_true(set.ledger()[1].op == flatwal::RowAction::Op::kReceipt);
	// Moving on from the owing row waits for the set to be applied; its new
	// key's copy alone does not.
	assert_true(set.MustApplyFirst(move_on.change(), true));
	assert_false(set.MustApplyFirst(move_on.change(), false));
	set.Clear();
	assert_true(set.ledger().empty());
	assert_false(set.MustApplyFirst(move_on.change(), true));
}

void a_change_is_placed_on_its_frames_timeline(void**) {
	flatwal::TableVersion table = Table();
	flatwal::ChangeSet set(&table, flatwal::ValueForm::kJson, /*history=*/true);
	Built insert;
	Values v1{1, "text", false};
	BuildChange(&insert, wire::Op::Insert, 1, &v1, nullptr);
	assert_true(set.Add(insert.change(), false, 0, -1, /*timeline=*/3).ok());
	assert_int_equal(set.rows().size(), 1);
	assert_int_equal(set.rows()[0].pos.timeline, 3);
	assert_int_equal(set.rows()[0].pos.commit_lsn, 0x2000);
	assert_int_equal(set.history().size(), 1);
	assert_int_equal(set.history()[0].pos.timeline, 3);
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(later_changes_of_a_key_fold_into_one_row_keeping_unchanged_values),
	    cmocka_unit_test(an_unchanged_value_alone_is_left_out_of_the_row),
	    cmocka_unit_test(a_full_old_row_fills_what_the_new_row_left_unchanged),
	    cmocka_unit_test(a_key_change_deletes_under_the_old_key_and_writes_the_new),
	    cmocka_unit_test(a_moved_row_takes_nothing_from_an_earlier_row_of_its_new_key),
	    cmocka_unit_test(a_delete_replaces_an_earlier_write_of_its_key),
	    cmocka_unit_test(changes_it_cannot_apply_are_refused),
	    cmocka_unit_test(postgres_sets_hold_input_text_and_count_what_needs_more_than_an_upsert),
	    cmocka_unit_test(positions_order_by_timeline_then_commit_then_seq_then_step),
	    cmocka_unit_test(floors_hide_older_timelines_whatever_their_lsn),
	    cmocka_unit_test(timeline_starts_tell_ghosts_from_the_old_timelines_history),
	    cmocka_unit_test(a_change_is_placed_on_its_frames_timeline),
	    cmocka_unit_test(ledger_copies_keep_to_their_own_keys),
	};
	return cmocka_run_group_tests(tests, nullptr, nullptr);
}
