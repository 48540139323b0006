// pgoutput_snapshot.cpp — see pgoutput_snapshot.h.
#include "pgoutput_snapshot.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "frame_builder.h"
#include "log.h"
#include "lsn.h"
#include "text_values.h"

namespace flatwal {
namespace {

constexpr char kPurpose[] = "flatwal-shipper snapshot";
constexpr int kFetchRows = 1000;
constexpr size_t kPiecesPerReader = 4;  // batches of kFetchRows waiting to be framed, per reader

// Opens a transaction in the slot's exported snapshot, writing values as the stream does.
Status ImportSnapshot(PgSession& session, const std::string& conninfo, const std::string& snapshot_name) {
	Status st = session.Connect(conninfo, PgSession::Kind::kSql, kPurpose);
	if (st.ok()) st = session.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (st.ok()) st = session.Exec("SET TRANSACTION SNAPSHOT " + session.QuoteLiteral(snapshot_name));
	if (st.ok()) st = session.Exec(kTextSessionSetup);  // the text the stream's values come in
	return st;
}

}  // namespace

Status PgoutputSnapshot::ListTables(const std::string& snapshot_name) {
	PgSession session;
	Status st = ImportSnapshot(session, config_.conninfo, snapshot_name);
	if (!st.ok()) return st;
	column_lists_ = PQserverVersion(session.conn()) >= 150000;
	// The publication's tables as the stream names them (the roots, with
	// publish_via_partition_root), with their column lists (PostgreSQL 15).
	PgResult r;
	st = session.Exec(std::string("SELECT c.oid, n.nspname, c.relname, c.relreplident, c.relkind = 'p', ") +
	                      (column_lists_ ? "p.attnames::text" : "NULL") +
	                      " FROM pg_catalog.pg_publication_tables p "
	                      "JOIN pg_catalog.pg_namespace n ON n.nspname = p.schemaname "
	                      "JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename "
	                      "WHERE p.pubname = " + session.QuoteLiteral(config_.publication) + " ORDER BY 1",
	                  &r);
	if (!st.ok()) return st;
	tables_.clear();
	tables_.reserve(static_cast<size_t>(r.rows()));
	for (int i = 0; i < r.rows(); ++i) {
		Table t;
		t.relid = static_cast<uint32_t>(std::strtoul(r.text(i, 0), nullptr, 10));
		t.schema = r.text(i, 1);
		t.name = r.text(i, 2);
		t.replica_identity = r.text(i, 3)[0];
		t.partitioned = r.text(i, 4)[0] == 't';
		if (!r.is_null(i, 5)) t.column_list = r.text(i, 5);
		if (frames_->IsSignalTable(t.schema, t.name)) continue;  // requests, not data
		tables_.push_back(std::move(t));
	}
	// The units, planned inside the snapshot: one per table, or a key range per worker.
	const int workers = std::max(config_.snapshot_workers, 1);
	units_.clear();
	for (size_t i = 0; i < tables_.size(); ++i) {
		std::vector<KeyRange> ranges;
		std::string key_column;
		st = PlanTableRanges(workers, PgoutputSplitFactsSql(tables_[i].relid),
		                     [&session](const std::string& sql, PgResult* result) { return session.Exec(sql, result); },
		                     &ranges, &key_column);
		if (!st.ok()) return st;
		for (size_t range = 0; range < ranges.size(); ++range) {
			Unit unit;
			unit.table = i;
			unit.range = ranges[range];
			unit.key_column = key_column;
			unit.seq_base = RangeSeqBase(range, workers);
			units_.push_back(unit);
		}
		tables_[i].units_left = static_cast<int>(ranges.size());
	}
	return session.Exec("COMMIT");
}

Status PgoutputSnapshot::Run(const std::string& snapshot_name, uint64_t consistent_lsn) {
	Status st = ListTables(snapshot_name);
	if (!st.ok()) return st;
	const size_t readers = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(std::max(config_.snapshot_workers, 1)),
	                                                            units_.size()));
	Log(LogLevel::kInfo, "snapshot started",
	    {{"slot", config_.slot}, {"publication", config_.publication}, {"tables", std::to_string(tables_.size())},
	     {"units", std::to_string(units_.size())}, {"readers", std::to_string(readers)},
	     {"consistent_lsn", LsnText(consistent_lsn)}});
	max_pieces_ = kPiecesPerReader * readers;
	readers_left_ = readers;
	std::vector<std::thread> threads;
	for (size_t i = 0; i < readers; ++i) threads.emplace_back([this, snapshot_name] { Read(snapshot_name); });
	while (st.ok()) {
		Piece piece;
		bool got = false;
		{
			std::unique_lock<std::mutex> lock(mutex_);
			// Woken now and then to see the stop flag.
			changed_.wait_for(lock, std::chrono::milliseconds(100), [this] { return !pieces_.empty() || readers_left_ == 0; });
			if (pieces_.empty() && readers_left_ == 0) break;
			if (!pieces_.empty()) {
				piece = std::move(pieces_.front());
				pieces_.pop_front();
				got = true;
			}
		}
		changed_.notify_all();  // room for the readers
		if (stop_->load() != 0) st = Status::Error(ErrorKind::kUnavailable, "stopped during the snapshot");
		else if (got) st = Frame(piece, consistent_lsn);
	}
	{
		std::lock_guard<std::mutex> lock(mutex_);
		abandoned_ = true;  // ends readers still at work when framing failed
	}
	changed_.notify_all();
	for (std::thread& t : threads) t.join();
	return st;
}

void PgoutputSnapshot::Read(const std::string& snapshot_name) {
	PgSession session;
	Status st = ImportSnapshot(session, config_.conninfo, snapshot_name);
	for (;;) {
		size_t unit = 0;
		{
			std::lock_guard<std::mutex> lock(mutex_);
			if (!st.ok() || abandoned_ || next_unit_ == units_.size()) break;
			unit = next_unit_++;
		}
		st = ReadUnit(session, unit);
	}
	if (!st.ok()) {
		Piece failed;
		failed.status = st;
		Push(std::move(failed));
	} else {
		(void)session.Exec("COMMIT");
	}
	std::lock_guard<std::mutex> lock(mutex_);
	--readers_left_;
	changed_.notify_all();
}

bool PgoutputSnapshot::Push(Piece piece) {
	std::unique_lock<std::mutex> lock(mutex_);
	// A failure is queued whatever the room, so that it is always heard.
	changed_.wait(lock, [this, &piece] {
		return abandoned_ || pieces_.size() < max_pieces_ || piece.kind == Piece::Kind::kFailed;
	});
	if (abandoned_) return false;
	pieces_.push_back(std::move(piece));
	changed_.notify_all();
	return true;
}

Status PgoutputSnapshot::ReadUnit(PgSession& session, size_t index) {
	const Unit& unit = units_[index];  // the lists do not change while readers run
	const Table& t = tables_[unit.table];
	Piece columns;
	columns.kind = Piece::Kind::kColumns;
	columns.unit = index;
	columns.result.reset(new PgResult);
	Status st = session.Exec(
	    PublishedColumnsQuery(t.relid, t.column_list.empty() ? "NULL" : session.QuoteLiteral(t.column_list) + "::name[]"),
	    columns.result.get());
	if (!st.ok()) return st;
	PublishedColumns published;
	ReadPublishedColumns(*columns.result, t.relid, t.schema, t.name, t.replica_identity, &published);
	const std::string select = published.select, order_by = published.quoted_keys;
	if (!Push(std::move(columns))) return Status::Ok();
	const std::string qualified = session.QuoteIdentifier(t.schema) + "." + session.QuoteIdentifier(t.name);
	// A range is of the key's column even when the publication's column list leaves it out.
	st = session.Exec("DECLARE flatwal_snapshot NO SCROLL CURSOR FOR SELECT " + select + " FROM " +
	                  (t.partitioned ? "" : "ONLY ") + qualified + RangeWhereSql(unit.range, unit.key_column) +
	                  (order_by.empty() ? "" : " ORDER BY " + order_by));
	for (;;) {
		if (!st.ok()) return st;
		Piece rows;
		rows.kind = Piece::Kind::kRows;
		rows.unit = index;
		rows.result.reset(new PgResult);
		st = session.Exec("FETCH " + std::to_string(kFetchRows) + " FROM flatwal_snapshot", rows.result.get());
		if (!st.ok()) return st;
		if (rows.result->rows() == 0) break;
		if (!Push(std::move(rows))) return Status::Ok();
	}
	st = session.Exec("CLOSE flatwal_snapshot");
	if (!st.ok()) return st;
	Piece end;
	end.kind = Piece::Kind::kEnd;
	end.unit = index;
	Push(std::move(end));
	return Status::Ok();
}

Status PgoutputSnapshot::Frame(Piece& piece, uint64_t consistent_lsn) {
	if (piece.kind == Piece::Kind::kFailed) return piece.status;
	Unit& unit = units_[piece.unit];
	Table& t = tables_[unit.table];
	const std::string qualified = t.schema + "." + t.name;
	if (piece.kind == Piece::Kind::kColumns) {
		// Every unit of a table reads its columns in the one snapshot: the first one's describe them all.
		if (t.columns) return Status::Ok();
		t.columns = std::move(piece.result);
		ReadPublishedColumns(*t.columns, t.relid, t.schema, t.name, t.replica_identity, &t.published);
		Status st = frames_->OnSnapshotTable(t.published.relation);
		return st.ok() ? EmitMarker(t, true, consistent_lsn, 0) : st;
	}
	if (piece.kind == Piece::Kind::kEnd) {
		if (--t.units_left > 0) return Status::Ok();
		Status st = EmitMarker(t, false, consistent_lsn, t.rows);
		if (!st.ok()) return st;
		rows_ += t.rows;
		++tables_done_;
		t.columns.reset();
		Log(LogLevel::kInfo, "snapshot of table done", {{"table", qualified}, {"rows", std::to_string(t.rows)}});
		return Status::Ok();
	}
	const PgResult& batch = *piece.result;
	std::vector<pgoutput::Value> values(t.published.relation.columns.size());
	for (int i = 0; i < batch.rows(); ++i) {
		ReadPublishedRow(batch, i, &values);
		++t.rows;
		const uint32_t seq = static_cast<uint32_t>(unit.seq_base + ++unit.rows);
		Status st = frames_->OnSnapshotRow(t.relid, consistent_lsn, seq, values);
		if (!st.ok()) return Status::Error(st.kind(), "snapshot of " + qualified + ": " + st.message(), st.detail(), st.hint());
	}
	return Status::Ok();
}

Status PgoutputSnapshot::EmitMarker(const Table& t, bool start, uint64_t consistent_lsn, uint64_t rows) {
	flatbuffers::FlatBufferBuilder b(256);
	BuildSnapshotMarker({t.relid, t.schema, t.name, start ? wire::SnapshotPhase::Start : wire::SnapshotPhase::End,
	                     consistent_lsn, rows, resync_, timeline_},
	                    &b);
	return emit_(b.GetBufferPointer(), b.GetSize());
}

}  // namespace flatwal
