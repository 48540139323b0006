// sink_orders — flatwal-sink's PostgreSQL target against every order in
// which a consumer may read the partitions of a table's topic.
//
// A key's changes are in one partition, in order; across partitions Kafka
// gives no order, and a key move puts its two copies in two partitions (the
// old key's and the new key's). Which partition a batch reads first, how far
// one lags and where batches end are the consumer's choice, not the test's:
// the randomized suite meets a few of them per run. This program plays
// seeded random source histories (inserts, updates that leave the "TOASTed"
// column unchanged, key moves, moves again, deletes, keys used again) to the
// real ChangeSet and PgTarget in many such orders — partitions lagging,
// batches of one change to fifty — and checks that the target ends equal to
// the source, with no dead letter and nothing owed.
//
//   sink_orders CONNINFO | --clickhouse URL  [SCENARIOS] [FIRST_SEED]
//
// CONNINFO names a PostgreSQL database it may fill (table public.t,
// flatwal_sink.*); URL a ClickHouse server (database sink_orders, remade
// for each play, and flatwal_sink).
// Prints "N passed, M failed"; a failed scenario prints its seed, its history
// and the order it was read in, enough to re-run it alone.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <curl/curl.h>

#include <memory>

#include "change_set.h"
#include "clickhouse_target.h"
#include "frame_builder.h"
#include "pg_session.h"
#include "pg_target.h"
#include "row_packer.h"
#include "table_catalog.h"

namespace {

namespace wire = flatwal::wire;
using flatwal::Status;
namespace fb = flatbuffers;

constexpr uint32_t kRelid = 16384;
constexpr int kPartitions = 3;
constexpr int kKeySpace = 8;  // few keys: moves land on keys used before

// public.t (id int primary key, note text, n int, body text): note and body
// stand for TOASTed values, which an update that does not change them leaves
// out (Unchanged); body's attnum is 5 (a column 4 was dropped), so attnums
// and places differ.
struct Row {
	std::string note, body;
	int n = 0;
};

// The catalog's version 1 of public.t, from a Schema frame as the shipper sends it.
void LearnTable(flatwal::TableCatalog* catalog) {
	fb::FlatBufferBuilder b;
	auto column = [&b](const char* name, uint32_t oid, const char* type, bool key, int16_t attnum) {
		return wire::CreateColumn(b, b.CreateString(name), oid, b.CreateString(type), oid, -1, key, key, false, attnum);
	};
	std::vector<fb::Offset<wire::Column>> columns{column("id", 23, "integer", true, 1), column("note", 25, "text", false, 2),
	                                              column("n", 23, "integer", false, 3), column("body", 25, "text", false, 5)};
	std::vector<uint16_t> key{0};
	auto schema = wire::CreateSchema(b, kRelid, b.CreateString("public"), b.CreateString("t"), 1,
	                                 wire::ReplicaIdentity::Default, b.CreateVector(columns), b.CreateVector(key));
	flatwal::FinishEvent(&b, wire::Body::Schema, schema.Union());
	catalog->Learn(*wire::GetEvent(b.GetBufferPointer())->body_as_Schema());
}

// One change record and the copies the shipper publishes of it.
struct Copy {
	size_t change;
	bool under_old_key;
};

struct Change {
	std::string shown;  // for the failure report
	fb::FlatBufferBuilder frame;
	const wire::Change& change() const { return *wire::GetEvent(frame.GetBufferPointer())->body_as_Change(); }
};

struct History {
	std::vector<Change> changes;
	std::vector<std::vector<Copy>> partitions{kPartitions};
	std::map<int, Row> source;  // the table as the history leaves it
};

int PartitionOf(int key) { return key % kPartitions; }

// An image of the row: a nullptr note or body = unchanged (an update that
// left the TOASTed value as it was); key_only: a default replica identity's old key.
struct Image {
	int id;
	const std::string* note;
	int n;
	bool key_only;
	const std::string* body;
};

fb::Offset<wire::Row> Pack(fb::FlatBufferBuilder* b, const Image* image) {
	if (image == nullptr) return fb::Offset<wire::Row>();
	flatwal::RowPacker row(b);
	row.AddInt(wire::Kind::Int, image->id);
	if (image->key_only) {
		for (int i = 0; i < 3; ++i) row.AddAbsent();
	} else {
		if (image->note != nullptr) row.AddText(wire::Kind::Text, image->note->data(), image->note->size());
		else row.AddUnchanged();
		row.AddInt(wire::Kind::Int, image->n);
		if (image->body != nullptr) row.AddText(wire::Kind::Text, image->body->data(), image->body->size());
		else row.AddUnchanged();
	}
	return row.Finish();
}

// Makes a random source history of `transactions` transactions; with
// `full_identity`, REPLICA IDENTITY FULL (the whole old row in each update
// and delete) instead of the default's old key.
void MakeHistory(std::mt19937* rng, int transactions, bool full_identity, History* h) {
	auto chance = [rng](int percent) { return static_cast<int>((*rng)() % 100) < percent; };
	auto pick = [rng](size_t n) { return static_cast<size_t>((*rng)() % n); };
	int counter = 0;
	for (int txn = 0; txn < transactions; ++txn) {
		const uint64_t commit_lsn = 0x1000000 + static_cast<uint64_t>(txn) * 0x1000;
		const int changes = 1 + static_cast<int>(pick(3));
		for (int seq = 1; seq <= changes; ++seq) {
			std::vector<int> present, absent;
			for (int k = 0; k < kKeySpace; ++k) (h->source.count(k) ? present : absent).push_back(k);
			enum class Kind { kInsert, kUpdate, kMove, kDelete } kind = Kind::kInsert;
			if (!present.empty()) {
				const size_t r = pick(10);
				kind = r < 2 ? Kind::kInsert : r < 4 ? Kind::kUpdate : r < 8 ? Kind::kMove : Kind::kDelete;
				if (absent.empty() && (kind == Kind::kInsert || kind == Kind::kMove)) kind = Kind::kUpdate;
			}
			++counter;
			wire::Op op = wire::Op::Update;
			wire::OldImage old_image = wire::OldImage::None;
			Image after{}, before{};
			bool has_after = true, has_before = false;
			std::string note, body, new_note, new_body;  // what the images point to
			if (kind == Kind::kInsert) {
				const int k = absent[pick(absent.size())];
				h->source[k] = Row{"note" + std::to_string(counter), "body" + std::to_string(counter), counter};
				op = wire::Op::Insert;
				note = h->source[k].note;
				body = h->source[k].body;
				after = Image{k, &note, counter, false, &body};
			} else if (kind == Kind::kDelete) {
				const int k = present[pick(present.size())];
				op = wire::Op::Delete;
				has_after = false;
				has_before = true;
				note = h->source[k].note;
				body = h->source[k].body;
				before = Image{k, &note, h->source[k].n, !full_identity, &body};
				old_image = full_identity ? wire::OldImage::Full : wire::OldImage::Key;
				h->source.erase(k);
			} else {
				const int k = present[pick(present.size())];
				const int to = kind == Kind::kMove ? absent[pick(absent.size())] : k;
				const Row old = h->source[k];
				const bool same_note = chance(60), same_body = chance(50);
				const Row now{same_note ? old.note : "note" + std::to_string(counter),
				              same_body ? old.body : "body" + std::to_string(counter), counter};
				h->source.erase(k);
				h->source[to] = now;
				note = old.note;
				body = old.body;
				new_note = now.note;
				new_body = now.body;
				after = Image{to, same_note ? nullptr : &new_note, counter, false, same_body ? nullptr : &new_body};
				if (full_identity) {
					has_before = true;
					before = Image{k, &note, old.n, false, &body};
					old_image = wire::OldImage::Full;
				} else if (kind == Kind::kMove) {
					has_before = true;
					before = Image{k, nullptr, 0, true, nullptr};
					old_image = wire::OldImage::Key;
				} else {
					old_image = wire::OldImage::KeyUnchanged;
				}
				if (kind == Kind::kMove) h->partitions[PartitionOf(k)].push_back(Copy{h->changes.size(), true});
			}
			h->partitions[PartitionOf(has_after ? after.id : before.id)].push_back(Copy{h->changes.size(), false});
			h->changes.emplace_back();
			Change& c = h->changes.back();
			c.shown = std::string(op == wire::Op::Insert ? "insert" : op == wire::Op::Delete ? "delete" : "update") + " tx" +
			          std::to_string(txn) + "." + std::to_string(seq) + " " +
			          (has_before ? std::to_string(before.id) + " -> " : "") + (has_after ? std::to_string(after.id) : "") +
			          (has_after && after.note == nullptr ? " (note unchanged)" : "") +
			          (has_after && after.body == nullptr ? " (body unchanged)" : "");
			auto after_row = Pack(&c.frame, has_after ? &after : nullptr);
			auto before_row = Pack(&c.frame, has_before ? &before : nullptr);
			wire::ChangeHeader header(commit_lsn - 0x800 + static_cast<uint64_t>(seq), commit_lsn, 1000 + txn, 0,
			                          static_cast<uint32_t>(seq), kRelid, 1, op, old_image);
			flatwal::FinishEvent(&c.frame, wire::Body::Change,
			                     wire::CreateChange(c.frame, &header, after_row, before_row).Union(), 1);
		}
	}
}

// The order a consumer read the partitions in: each batch a list of partitions.
using Reading = std::vector<std::vector<int>>;

// A random reading: each partition read at a pace of its own (one may lag
// far behind), batches ending anywhere.
Reading ReadInSomeOrder(std::mt19937* rng, const History& h) {
	std::vector<size_t> left(kPartitions);
	std::vector<int> weight(kPartitions);
	for (int p = 0; p < kPartitions; ++p) {
		left[p] = h.partitions[p].size();
		weight[p] = 1 + static_cast<int>((*rng)() % 20);
	}
	const int max_batch = (*rng)() % 3 == 0 ? 50 : 1 + static_cast<int>((*rng)() % 6);
	Reading reading;
	size_t total = 0;
	for (size_t l : left) total += l;
	while (total > 0) {
		std::vector<int> batch;
		const int size = 1 + static_cast<int>((*rng)() % static_cast<unsigned>(max_batch));
		for (int i = 0; i < size && total > 0; ++i) {
			int sum = 0;
			for (int p = 0; p < kPartitions; ++p) sum += left[p] ? weight[p] : 0;
			int r = static_cast<int>((*rng)() % static_cast<unsigned>(sum)), p = 0;
			while (left[p] == 0 || r >= weight[p]) {
				if (left[p]) r -= weight[p];
				++p;
			}
			batch.push_back(p);
			--left[p];
			--total;
		}
		reading.push_back(batch);
	}
	return reading;
}

// A target under test: a fresh table (and ledger) for each play, and the
// table as it ended.
class Bench {
 public:
	virtual ~Bench() = default;
	// The target, its table empty; nullptr (and *st) when it cannot be had.
	virtual flatwal::Target* Fresh(Status* st) = 0;
	// The table's rows as " id:note,body/n" in key order; *leftover what a
	// finished history must not leave (values owed, ledger entries).
	virtual Status Ended(std::string* rows, std::string* leftover) = 0;
};

class PostgresBench : public Bench {
 public:
	explicit PostgresBench(std::string conninfo) : conninfo_(std::move(conninfo)) {}

	flatwal::Target* Fresh(Status* st) override {
		if (!check_.connected()) {
			*st = check_.Connect(conninfo_, flatwal::PgSession::Kind::kSql, "sink_orders check");
			if (st->ok()) *st = check_.Exec("SET client_min_messages = warning");
			if (st->ok()) *st = check_.Exec("DROP TABLE IF EXISTS public.t; DROP SCHEMA IF EXISTS flatwal_sink CASCADE");
			if (!st->ok()) return nullptr;
			target_.reset(new flatwal::PgTarget(conninfo_, "sink_orders", "", false));
			if (!(*st = target_->Connect()).ok()) return nullptr;
		}
		*st = check_.Exec("SELECT to_regclass('public.t') IS NOT NULL", &exists_);
		if (st->ok() && exists_.text(0, 0)[0] == 't')
			*st = check_.Exec("TRUNCATE public.t; DELETE FROM flatwal_sink.moved_values");
		return st->ok() ? target_.get() : nullptr;
	}

	Status Ended(std::string* rows, std::string* leftover) override {
		flatwal::PgResult r, left;
		Status st = check_.Exec("SELECT id, note, body, n, _flatwal_owed IS NOT NULL FROM public.t ORDER BY id", &r);
		if (st.ok()) st = check_.Exec("SELECT count(*) FROM flatwal_sink.moved_values", &left);
		if (!st.ok()) return st;
		for (int i = 0; i < r.rows(); ++i)
			*rows += " " + std::string(r.text(i, 0)) + ":" + (r.is_null(i, 1) ? "NULL" : r.text(i, 1)) + "," +
			         (r.is_null(i, 2) ? "NULL" : r.text(i, 2)) + "/" + r.text(i, 3) + (r.text(i, 4)[0] == 't' ? "(owes)" : "");
		if (std::string(left.text(0, 0)) != "0") *leftover = std::string(left.text(0, 0)) + " ledger entries";
		return st;
	}

 private:
	std::string conninfo_;
	flatwal::PgSession check_;
	flatwal::PgResult exists_;
	std::unique_ptr<flatwal::PgTarget> target_;
};

class ClickHouseBench : public Bench {
 public:
	explicit ClickHouseBench(std::string url) : url_(std::move(url)) {
		if (url_.empty() || url_.back() != '/') url_ += '/';
	}

	flatwal::Target* Fresh(Status* st) override {
		std::string ignored;
		*st = Query("DROP DATABASE IF EXISTS sink_orders", &ignored);
		if (st->ok()) *st = Query("DROP TABLE IF EXISTS flatwal_sink.moved_values", &ignored);
		if (!st->ok()) return nullptr;
		target_.reset(new flatwal::ClickHouseTarget(url_, "sink_orders", "sink_orders"));
		*st = target_->Connect();
		return st->ok() ? target_.get() : nullptr;
	}

	Status Ended(std::string* rows, std::string* leftover) override {
		(void)leftover;
		std::string out;
		Status st = Query("SELECT id, concat(ifNull(note, 'NULL'), ',', ifNull(body, 'NULL')), n, notEmpty(_owed) FROM "
		                  "sink_orders.t FINAL WHERE _deleted = 0 ORDER BY id FORMAT TabSeparated", &out);
		for (size_t at = 0; st.ok() && at < out.size();) {
			size_t end = out.find('\n', at);
			if (end == std::string::npos) end = out.size();
			std::string line = out.substr(at, end - at);
			const std::vector<std::string> f = flatwal::SplitTsvLine(line);
			if (f.size() != 4) return Status::Error(flatwal::ErrorKind::kInternal, "ClickHouse returned: " + line);
			*rows += " " + f[0] + ":" + f[1] + "/" + f[2] + (f[3] == "1" ? "(owes)" : "");
			at = end + 1;
		}
		return st;
	}

 private:
	static size_t Collect(char* data, size_t size, size_t n, void* out) {
		static_cast<std::string*>(out)->append(data, size * n);
		return size * n;
	}
	Status Query(const std::string& sql, std::string* out) {
		CURL* curl = curl_easy_init();
		if (curl == nullptr) return Status::Error(flatwal::ErrorKind::kInternal, "no HTTP client");
		long code = 0;
		curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, sql.c_str());
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
		const CURLcode rc = curl_easy_perform(curl);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_cleanup(curl);
		if (rc != CURLE_OK || code != 200)
			return Status::Error(flatwal::ErrorKind::kUnavailable, "ClickHouse: " + sql + ": " + *out);
		return Status::Ok();
	}

	std::string url_;
	std::unique_ptr<flatwal::ClickHouseTarget> target_;
};

class Harness {
 public:
	explicit Harness(Bench* bench) : bench_(bench) { LearnTable(&catalog_); }

	// Plays `h` in the order `reading`; an empty string when the target ends equal to the source.
	std::string Play(const History& h, const Reading& reading) {
		Status st = Status::Ok();
		flatwal::Target* target = bench_->Fresh(&st);
		if (target == nullptr) return "setup: " + st.message();
		const flatwal::TableVersion& table = *catalog_.Find(kRelid, 1);
		std::vector<size_t> next(kPartitions, 0);
		flatwal::ChangeSet set(&table, target->value_form(), false);
		int dead_letters = 0;
		std::string letters;
		for (const std::vector<int>& batch : reading) {
			// One transaction per batch, as the sink's; the set applied
			// where the sink applies it (MustApplyFirst, then at the end).
			std::vector<size_t> messages;
			st = target->Begin();
			if (st.ok()) st = target->PrepareTable(table, catalog_);
			auto apply = [&] {
				std::vector<flatwal::RejectedRow> rejected;
				uint64_t applied = 0, skipped = 0;
				Status applied_st = target->Apply(set, &rejected, &applied, &skipped);
				for (const flatwal::RejectedRow& r : rejected) {
					++dead_letters;
					letters += "\n    dead letter: " + h.changes[messages[r.message]].shown + ": " + r.reason;
				}
				set.Clear();
				return applied_st;
			};
			for (size_t i = 0; st.ok() && i < batch.size(); ++i) {
				const int p = batch[i];
				const Copy& copy = h.partitions[p][next[p]++];
				const wire::Change& change = h.changes[copy.change].change();
				if (set.MustApplyFirst(change, copy.under_old_key)) st = apply();
				if (st.ok()) st = set.Add(change, copy.under_old_key, messages.size(), -1, 1);
				if (!st.ok()) return "refused by the change set: " + h.changes[copy.change].shown + ": " + st.message();
				messages.push_back(copy.change);
			}
			if (st.ok()) st = apply();
			if (st.ok()) st = target->Commit();
			if (!st.ok()) return "the target failed: " + st.message() + " " + st.detail();
		}
		std::string want, got, leftover;
		st = bench_->Ended(&got, &leftover);
		if (!st.ok()) return "reading the target: " + st.message();
		for (const auto& [id, row] : h.source)
			want += " " + std::to_string(id) + ":" + row.note + "," + row.body + "/" + std::to_string(row.n);
		if (want == got && dead_letters == 0 && leftover.empty()) return "";
		return "source {" + want + " }\n  target {" + got + " }" + (leftover.empty() ? "" : ", left: " + leftover) + letters;
	}

 private:
	Bench* bench_;
	flatwal::TableCatalog catalog_;
};

std::string Shown(const History& h, const Reading& reading) {
	std::string out = "  history:\n";
	for (const Change& c : h.changes) out += "    " + c.shown + "\n";
	out += "  read (partition per message, | between batches, partition = key % 3):\n    ";
	std::vector<size_t> next(kPartitions, 0);
	for (const std::vector<int>& batch : reading) {
		for (int p : batch) {
			const Copy& copy = h.partitions[p][next[p]++];
			out += "p" + std::to_string(p) + ":" + std::to_string(copy.change) + (copy.under_old_key ? "(old key) " : " ");
		}
		out += "| ";
	}
	return out + "\n";
}

}  // namespace

int main(int argc, char** argv) {
	const bool clickhouse = argc > 2 && std::string(argv[1]) == "--clickhouse";
	if (argc < 2 + clickhouse) {
		std::fprintf(stderr, "usage: sink_orders CONNINFO | --clickhouse URL  [SCENARIOS] [FIRST_SEED]\n");
		return 2;
	}
	const char* where = argv[1 + clickhouse];
	const int scenarios = argc > 2 + clickhouse ? std::atoi(argv[2 + clickhouse]) : 200;
	const unsigned first_seed = argc > 3 + clickhouse ? static_cast<unsigned>(std::strtoul(argv[3 + clickhouse], nullptr, 10)) : 1;
	std::unique_ptr<Bench> bench;
	if (clickhouse) bench.reset(new ClickHouseBench(where));
	else bench.reset(new PostgresBench(where));
	Harness harness(bench.get());
	int passed = 0, failed = 0;
	for (unsigned seed = first_seed; seed < first_seed + static_cast<unsigned>(scenarios); ++seed) {
		std::mt19937 rng(seed);
		History h;
		const bool full_identity = seed % 5 == 0;
		MakeHistory(&rng, 6 + static_cast<int>(rng() % 20), full_identity, &h);
		const int readings = 4;
		std::string failure;
		Reading failed_reading;
		for (int i = 0; i < readings && failure.empty(); ++i) {
			failed_reading = ReadInSomeOrder(&rng, h);
			failure = harness.Play(h, failed_reading);
		}
		if (failure.rfind("setup: ", 0) == 0) {
			std::fprintf(stderr, "sink_orders: %s\n", failure.c_str());
			return 2;
		}
		if (failure.empty()) {
			++passed;
			continue;
		}
		++failed;
		if (failed <= 3)
			std::printf("FAILED seed %u (%s identity; re-run: sink_orders %s 1 %u):\n  %s\n%s", seed,
			            full_identity ? "full" : "default", clickhouse ? "--clickhouse URL" : "CONNINFO", seed,
			            failure.c_str(), Shown(h, failed_reading).c_str());
	}
	std::printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
