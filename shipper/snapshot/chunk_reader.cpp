// chunk_reader.cpp — see chunk_reader.h.
#include "chunk_reader.h"

#include "on_demand_source.h"

namespace flatwal {

ChunkReader::ChunkReader(std::string conninfo, std::string purpose, const OnDemandSource* source)
    : source_(source), session_(std::move(conninfo), std::move(purpose)), thread_([this] { Work(); }) {}

ChunkReader::~ChunkReader() {
	{
		std::lock_guard<std::mutex> lock(mutex_);
		stopping_ = true;
	}
	wake_.notify_all();
	thread_.join();
}

void ChunkReader::Start(ChunkRequest chunk) {
	busy_ = true;
	{
		std::lock_guard<std::mutex> lock(mutex_);
		chunk_ = std::move(chunk);
		pending_ = true;
		finished_ = false;
	}
	wake_.notify_all();
}

bool ChunkReader::Take(std::unique_ptr<ChunkRead>* read, Status* status) {
	std::lock_guard<std::mutex> lock(mutex_);
	if (!busy_ || !finished_) return false;
	*read = std::move(read_);
	*status = status_;
	finished_ = false;
	busy_ = false;
	return true;
}

void ChunkReader::Work() {
	for (;;) {
		ChunkRequest chunk;
		{
			std::unique_lock<std::mutex> lock(mutex_);
			wake_.wait(lock, [this] { return stopping_ || pending_; });
			if (stopping_) return;
			chunk = chunk_;
			pending_ = false;
		}
		std::unique_ptr<ChunkRead> read(new ChunkRead);
		Status st = Read(chunk, read.get());
		std::lock_guard<std::mutex> lock(mutex_);
		read_ = std::move(read);
		status_ = st;
		finished_ = true;
	}
}

Status ChunkReader::EmitWatermark(const std::string& content, std::string* lsn) {
	// A non-transactional message is not flushed by its own commit, and the
	// walsender reads only flushed WAL: with nothing else being written, the
	// watermark would wait for the WAL writer. A transaction that takes an
	// xid and commits with synchronous_commit = local flushes it at once,
	// without waiting for a synchronous standby (which may be down).
	PgResult r;
	Status st = session_.Exec("BEGIN");
	if (st.ok()) st = session_.Exec("SET LOCAL synchronous_commit = local");
	if (st.ok())
		st = session_.Exec("SELECT pg_logical_emit_message(false, '" + std::string(kWatermarkPrefix) + "', " +
		                       session_.QuoteLiteral(content) + "), txid_current()",
		                   &r);
	if (st.ok()) {
		*lsn = r.text(0, 0);
		return session_.Exec("COMMIT");
	}
	// A failed ROLLBACK means a lost connection, which the next statement reopens.
	if (session_.connected()) (void)session_.Exec("ROLLBACK");
	return st;
}

Status ChunkReader::Read(const ChunkRequest& chunk, ChunkRead* read) {
	Status st = EmitWatermark("low:" + chunk.token, &read->low_lsn);
	if (!st.ok()) return st;
	// The rows and the list of transactions they do not see, in one snapshot:
	// a transaction can have committed before LOW in the WAL (so its changes
	// reach the stream before the window opens) and still be invisible here,
	// when its backend had not yet ended it.
	PgResult running;
	st = session_.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (st.ok()) st = session_.Exec("SELECT pg_current_snapshot()::text", &running);
	if (st.ok() && !ParseChunkSnapshot(running.text(0, 0), &read->snapshot))
		st = Status::Error(ErrorKind::kInvalidData, "cannot read pg_current_snapshot()", running.text(0, 0));
	if (st.ok()) st = source_->ReadChunk(session_, chunk, read);
	if (st.ok()) st = session_.Exec("COMMIT");
	else if (session_.connected()) (void)session_.Exec("ROLLBACK");
	std::string high;
	if (st.ok()) st = EmitWatermark("high:" + chunk.token, &high);
	return st;
}

}  // namespace flatwal
