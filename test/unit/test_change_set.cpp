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
flatwal::TableVersion Table(bool with_key = true) {
	flatwal::TableVersion t;
	t.relid = 16384;
	t.version = 1;
	t.schema = "public";
	t.table = "t";
	t.columns = {{"id", "integer", 23, 23, -1, true, true}, {"note", "text", 25, 25, -1, false, false},
	             {"span", "interval", 1186, 1186, -1, false, false}};
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

// A key move that left a value unchanged (TOAST), for a target that moves
// rows: the old-key copy moves the row (the new row's values and the old
// key), the new-key copy is an incomplete upsert that knows the old key; a
// move whose new row is whole stays a delete. Other targets delete as before.
void a_key_move_that_left_values_unchanged_moves_the_row(void**) {
	flatwal::TableVersion table = Table();
	flatwal::ChangeSet set(&table, flatwal::ValueForm::kPgText, false, flatwal::KeyMoves::kMoveRow);
	Built update;
	Values after{2, nullptr, false}, before{1, nullptr, true};
	BuildChange(&update, wire::Op::Update, 1, &after, &before, wire::OldImage::Key);
	assert_true(set.Add(update.change(), true, 0).ok());
	const flatwal::RowAction* moved = set.Find("[1]");
	assert_true(moved->op == flatwal::RowAction::Op::kMove);
	assert_false(moved->complete);
	assert_true(moved->has_old_key);
	assert_string_eq(std::string(set.value(*moved, 0)), "2");          // the new key
	assert_string_eq(std::string(set.old_key_value(*moved, 0)), "1");  // the old key
	assert_true(set.span(*moved, 1).state == flatwal::ValueSpan::State::kNotCarried);
	assert_int_equal(set.moves(), 1);
	// The new key's copy arrives: it writes the row (from the old key's row
	// in the target), and the move's copy only deletes the old key.
	assert_true(set.Add(update.change(), false, 1).ok());
	const flatwal::RowAction* written = set.Find("[2]");
	assert_true(written->op == flatwal::RowAction::Op::kUpsert);
	assert_false(written->complete);
	assert_true(written->has_old_key);
	assert_string_eq(std::string(set.old_key_value(*written, 0)), "1");
	assert_true(set.Find("[1]")->op == flatwal::RowAction::Op::kDelete);
	assert_string_eq(std::string(set.value(*set.Find("[1]"), 0)), "1");
	assert_int_equal(set.moves(), 0);
	assert_int_equal(set.incomplete(), 1);

	Built whole;
	Values whole_after{4, "all here", false}, whole_before{3, nullptr, true};
	BuildChange(&whole, wire::Op::Update, 2, &whole_after, &whole_before, wire::OldImage::Key);
	assert_true(set.Add(whole.change(), true, 2).ok());
	assert_true(set.Find("[3]")->op == flatwal::RowAction::Op::kDelete);
	assert_false(set.Find("[3]")->has_old_key);

	// Inserted earlier in the batch (not in the target yet): the move takes the insert's values, whole.
	flatwal::ChangeSet fresh(&table, flatwal::ValueForm::kPgText, false, flatwal::KeyMoves::kMoveRow);
	Built insert;
	Values inserted{1, "long text", false};
	BuildChange(&insert, wire::Op::Insert, 0, &inserted, nullptr);
	assert_true(fresh.Add(insert.change(), false, 0).ok());
	assert_true(fresh.Add(update.change(), true, 1).ok());
	assert_true(fresh.Find("[1]")->op == flatwal::RowAction::Op::kMove);
	assert_true(fresh.Find("[1]")->complete);
	assert_string_eq(std::string(fresh.value(*fresh.Find("[1]"), 1)), "long text");
	assert_string_eq(std::string(fresh.value(*fresh.Find("[1]"), 0)), "2");

	// Both copies of the move in the batch that inserted the row, the new-key
	// record first (another partition): it takes the insert's values too.
	flatwal::ChangeSet one_batch(&table, flatwal::ValueForm::kPgText, false, flatwal::KeyMoves::kMoveRow);
	assert_true(one_batch.Add(insert.change(), false, 0).ok());
	assert_true(one_batch.Add(update.change(), false, 1).ok());
	assert_true(one_batch.Find("[2]")->complete);
	assert_string_eq(std::string(one_batch.value(*one_batch.Find("[2]"), 1)), "long text");
	assert_true(one_batch.Add(update.change(), true, 2).ok());
	assert_true(one_batch.Find("[1]")->complete);
	assert_int_equal(one_batch.incomplete(), 0);
	// Updated earlier in the batch, then moved, both copies in either order:
	// one row writes the new key, whole, and the old key is deleted (two rows
	// for one key would make PostgreSQL refuse the batch's upsert).
	Built touched;
	Values touched_after{1, "new text", false}, touched_before{1, nullptr, true};
	BuildChange(&touched, wire::Op::Update, 0, &touched_after, &touched_before, wire::OldImage::Key);
	for (bool new_key_first : {false, true}) {
		flatwal::ChangeSet both(&table, flatwal::ValueForm::kPgText, false, flatwal::KeyMoves::kMoveRow);
		assert_true(both.Add(touched.change(), false, 0).ok());
		assert_true(both.Add(update.change(), !new_key_first, 1).ok());
		assert_true(both.Add(update.change(), new_key_first, 2).ok());
		size_t writers = 0;
		for (const flatwal::RowAction& row : both.rows())
			if (row.op != flatwal::RowAction::Op::kDelete && both.value(row, 0) == "2") ++writers;
		assert_int_equal(writers, 1);
		assert_true(both.Find("[2]")->complete && !both.Find("[2]")->has_old_key);
		assert_string_eq(std::string(both.value(*both.Find("[2]"), 1)), "new text");
		assert_true(both.Find("[1]")->op == flatwal::RowAction::Op::kDelete);
		assert_string_eq(std::string(both.value(*both.Find("[1]"), 0)), "1");
		assert_int_equal(both.moves(), 0);
		assert_int_equal(both.incomplete(), 0);
		assert_int_equal(both.deletes(), 1);
	}
	// The new key's copy first (its partition was read first), then the
	// update of the old key it follows at the source, with or without the
	// old key's copy: the new row takes the update's value, not the target's
	// row of the old key (which the update has not reached yet).
	Built touched_again;
	Values again_after{1, "newest text", false};
	BuildChange(&touched_again, wire::Op::Update, 3, &again_after, &touched_before, wire::OldImage::Key);
	Built late_move;
	BuildChange(&late_move, wire::Op::Update, 5, &after, &before, wire::OldImage::Key);
	for (bool with_old_key_copy : {false, true}) {
		flatwal::ChangeSet late(&table, flatwal::ValueForm::kPgText, false, flatwal::KeyMoves::kMoveRow);
		assert_true(late.Add(late_move.change(), false, 0).ok());
		assert_false(late.Find("[2]")->complete);
		assert_true(late.Add(touched.change(), false, 1).ok());
		assert_true(late.Add(touched_again.change(), false, 2).ok());  // the latest change of the old key counts
		if (with_old_key_copy) assert_true(late.Add(late_move.change(), true, 3).ok());
		const flatwal::RowAction* written = late.Find("[2]");
		assert_true(written->complete && !written->has_old_key);
		assert_string_eq(std::string(late.value(*written, 1)), "newest text");
		assert_string_eq(std::string(late.value(*written, 0)), "2");
		assert_int_equal(late.incomplete(), 0);
		assert_true(late.Find("[1]")->op == (with_old_key_copy ? flatwal::RowAction::Op::kDelete
		                                                       : flatwal::RowAction::Op::kUpsert));
	}
	// The old key used again later in the batch is not the moved row's past.
	flatwal::ChangeSet reused(&table, flatwal::ValueForm::kPgText, false, flatwal::KeyMoves::kMoveRow);
	Built again;
	Values again_row{1, "a later row", false};
	BuildChange(&again, wire::Op::Insert, 5, &again_row, nullptr);
	assert_true(reused.Add(again.change(), false, 0).ok());
	assert_true(reused.Add(update.change(), false, 1).ok());
	assert_false(reused.Find("[2]")->complete);
	assert_true(reused.Find("[2]")->has_old_key);

	flatwal::ChangeSet deleting(&table, flatwal::ValueForm::kJson);
	assert_true(deleting.Add(update.change(), true, 0).ok());
	assert_true(deleting.Find("[1]")->op == flatwal::RowAction::Op::kDelete);
	assert_true(deleting.Add(update.change(), false, 1).ok());
	assert_false(deleting.Find("[2]")->has_old_key);
}

// A row moved (4 -> 100004), updated (its TOAST value rewritten) and moved
// again leaving it unchanged (100004 -> 200004), all in one batch: the
// messages of each key's partition keep their order, the partitions
// interleave in any way. Every interleaving must write 200004 once, whole,
// with the update's value (the target has neither 100004 nor that value).
void a_row_moved_updated_and_moved_again_folds_alike_in_every_partition_order(void**) {
	flatwal::TableVersion table = Table();
	Built first_move, update, second_move;
	Values first_after{100004, nullptr, false}, first_before{4, nullptr, true};
	Values updated{100004, "again", false};
	Values second_after{200004, nullptr, false}, second_before{100004, nullptr, true};
	BuildChange(&first_move, wire::Op::Update, 1, &first_after, &first_before, wire::OldImage::Key);
	BuildChange(&update, wire::Op::Update, 2, &updated, nullptr);
	BuildChange(&second_move, wire::Op::Update, 3, &second_after, &second_before, wire::OldImage::Key);
	struct Message {
		const wire::Change* change;
		bool under_old_key;
	};
	const std::vector<std::vector<Message>> partitions = {
	    {{&first_move.change(), true}},                                                             // key [4]
	    {{&first_move.change(), false}, {&update.change(), false}, {&second_move.change(), true}},  // key [100004]
	    {{&second_move.change(), false}},                                                           // key [200004]
	};
	size_t orders = 0;
	std::vector<size_t> next(partitions.size(), 0);
	std::vector<size_t> order;
	std::function<void()> each_order = [&] {
		bool done = true;
		for (size_t p = 0; p < partitions.size(); ++p) {
			if (next[p] == partitions[p].size()) continue;
			done = false;
			order.push_back(p);
			++next[p];
			each_order();
			--next[p];
			order.pop_back();
		}
		if (!done) return;
		++orders;
		flatwal::ChangeSet set(&table, flatwal::ValueForm::kPgText, false, flatwal::KeyMoves::kMoveRow);
		std::vector<size_t> read(partitions.size(), 0);
		for (size_t i = 0; i < order.size(); ++i) {
			const Message& m = partitions[order[i]][read[order[i]]++];
			assert_true(set.Add(*m.change, m.under_old_key, i).ok());
		}
		size_t writers = 0;
		for (const flatwal::RowAction& row : set.rows()) {
			if (row.op == flatwal::RowAction::Op::kDelete || set.value(row, 0) != "200004") continue;
			++writers;
			assert_true(row.complete);
			assert_string_eq(std::string(set.value(row, 1)), "again");
		}
		assert_int_equal(writers, 1);
	};
	each_order();
	assert_int_equal(orders, 20);  // 5! / 3!
}

// A row moved (58 -> 41, its TOAST value left unchanged) and its old key
// used again (58 inserted anew) in one batch: the move waits in the old key's
// slot, and the new insert there must not take the move's write of 41 with
// it (the randomized test, seed 503: row 41 missing from the target).
void a_move_survives_its_old_key_used_again_in_the_batch(void**) {
	flatwal::TableVersion table = Table();
	Built first, moved, again, older_delete;
	Values row{58, "long text", false}, moved_after{41, nullptr, false}, moved_before{58, nullptr, true};
	Values reinserted{58, "new", false}, gone{41, nullptr, true};
	BuildChange(&older_delete, wire::Op::Delete, 1, nullptr, &gone, wire::OldImage::Key);
	BuildChange(&first, wire::Op::Insert, 2, &row, nullptr);
	BuildChange(&moved, wire::Op::Update, 3, &moved_after, &moved_before, wire::OldImage::Key);
	BuildChange(&again, wire::Op::Insert, 4, &reinserted, nullptr);
	auto writer_of = [](const flatwal::ChangeSet& set, const char* key) -> const flatwal::RowAction* {
		const flatwal::RowAction* found = nullptr;
		for (const flatwal::RowAction& r : set.rows())
			if (r.op != flatwal::RowAction::Op::kDelete && set.value(r, 0) == key) {
				assert_null(found);  // one writer per key
				found = &r;
			}
		return found;
	};
	for (int variant = 0; variant < 4; ++variant) {
		flatwal::ChangeSet set(&table, flatwal::ValueForm::kPgText, false, flatwal::KeyMoves::kMoveRow);
		size_t message = 0;
		const bool inserted_in_batch = variant % 2 == 1;
		if (inserted_in_batch) assert_true(set.Add(first.change(), false, message++).ok());
		assert_true(set.Add(moved.change(), true, message++).ok());   // the old key's copy
		assert_true(set.Add(again.change(), false, message++).ok());   // 58 used again
		if (variant >= 2) {
			assert_true(set.Add(older_delete.change(), false, message++).ok());  // 41's partition, read later
			assert_true(set.Add(moved.change(), false, message++).ok());         // the new key's copy
		}
		const flatwal::RowAction* forty_one = writer_of(set, "41");
		assert_non_null(forty_one);
		assert_int_equal(forty_one->pos.seq, 3);
		if (inserted_in_batch) {  // the body comes from the batch's insert
			assert_true(forty_one->complete);
			assert_string_eq(std::string(set.value(*forty_one, 1)), "long text");
		} else {  // the target's row of 58 has it
			assert_false(forty_one->complete);
			assert_true(forty_one->has_old_key);
			assert_string_eq(std::string(set.old_key_value(*forty_one, 0)), "58");
		}
		const flatwal::RowAction* fifty_eight = writer_of(set, "58");
		assert_non_null(fifty_eight);
		assert_int_equal(fifty_eight->pos.seq, 4);
		assert_string_eq(std::string(set.value(*fifty_eight, 1)), "new");
	}
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
	flatwal::ChangeSet set(&table, flatwal::ValueForm::kPgText, false, flatwal::KeyMoves::kMoveRow);
	assert_true(set.Add(read.change(), false, 0).ok());
	assert_true(set.Add(moved.change(), false, 1).ok());  // the new key's copy
	const flatwal::RowAction* row = set.Find("[157]");
	assert_non_null(row);
	assert_int_equal(row->pos.seq, 5);
	assert_false(row->complete);  // the value is the old key's row's, in the target or its other copy
	assert_true(row->has_old_key);
	assert_string_eq(std::string(set.old_key_value(*row, 0)), "220");
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
	wider.columns.push_back({"extra", "text", 25, 25, -1, false});
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

// KeyMoves::kLedger (the PostgreSQL target): each copy of a move that left a
// value unchanged keeps to its own key. The old-key copy deletes the old
// key and records a credit: the old row's values as the set has them (here
// an earlier insert's) under the old key; the new-key copy is a row that
// owes what it lacks from the move, and a receipt. The set must be applied
// before a move away from a row that still owes (its credit would owe what
// only a later statement settles).
void ledger_copies_keep_to_their_own_keys(void**) {
	flatwal::TableVersion table = Table();
	flatwal::ChangeSet set(&table, flatwal::ValueForm::kPgText, false, flatwal::KeyMoves::kLedger);
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
	    cmocka_unit_test(a_key_move_that_left_values_unchanged_moves_the_row),
	    cmocka_unit_test(a_row_moved_updated_and_moved_again_folds_alike_in_every_partition_order),
	    cmocka_unit_test(a_move_survives_its_old_key_used_again_in_the_batch),
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
