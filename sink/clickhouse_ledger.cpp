// clickhouse_ledger.cpp — the ClickHouse target's ledger of key moves
// (change_set.h; the same terms as the PostgreSQL target's, pg_ledger.h).
//
// A key move that left TOAST values unchanged comes as two copies in two
// partitions, in no order between them. Each writes only its own key's row,
// so a key's rows go in in its own partition's order and the latest version
// is its latest change. The values travel through flatwal_sink.moved_values:
//   - the old key's copy (a credit) reads the old row as it is before the
//     set and records its values, one ledger row per column;
//   - the new key's copy writes the new row, taking the values from the
//     credit when it is there, else owing them (_owed, _owed_from) — and
//     records that the move is awaited;
//   - a credit whose move is awaited pays: every live row that owes from the
//     move is written again at its position with the values (the later
//     insert is the one FINAL and merges keep), and every credit that owes
//     from it is resolved; then the awaited entry goes.
// There are no transactions: each step writes what a batch read again after
// a crash writes the same way (the rows, then the receipts; the payments,
// then the awaited entry's end). A credit taken by its receipt is marked
// gone but kept: a batch read again takes it again.
#include <algorithm>
#include <chrono>
#include <functional>
#include <sstream>

#include "clickhouse_target.h"
#include "json_string.h"
#include "number_text.h"

namespace flatwal {

const char kClickHouseLedgerDdl[] =
    "CREATE TABLE IF NOT EXISTS flatwal_sink.moved_values (database String, table String, move String, kind String, "
    "attnum Int16, value String, owed UInt8, owed_from String, gone UInt8, version UInt64) "
    "ENGINE = ReplacingMergeTree(version) ORDER BY (database, table, move, kind, attnum)";

namespace {

// Settles what `into` owes from `from`'s move with `from`'s values; what
// `from` itself still owes, `into` now owes from where `from` does.
void Resolve(const ClickHouseTarget::MovedValues& from, std::set<int>* owed, std::string* owed_from,
             const std::function<void(int, const std::string&)>& pay) {
	for (auto a = owed->begin(); a != owed->end();) {
		auto value = from.values.find(*a);
		if (from.owed.count(*a) || value == from.values.end()) {
			++a;
			continue;
		}
		pay(*a, value->second);
		a = owed->erase(a);
	}
	*owed_from = owed->empty() ? "" : from.owed_from;
}

std::string MoveList(const std::set<std::string>& moves) {
	std::string list;
	for (const std::string& move : moves) list += (list.empty() ? "" : ", ") + ClickHouseString(move);
	return list;
}

}  // namespace

uint64_t ClickHouseTarget::NextLedgerVersion() {
	const uint64_t now = static_cast<uint64_t>(
	    std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
	ledger_version_ = std::max(now, ledger_version_ + 1);
	return ledger_version_;
}

std::string ClickHouseTarget::LedgerRowHead(const TableVersion& table, const std::string& move) const {
	const std::string database = Database(table.schema);
	std::string head = "{\"database\":";
	AppendJsonString(database.data(), database.size(), &head);
	head += ",\"table\":";
	AppendJsonString(table.table.data(), table.table.size(), &head);
	head += ",\"move\":";
	AppendJsonString(move.data(), move.size(), &head);
	return head;
}

std::string ClickHouseTarget::LedgerRows(const TableVersion& table, const std::string& move, const MovedValues& credit,
                                         bool gone) {
	const uint64_t version = NextLedgerVersion();
	const std::string head = LedgerRowHead(table, move);
	std::string rows;
	for (const auto& [attnum, value] : credit.values) {
		rows += head + ",\"kind\":\"c\",\"attnum\":" + std::to_string(attnum) + ",\"value\":";
		AppendJsonString(value.data(), value.size(), &rows);
		rows += ",\"owed\":" + std::string(credit.owed.count(attnum) ? "1" : "0") + ",\"owed_from\":";
		AppendJsonString(credit.owed_from.data(), credit.owed_from.size(), &rows);
		rows += ",\"gone\":" + std::string(gone ? "1" : "0") + ",\"version\":" + std::to_string(version) + "}\n";
	}
	return rows;
}

std::string ClickHouseTarget::AwaitedRow(const TableVersion& table, const std::string& move, bool gone) {
	return LedgerRowHead(table, move) + ",\"kind\":\"a\",\"attnum\":0,\"value\":\"\",\"owed\":0,\"owed_from\":\"\",\"gone\":" +
	       (gone ? "1" : "0") + ",\"version\":" + std::to_string(NextLedgerVersion()) + "}\n";
}

Status ClickHouseTarget::ReadLedger(const TableVersion& table, const std::string& condition,
                                    std::map<std::string, MovedValues>* credits, std::set<std::string>* awaited) {
	std::string result;
	Status st = Query("SELECT move, kind, attnum, value, owed, owed_from, gone FROM flatwal_sink.moved_values FINAL WHERE "
	                  "database = " + ClickHouseString(Database(table.schema)) + " AND table = " +
	                  ClickHouseString(table.table) + " AND " + condition + " FORMAT TabSeparated",
	                  "", &result);
	if (!st.ok()) return st;
	std::istringstream in(result);
	for (std::string line; std::getline(in, line);) {
		const std::vector<std::string> f = SplitTsvLine(line);
		if (f.size() != 7) continue;
		const std::string move = TsvUnescape(f[0]);
		if (f[1] == "a") {
			if (f[6] == "0") awaited->insert(move);
			continue;
		}
		// A credit taken (gone) still serves a batch read again.
		MovedValues& credit = (*credits)[move];
		const int attnum = std::atoi(f[2].c_str());
		credit.values[attnum] = TsvUnescape(f[3]);
		if (f[4] == "1") credit.owed.insert(attnum);
		credit.owed_from = credit.owed.empty() ? "" : TsvUnescape(f[5]);
	}
	return Status::Ok();
}

Status ClickHouseTarget::SettleCredits(const ChangeSet& set, const JsonColumns& columns,
                                       const std::vector<const RowAction*>& credits,
                                       const std::vector<const RowAction*>& receipts,
                                       const std::vector<const RowAction*>& owing, std::vector<RejectedRow>* rejected,
                                       std::map<std::string, MovedValues>* available) {
	const TableVersion& table = set.table();
	std::set<std::string> moves, received;
	for (const RowAction* r : receipts) received.insert(MoveName(r->owed_from));
	for (const std::vector<const RowAction*>* entries : {&credits, &receipts, &owing})
		for (const RowAction* r : *entries) moves.insert(MoveName(r->owed_from));
	// The credits of this set: the old rows as the set has them, the rest as the table has them now.
	std::vector<StoredRow> old_rows;
	Status st = ReadCurrentRows(set, columns, credits, &old_rows);
	if (!st.ok()) return st;
	std::map<std::string, MovedValues> fresh;
	for (size_t c = 0; c < credits.size(); ++c) {
		const RowAction& credit = *credits[c];
		const StoredRow& old_row = old_rows[c];
		MovedValues values;
		bool whole = true;
		for (size_t i = 0; i < table.columns.size(); ++i) {
			const int attnum = OwedAttnum(table, i);
			const ValueSpan::State state = set.span(credit, i).state;
			std::string& value = values.values[attnum];
			if (state == ValueSpan::State::kValue) {
				AppendValueJson(set.value(credit, i), columns.is_string[i], &value);
			} else if (state == ValueSpan::State::kNull) {
				value = "null";
			} else if (old_row.found) {
				value = old_row.values[i];
				if (std::find(old_row.owed.begin(), old_row.owed.end(), attnum) != old_row.owed.end()) {
					values.owed.insert(attnum);
					values.owed_from = old_row.owed_from;
				}
			} else {
				whole = false;
			}
		}
		if (!whole) {
			rejected->push_back({credit.message, "a key move left TOAST values unchanged and the target has no row of the "
			                                     "old key to take them from (the new key's row keeps them owed: _owed)"});
			continue;
		}
		fresh[MoveName(credit.owed_from)] = std::move(values);
	}
	std::map<std::string, MovedValues> kept;  // the ledger's credits
	std::set<std::string> awaited;
	if (!moves.empty() && !(st = ReadLedger(table, "move IN (" + MoveList(moves) + ")", &kept, &awaited)).ok()) return st;
	std::map<std::string, MovedValues> pays, to_keep;
	for (auto& [move, values] : fresh) {
		if (received.count(move)) (*available)[move] = values;  // both copies here: nothing to record
		else if (awaited.count(move)) pays[move] = values;
		else to_keep[move] = values;
	}
	// Credits that owe from a move paid here are settled first, in chains.
	auto settle = [&](std::map<std::string, MovedValues>* all) {
		bool changed = false;
		for (auto& [move, values] : *all) {
			auto from = pays.find(values.owed_from);
			if (values.owed.empty() || from == pays.end() || from->first == move) continue;
			Resolve(from->second, &values.owed, &values.owed_from,
			        [&values](int a, const std::string& v) { values.values[a] = v; });
			changed = true;
		}
		return changed;
	};
	for (int round = 0; round < 100 && (settle(&pays) | settle(&to_keep) | settle(available) | settle(&kept)); ++round) {
	}
	std::string writes;
	if (!pays.empty()) {
		std::set<std::string> paid;
		for (const auto& entry : pays) paid.insert(entry.first);
		// The rows that owe from them, written again at their positions.
		std::vector<StoredRow> debtors;
		if (!(st = ReadDebtors(table, columns, paid, &debtors)).ok()) return st;
		std::map<int, size_t> index_of;
		for (size_t i = 0; i < table.columns.size(); ++i) index_of[OwedAttnum(table, i)] = i;
		std::string rows;
		for (StoredRow& row : debtors) {
			std::set<int> owed(row.owed.begin(), row.owed.end());
			Resolve(pays.at(row.owed_from), &owed, &row.owed_from, [&](int a, const std::string& v) {
				if (index_of.count(a)) row.values[index_of[a]] = v;
			});
			row.owed.assign(owed.begin(), owed.end());
			AppendStoredRowJson(columns, row, &rows);
		}
		if (!rows.empty() && !(st = Insert(table, rows)).ok()) return st;
		// The kept credits that owe from them (moved on before they were paid).
		std::map<std::string, MovedValues> owing_credits;
		std::set<std::string> none_awaited;  // (credits only)
		st = ReadLedger(table, "kind = 'c' AND gone = 0 AND owed_from IN (" + MoveList(paid) + ")", &owing_credits,
		                &none_awaited);
		if (!st.ok()) return st;
		for (auto& [move, credit] : owing_credits) {
			auto from = pays.find(credit.owed_from);
			if (from == pays.end()) continue;
			Resolve(from->second, &credit.owed, &credit.owed_from,
			        [&credit](int a, const std::string& v) { credit.values[a] = v; });
			writes += LedgerRows(table, move, credit, false);
		}
	}
	for (const auto& [move, values] : to_keep) writes += LedgerRows(table, move, values, false);
	for (const auto& entry : pays) writes += AwaitedRow(table, entry.first, true);  // last: the payments are written
	if (!writes.empty() && !(st = Query("INSERT INTO flatwal_sink.moved_values FORMAT JSONEachRow", writes)).ok()) return st;
	// The set's moved rows take their credits from this set or the ledger.
	for (const RowAction* row : owing) {
		const std::string move = MoveName(row->owed_from);
		if (available->count(move)) continue;
		auto credit = kept.find(move);
		if (credit != kept.end()) (*available)[move] = credit->second;
	}
	return Status::Ok();
}

Status ClickHouseTarget::RecordReceipts(const ChangeSet& set, const std::vector<const RowAction*>& receipts,
                                        const std::map<std::string, MovedValues>& available,
                                        const std::set<std::string>& paired) {
	std::string writes;
	for (const RowAction* receipt : receipts) {
		const std::string move = MoveName(receipt->owed_from);
		if (paired.count(move)) continue;
		auto credit = available.find(move);
		writes += credit != available.end() ? LedgerRows(set.table(), move, credit->second, true)
		                                     : AwaitedRow(set.table(), move, false);
	}
	return writes.empty() ? Status::Ok() : Query("INSERT INTO flatwal_sink.moved_values FORMAT JSONEachRow", writes);
}

}  // namespace flatwal
