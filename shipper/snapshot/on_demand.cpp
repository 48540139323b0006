// on_demand.cpp — see on_demand.h.
#include "on_demand.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "frame_builder.h"
#include "frame_reader.h"
#include "log.h"
#include "router.h"
#include "snapshot_plan.h"

namespace flatwal {
namespace {

constexpr char kPurpose[] = "flatwal-shipper on-demand snapshot";
constexpr auto kReadRetryDelay = std::chrono::milliseconds(500);
// How often a request that cannot start yet asks again.
constexpr auto kActivateRetryDelay = std::chrono::milliseconds(100);
constexpr auto kActivateWaitWorthSaying = std::chrono::seconds(1);

std::string Bytes(const flatbuffers::Vector<uint8_t>* v) {
	return v ? std::string(reinterpret_cast<const char*>(v->data()), v->size()) : std::string();
}

}  // namespace

OnDemandSnapshots::OnDemandSnapshots(std::string conninfo, std::unique_ptr<OnDemandSource> source,
                                     const TableCatalog* catalog, Emit emit, const LsnTracker* deliveries, int readers,
                                     int chunk_rows)
    : source_(std::move(source)),
      session_(conninfo, kPurpose),
      catalog_(catalog),
      emit_(std::move(emit)),
      deliveries_(deliveries),
      chunk_rows_(chunk_rows),
      lanes_(static_cast<size_t>(std::max(readers, 1))) {
	// Readers connect when they first read, so an idle shipper holds no extra connections.
	for (Lane& lane : lanes_) lane.reader.reset(new ChunkReader(conninfo, kPurpose, source_.get()));
}

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
	Request request;
	request.id = id;
	request.relid = relid;
	requests_.push_back(request);
	Log(LogLevel::kInfo, "on-demand snapshot requested", {{"request", std::to_string(id)}, {"relid", std::to_string(relid)}});
}

OnDemandSnapshots::Request* OnDemandSnapshots::FindRequest(int64_t id) {
	for (Request& request : requests_)
		if (request.id == id) return &request;
	return nullptr;
}

Status OnDemandSnapshots::Resume() {
	PgResult r;
	if (!Query(source_->UnfinishedRequests(), &r))
		return Status::Error(ErrorKind::kUnavailable, "cannot read the on-demand snapshot requests");
	for (int i = 0; i < r.rows(); ++i)
		Enqueue(std::stoll(r.text(i, 0)), static_cast<uint32_t>(std::stoul(r.text(i, 1))));
	return Status::Ok();
}

bool OnDemandSnapshots::Observe(const wire::Event& event) {
	if (event.body_type() == wire::Body::Message) {
		const wire::Message* m = event.body_as_Message();
		std::string prefix = m->prefix() ? m->prefix()->str() : "";
		if (prefix == kSnapshotRequestPrefix) {
			long long id = 0;
			unsigned long relid = 0;
			if (sscanf(Bytes(m->content()).c_str(), "%lld %lu", &id, &relid) == 2) Enqueue(id, static_cast<uint32_t>(relid));
			return true;
		}
		if (prefix != kWatermarkPrefix) return false;
		const std::string content = Bytes(m->content());
		for (Lane& lane : lanes_) {
			if (lane.token.empty()) continue;
			if (content == "low:" + lane.token) lane.window_open = true;
			// The window stays open past HIGH until the rows are sent: changes
			// that reach Kafka before them (later frames of this replication
			// message, or a reader slower than the stream) must win too.
			if (lane.window_open && content == "high:" + lane.token) lane.high_seen = true;
		}
		return true;
	}
	if (event.body_type() == wire::Body::Change) {
		const wire::Change* c = event.body_as_Change();
		const uint32_t relid = c->header()->relid();
		const uint32_t xid = c->header()->xid();
		bool keys_done = false;
		ChangeKeys keys;
		// The change's keys, rendered only for a table being snapshotted; false if they cannot be.
		auto render = [&] {
			const TableVersion* table = nullptr;
			// A change the catalog cannot describe fails in the router, right after this.
			if (!keys_done && !(catalog_->Describe(*c, &table).ok() && ChangeKeysOf(*c, *table, &keys).ok())) return false;
			keys_done = true;
			return true;
		};
		auto note = [&keys](std::vector<std::string>& noted) {
			noted.push_back(keys.key);
			if (!keys.old_key.empty()) noted.push_back(keys.old_key);
		};
		for (Request& request : requests_) {
			if (request.relid != relid || (request.active && request.ranges_unassigned == 0)) continue;
			if (!render()) return false;
			note(request.streamed[xid]);
		}
		for (Lane& lane : lanes_) {
			if (!lane.has_range || lane.range.relid != relid) continue;
			if (!render()) return false;
			note(lane.streamed[xid]);
			if (!lane.window_open) continue;
			lane.changed.insert(keys.key);
			if (!keys.old_key.empty()) lane.changed.insert(keys.old_key);
		}
	} else if (event.body_type() == wire::Body::Truncate) {
		for (const wire::TableRef* t : *event.body_as_Truncate()->tables())
			for (Lane& lane : lanes_)
				if (lane.window_open && lane.range.relid == t->relid()) lane.discard = true;
	}
	return false;
}

Status OnDemandSnapshots::EmitMarker(const Request& request, bool start) {
	flatbuffers::FlatBufferBuilder b(256);
	// consistent_lsn 0: an on-demand snapshot is stitched into the stream chunk
	// by chunk, not taken at one point, so it replaces nothing.
	BuildSnapshotMarker({request.relid, request.schema, request.table,
	                     start ? wire::SnapshotPhase::Start : wire::SnapshotPhase::End, 0, start ? 0 : request.rows_sent},
	                    &b);
	return emit_(b.GetBufferPointer(), b.GetSize());
}

bool OnDemandSnapshots::Activate(Request& request, bool* skip) {
	*skip = false;
	if (Clock::now() < request.activate_at) return false;
	request.activate_at = Clock::now() + kActivateRetryDelay;
	PgResult r;
	// Decoding can deliver a commit before other sessions see it: an invisible
	// request row means "not yet", not "gone". For a moment, or as long as the
	// request waits for a synchronous standby (request_snapshot() commits with
	// remote_apply so that every transaction streamed before it is visible
	// once it is: a chunk read earlier could miss their changes).
	if (!Query(source_->RequestState(request.id, request.relid), &r)) return false;
	const bool visible = r.rows() == 0 || !r.is_null(0, 0);
	ChunkSnapshot now;
	if (r.rows() > 0 && ParseChunkSnapshot(r.text(0, 4), &now)) ForgetSeenTransactions(now);
	if (!visible) {
		if (request.waiting_since == Clock::time_point{}) request.waiting_since = Clock::now();
		// Said once it is more than the usual moment.
		if (!request.waiting_logged && Clock::now() - request.waiting_since > kActivateWaitWorthSaying) {
			request.waiting_logged = true;
			Log(LogLevel::kInfo, "on-demand snapshot waits for its request to become visible",
			    {{"request", std::to_string(request.id)},
			     {"hint", "flatwal.request_snapshot() commits once every synchronous standby applied it"}});
		}
		return false;
	}
	// Skipped: the table was dropped, the request is done, or another shipper serves it.
	*skip = r.rows() == 0 || std::string(r.text(0, 0)) == "done" || std::string(r.text(0, 3)) != "t";
	const bool done_before = r.rows() > 0 && std::string(r.text(0, 0)) == "done";
	if (r.rows() == 0) {
		// Done with no rows, so that it is not picked up again at every start.
		Log(LogLevel::kWarning, "on-demand snapshot request skipped: its table does not exist",
		    {{"request", std::to_string(request.id)}, {"relid", std::to_string(request.relid)}});
		(void)Query(source_->MarkDone(request.id, 0));  // failing, it is skipped again at the next start
	} else if (*skip && !done_before && source_->OthersServe()) {
		Log(LogLevel::kInfo, "on-demand snapshot request skipped: this shipper does not capture its table",
		    {{"request", std::to_string(request.id)}, {"table", std::string(r.text(0, 1)) + "." + r.text(0, 2)}});
	} else if (*skip && !done_before) {
		Log(LogLevel::kWarning, "on-demand snapshot request skipped: its table is not captured",
		    {{"request", std::to_string(request.id)}, {"table", std::string(r.text(0, 1)) + "." + r.text(0, 2)},
		     {"hint", "Add the table to the publication, then request it again."}});
		(void)Query(source_->MarkDone(request.id, 0));
	}
	if (*skip) return true;
	request.schema = r.text(0, 1);
	request.table = r.text(0, 2);
	return Query(source_->MarkRunning(request.id));
}

bool OnDemandSnapshots::PlanRanges(const Request& request, std::vector<Range>* ranges) {
	std::vector<KeyRange> keys;
	Status st = PlanTableRanges(static_cast<int>(lanes_.size()), source_->SplitFacts(request.relid),
	                            [this](const std::string& sql, PgResult* result) {
		                            return Query(sql, result) ? Status::Ok() : Status::Error(ErrorKind::kUnavailable, "planning query failed");
	                            },
	                            &keys);
	if (!st.ok()) return false;  // said by Query; tried again at the next step
	ranges->clear();
	for (const KeyRange& range : keys) {
		Range r;
		r.request = request.id;
		r.relid = request.relid;
		// As message keys: a range's rows come after [from - 1] and before [to].
		if (range.has_from) r.first_after = "[" + std::to_string(range.from - 1) + "]";
		if (range.has_to) r.before = "[" + std::to_string(range.to) + "]";
		ranges->push_back(r);
	}
	return true;
}

bool OnDemandSnapshots::AssignRange(Lane& lane, Status* status) {
	while (ranges_.empty()) {
		auto next = std::find_if(requests_.begin(), requests_.end(), [](const Request& r) { return !r.active; });
		if (next == requests_.end()) return false;
		bool skip = false;
		if (!Activate(*next, &skip)) return false;  // tried again at the next step
		if (skip) {
			known_.erase(next->id);
			requests_.erase(next);
			continue;
		}
		std::vector<Range> ranges;
		if (!PlanRanges(*next, &ranges)) return false;
		*status = EmitMarker(*next, true);
		if (!status->ok()) return false;
		next->active = true;
		next->ranges_unassigned = next->ranges_left = static_cast<int>(ranges.size());
		ranges_.insert(ranges_.end(), ranges.begin(), ranges.end());
		Log(LogLevel::kInfo, "on-demand snapshot started",
		    {{"request", std::to_string(next->id)}, {"table", next->schema + "." + next->table},
		     {"ranges", std::to_string(ranges.size())}, {"readers", std::to_string(lanes_.size())}});
	}
	lane.range = ranges_.front();
	ranges_.pop_front();
	lane.has_range = true;
	lane.after_key = lane.range.first_after;
	Request* request = FindRequest(lane.range.request);
	lane.streamed = request->streamed;
	if (--request->ranges_unassigned == 0) request->streamed.clear();
	return true;
}

void OnDemandSnapshots::StartChunk(Lane& lane) {
	lane.token = std::to_string(lane.range.request) + ":" + std::to_string(++chunk_number_);
	lane.window_open = lane.high_seen = lane.discard = false;
	lane.changed.clear();
	lane.read.reset();
	ChunkRequest chunk;
	chunk.relid = lane.range.relid;
	chunk.token = lane.token;
	chunk.after_key = lane.after_key;
	chunk.before_key = lane.range.before;
	chunk.rows = chunk_rows_;
	lane.reader->Start(std::move(chunk));
}

void OnDemandSnapshots::ForgetSeenTransactions(const ChunkSnapshot& snapshot) {
	for (Request& request : requests_)
		for (auto it = request.streamed.begin(); it != request.streamed.end();)
			it = snapshot.Invisible(it->first) ? std::next(it) : request.streamed.erase(it);
}

void OnDemandSnapshots::TakeChunk(Lane& lane) {
	Status st = Status::Ok();
	if (!lane.reader->Take(&lane.read, &st)) return;
	if (st.ok()) {
		ForgetSeenTransactions(lane.read->snapshot);
		return;
	}
	// Without both watermarks in the stream the rows cannot be placed: read it again, under a new token.
	Log(LogLevel::kWarning, "on-demand snapshot: reading a chunk failed, will retry",
	    {{"error", st.message()}, {"detail", st.detail()}, {"hint", st.hint()}});
	lane.token.clear();
	lane.read.reset();
	lane.retry_at = Clock::now() + kReadRetryDelay;
}

Status OnDemandSnapshots::FinishChunk(Lane& lane) {
	std::unique_ptr<ChunkRead> read = std::move(lane.read);
	lane.token.clear();
	Request* request = FindRequest(lane.range.request);
	if (lane.discard) {
		// Truncated inside the window: nothing read before it is current. Start the range over.
		lane.after_key = lane.range.first_after;
		return Status::Ok();
	}
	// First every row's frame and key, so that a chunk that cannot be placed is read again whole.
	std::vector<std::string> frames;
	bool retry = false;
	Status st = source_->Frames(session_, *read, &frames, &retry);
	if (!st.ok()) return st;
	if (retry) {
		lane.retry_at = Clock::now() + kReadRetryDelay;  // the chunk is read again
		return Status::Ok();
	}
	std::vector<std::string> keys(frames.size());
	FrameScratch scratch;
	for (size_t i = 0; i < frames.size(); ++i) {
		const wire::Event* event = nullptr;
		st = ReadFrame(reinterpret_cast<const uint8_t*>(frames[i].data()), frames[i].size(), &scratch, &event);
		const wire::Change* row = st.ok() ? event->body_as_Change() : nullptr;
		if (st.ok() && row == nullptr)
			st = Status::Error(ErrorKind::kInternal, "an on-demand snapshot chunk holds a frame that is not a row");
		const TableVersion* table = nullptr;
		ChangeKeys row_keys;
		if (st.ok()) st = catalog_->Describe(*row, &table);
		if (st.ok()) st = ChangeKeysOf(*row, *table, &row_keys);
		if (!st.ok()) return st;
		keys[i] = std::move(row_keys.key);
	}
	// Also stale: rows of keys that a transaction the chunk's snapshot did not
	// see changed, when the stream carried that change before these rows. A
	// transaction the snapshot saw stays visible to every later chunk.
	std::unordered_set<std::string> unseen;
	for (auto it = lane.streamed.begin(); it != lane.streamed.end();) {
		if (!read->snapshot.Invisible(it->first)) {
			it = lane.streamed.erase(it);
			continue;
		}
		unseen.insert(it->second.begin(), it->second.end());
		++it;
	}
	for (size_t i = 0; i < frames.size(); ++i) {
		const std::string& key = keys[i];
		// The stream carried a newer value.
		if (lane.changed.count(key)) {
			++request->rows_newer_in_window;
			continue;
		}
		if (unseen.count(key)) {
			++request->rows_newer_unseen;
			continue;
		}
		st = emit_(reinterpret_cast<const uint8_t*>(frames[i].data()), frames[i].size());
		if (!st.ok()) return st;
		++request->rows_sent;
	}
	if (!keys.empty()) lane.after_key = keys.back();
	if (static_cast<int>(frames.size()) == chunk_rows_) return Status::Ok();  // more to read
	lane.has_range = false;
	--request->ranges_left;
	return Status::Ok();
}

Status OnDemandSnapshots::EndRequest(Request& request) {
	Status st = EmitMarker(request, false);
	if (!st.ok()) return st;
	request.ended = true;
	request.end_messages = deliveries_->produced();
	return Status::Ok();
}

void OnDemandSnapshots::CompleteRequests() {
	for (auto it = requests_.begin(); it != requests_.end();) {
		Request& request = *it;
		// Done only once Kafka holds every row: a crash before that starts the request over.
		if (!request.ended || !deliveries_->AcknowledgedBefore(request.end_messages)) {
			++it;
			continue;
		}
		// Tried again at the next step when it fails (Query logged why).
		if (!Query(source_->MarkDone(request.id, request.rows_sent))) {
			++it;
			continue;
		}
		Log(LogLevel::kInfo, "on-demand snapshot done",
		    {{"request", std::to_string(request.id)}, {"table", request.schema + "." + request.table},
		     {"rows", std::to_string(request.rows_sent)},
		     {"left_out_changed_in_window", std::to_string(request.rows_newer_in_window)},
		     {"left_out_changed_unseen", std::to_string(request.rows_newer_unseen)}});
		known_.erase(request.id);
		it = requests_.erase(it);
	}
}

Status OnDemandSnapshots::Step() {
	Status st = Status::Ok();
	for (Lane& lane : lanes_) {
		if (lane.reader->busy()) TakeChunk(lane);
		if (lane.read && lane.high_seen) st = FinishChunk(lane);
		if (!st.ok()) return st;
	}
	for (Request& request : requests_) {
		if (request.active && request.ranges_left == 0 && !request.ended) st = EndRequest(request);
		if (!st.ok()) return st;
	}
	CompleteRequests();
	for (Lane& lane : lanes_) {
		if (!lane.token.empty() || Clock::now() < lane.retry_at) continue;  // reading, or waiting to retry
		if (!lane.has_range && !AssignRange(lane, &st)) {
			if (!st.ok()) return st;
			continue;  // nothing to read now; lanes with a range still go on
		}
		StartChunk(lane);
	}
	return Status::Ok();
}

}  // namespace flatwal
