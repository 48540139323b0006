// on_demand.cpp — see on_demand.h.
#include "on_demand.h"

#include <cstdio>
#include <cstring>

#include "log.h"
#include "frame_builder.h"
#include "frame_reader.h"
#include "router.h"

namespace flatwal {
namespace {

constexpr char kRequestPrefix[] = "flatwal.snapshot_request";
constexpr char kWatermarkPrefix[] = "flatwal.watermark";

std::string Bytes(const flatbuffers::Vector<uint8_t>* v) {
	return v ? std::string(reinterpret_cast<const char*>(v->data()), v->size()) : std::string();
}

}  // namespace

bool OnDemandSnapshots::Query(const std::string& sql, PgResult* result, PgSession::Format format) {
	Status st = session_.Exec(sql, result, format);
	// Connection failures are logged by the session itself.
	if (!st.ok() && session_.connected())
		Log(LogLevel::kWarning, "on-demand snapshot: query failed, will retry",
		    {{"error", st.message()}, {"detail", st.detail()}, {"hint", st.hint()}});
	return st.ok();
}

void OnDemandSnapshots::Enqueue(int64_t id, uint32_t relid) {
	if (!known_.insert(id).second) return;
	queue_.push_back(Request{id, relid, "", ""});
	Log(LogLevel::kInfo, "on-demand snapshot requested", {{"request", std::to_string(id)}, {"relid", std::to_string(relid)}});
}

bool OnDemandSnapshots::Activate(bool* skip) {
	Request& request = queue_.front();
	PgResult r;
	// Decoding can deliver a commit a moment before other sessions see it: an
	// invisible request row means "not yet", not "gone".
	if (!Query("SELECT r.state, n.nspname, c.relname, coalesce(s.table_set, '') FROM pg_class c "
	           "JOIN pg_namespace n ON n.oid = c.relnamespace "
	           "LEFT JOIN flatwal.source_tables s ON s.relid = c.oid "
	           "LEFT JOIN flatwal.snapshot_requests r ON r.id = " + std::to_string(request.id) +
	               " WHERE c.oid = " + std::to_string(request.relid),
	           &r))
		return false;
	bool ready = r.rows() == 0 || !r.is_null(0, 0);
	// Skipped: the table was dropped, the request is done, or another table set's shipper serves it.
	*skip = r.rows() == 0 || std::string(r.text(0, 0)) == "done" || r.text(0, 3) != table_set_;
	if (ready && !*skip) {
		request.schema = r.text(0, 1);
		request.table = r.text(0, 2);
	}
	return ready && (*skip || Query("UPDATE flatwal.snapshot_requests SET state = 'running' WHERE id = " +
	                                    std::to_string(request.id)));
}

Status OnDemandSnapshots::Resume() {
	PgResult r;
	if (!Query("SELECT id, relid FROM flatwal.snapshot_requests WHERE state <> 'done' ORDER BY id", &r))
		return Status::Error(ErrorKind::kUnavailable, "cannot read flatwal.snapshot_requests");
	for (int i = 0; i < r.rows(); ++i)
		Enqueue(std::stoll(r.text(i, 0)), static_cast<uint32_t>(std::stoul(r.text(i, 1))));
	return Status::Ok();
}

bool OnDemandSnapshots::Observe(const wire::Event& event) {
	if (event.body_type() == wire::Body::Message) {
		const wire::Message* m = event.body_as_Message();
		std::string prefix = m->prefix() ? m->prefix()->str() : "";
		std::string content = Bytes(m->content());
		if (prefix == kRequestPrefix) {
			long long id = 0;
			unsigned long relid = 0;
			if (sscanf(content.c_str(), "%lld %lu", &id, &relid) == 2) Enqueue(id, static_cast<uint32_t>(relid));
			return true;
		}
		if (prefix == kWatermarkPrefix) {
			if (active_ && chunk_in_flight_ && content == "low:" + token_) window_open_ = true;
			if (active_ && window_open_ && content == "high:" + token_) {
				window_open_ = false;
				high_seen_ = true;
			}
			return true;
		}
		return false;
	}
	if (!window_open_) return false;
	const Request& request = queue_.front();
	if (event.body_type() == wire::Body::Change) {
		const wire::Change* c = event.body_as_Change();
		const TableVersion* table = nullptr;
		ChangeKeys keys;
		// A change the catalog cannot describe fails in the router, right after this.
		if (c->header()->relid() == request.relid && catalog_->Describe(*c, &table).ok() &&
		    ChangeKeysOf(*c, *table, &keys).ok()) {
			changed_.insert(keys.key);
			if (!keys.old_key.empty()) changed_.insert(keys.old_key);
		}
	} else if (event.body_type() == wire::Body::Truncate) {
		for (const wire::TableRef* t : *event.body_as_Truncate()->tables())
			if (t->relid() == request.relid) discard_chunk_ = true;
	}
	return false;
}

Status OnDemandSnapshots::EmitMarker(bool start, uint64_t rows) {
	const Request& request = queue_.front();
	flatbuffers::FlatBufferBuilder b(256);
	// consistent_lsn 0: an on-demand snapshot is stitched into the stream chunk
	// by chunk, not taken at one point, so it replaces nothing.
	BuildSnapshotMarker({request.relid, request.schema, request.table,
	                     start ? wire::SnapshotPhase::Start : wire::SnapshotPhase::End, 0, rows},
	                    &b);
	return emit_(b.GetBufferPointer(), b.GetSize());
}

Status OnDemandSnapshots::EnsureSchema(uint32_t relid, uint32_t version, bool* retry) {
	*retry = false;
	if (catalog_->Find(relid, version) != nullptr) return Status::Ok();
	PgResult r;
	if (!Query("SELECT flatwal.schema_frame(" + std::to_string(relid) + "::regclass)", &r, PgSession::Format::kBinary)) {
		*retry = true;  // logged by Query(); the chunk is read again at the next step
		return Status::Ok();
	}
	Status st = emit_(r.bytes(0, 0), r.length(0, 0));
	if (st.ok() && catalog_->Find(relid, version) == nullptr)
		st = Status::Error(ErrorKind::kInvalidData, "a snapshot row has a schema version its table does not describe",
		                   "Relation " + std::to_string(relid) + ", version " + std::to_string(version) + ".",
		                   "The table changed while it was read; request the snapshot again.");
	return st;
}

Status OnDemandSnapshots::Step() {
	if (high_seen_) {
		Status st = FinishChunk();
		if (!st.ok()) return st;
	}
	if (chunk_in_flight_ || queue_.empty()) return Status::Ok();
	if (!active_) {
		bool skip = false;
		if (!Activate(&skip)) return Status::Ok();  // tried again at the next step
		if (skip) {
			known_.erase(queue_.front().id);
			queue_.pop_front();
			return Status::Ok();
		}
		active_ = true;
		after_key_.clear();
		rows_sent_ = 0;
		Status st = EmitMarker(true, 0);
		if (!st.ok()) return st;
	}
	return StartChunk();
}

std::string OnDemandSnapshots::EmitWatermark(const std::string& content) {
	// A non-transactional message is not flushed by its own commit, and the
	// walsender reads only flushed WAL: with nothing else being written, the
	// watermark would wait for the WAL writer. A transaction that takes an
	// xid and commits synchronously flushes it at once.
	PgResult r;
	std::string lsn;
	if (Query("BEGIN") && Query("SET LOCAL synchronous_commit = on") &&
	    Query("SELECT pg_logical_emit_message(false, '" + std::string(kWatermarkPrefix) + "', " +
	              session_.QuoteLiteral(content) + "), txid_current()",
	          &r)) {
		lsn = r.text(0, 0);
		if (!Query("COMMIT")) lsn.clear();
	} else if (session_.connected()) {
		Query("ROLLBACK");
	}
	return lsn;
}

Status OnDemandSnapshots::StartChunk() {
	const Request& request = queue_.front();
	token_ = std::to_string(request.id) + ":" + std::to_string(++chunk_number_);
	PgResult r;
	std::string low = EmitWatermark("low:" + token_);
	if (low.empty()) return Status::Ok();  // retried at the next step
	std::string after = after_key_.empty() ? "NULL" : session_.QuoteLiteral(after_key_) + "::jsonb";
	if (!Query("SELECT * FROM flatwal.snapshot_chunk(" + std::to_string(request.relid) + "::regclass, " + after + ", " +
	               std::to_string(chunk_rows_) + ", '" + low + "')",
	           &r, PgSession::Format::kBinary))
		return Status::Ok();
	rows_.clear();
	keys_.clear();
	FrameScratch scratch;
	for (int i = 0; i < r.rows(); ++i) {
		const uint8_t* frame = r.bytes(i, 0);
		size_t size = r.length(i, 0);
		const wire::Event* event = nullptr;
		Status st = ReadFrame(frame, size, &scratch, &event);
		if (!st.ok()) return st;
		const wire::Change* row = event->body_as_Change();
		if (row == nullptr)
			return Status::Error(ErrorKind::kInvalidData, "flatwal.snapshot_chunk() returned a frame that is not a row",
			                     "", "Check that the flatwal extension and the shipper are the same version.");
		const TableVersion* table = nullptr;
		ChangeKeys keys;
		bool retry = false;
		st = EnsureSchema(row->header()->relid(), row->header()->version(), &retry);
		if (st.ok() && !retry) st = catalog_->Describe(*row, &table);
		if (st.ok() && !retry) st = ChangeKeysOf(*row, *table, &keys);
		if (!st.ok() || retry) return st;
		rows_.emplace_back(reinterpret_cast<const char*>(frame), size);
		keys_.push_back(std::move(keys.key));
	}
	if (EmitWatermark("high:" + token_).empty()) return Status::Ok();  // no HIGH: the chunk is read again
	changed_.clear();
	discard_chunk_ = false;
	window_open_ = false;
	high_seen_ = false;
	chunk_in_flight_ = true;
	return Status::Ok();
}

Status OnDemandSnapshots::FinishChunk() {
	high_seen_ = false;
	chunk_in_flight_ = false;
	Request request = queue_.front();
	if (discard_chunk_) {
		// Truncated inside the window: nothing read before it is current. Start over.
		after_key_.clear();
		return Status::Ok();
	}
	for (size_t i = 0; i < rows_.size(); ++i) {
		if (changed_.count(keys_[i])) continue;  // the stream carried a newer value
		Status st = emit_(reinterpret_cast<const uint8_t*>(rows_[i].data()), rows_[i].size());
		if (!st.ok()) return st;
		++rows_sent_;
	}
	if (!keys_.empty()) after_key_ = keys_.back();
	if (static_cast<int>(rows_.size()) == chunk_rows_) return Status::Ok();  // more to read
	Status st = EmitMarker(false, rows_sent_);
	if (!st.ok()) return st;
	// Done only once Kafka holds every row: otherwise a crash now would lose them.
	if (!flush_()) return Status::Ok();  // stopping or failing: the request stays open and starts over later
	Query("UPDATE flatwal.snapshot_requests SET state = 'done', rows_done = " + std::to_string(rows_sent_) +
	          ", finished_at = now() WHERE id = " + std::to_string(request.id));
	Log(LogLevel::kInfo, "on-demand snapshot done",
	    {{"request", std::to_string(request.id)}, {"table", request.schema + "." + request.table},
	     {"rows", std::to_string(rows_sent_)}});
	known_.erase(request.id);
	queue_.pop_front();
	active_ = false;
	return Status::Ok();
}

}  // namespace flatwal
