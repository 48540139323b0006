// snapshot_readers.cpp — see snapshot_readers.h.
#include "snapshot_readers.h"

namespace flatwal {
namespace {

constexpr int kFetchRows = 5000;
constexpr char kPurpose[] = "flatwal-shipper snapshot";

}  // namespace

SnapshotReaders::SnapshotReaders(std::string conninfo, std::string snapshot_name, std::vector<SnapshotUnit> units,
                                 int workers, const StopFlag* stop)
    : conninfo_(std::move(conninfo)),
      snapshot_name_(std::move(snapshot_name)),
      units_(std::move(units)),
      stop_(stop),
      capacity_(2 * static_cast<size_t>(workers)) {
	running_ = workers;
	for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { Work(); });
}

SnapshotReaders::~SnapshotReaders() {
	{
		std::lock_guard<std::mutex> lock(mutex_);
		aborted_ = true;
	}
	changed_.notify_all();
	for (std::thread& t : threads_) t.join();
}

void SnapshotReaders::Fail(Status status) {
	std::lock_guard<std::mutex> lock(mutex_);
	if (failure_.ok()) failure_ = std::move(status);
	aborted_ = true;
	changed_.notify_all();
}

bool SnapshotReaders::Push(SnapshotBatch batch) {
	std::unique_lock<std::mutex> lock(mutex_);
	changed_.wait(lock, [this] { return aborted_ || queue_.size() < capacity_; });
	if (aborted_) return false;
	queue_.push_back(std::move(batch));
	changed_.notify_all();
	return true;
}

void SnapshotReaders::Work() {
	PgSession session;
	Status st = session.Connect(conninfo_, PgSession::Kind::kSql, kPurpose);
	if (st.ok()) st = session.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (st.ok()) st = session.Exec("SET TRANSACTION SNAPSHOT " + session.QuoteLiteral(snapshot_name_));
	for (size_t u = next_unit_++; st.ok() && u < units_.size(); u = next_unit_++) {
		st = session.Exec("DECLARE flatwal_snapshot NO SCROLL CURSOR FOR " + units_[u].select);
		PgResult schema;
		if (st.ok())
			st = session.Exec("SELECT flatwal.schema_frame(" + std::to_string(units_[u].relid) + "::regclass)", &schema,
			                  PgSession::Format::kBinary);
		for (bool more = true, first = true; st.ok() && more; first = false) {
			if (stop_->load() != 0) {
				st = Status::Error(ErrorKind::kUnavailable, "stopped during the snapshot");
				break;
			}
			SnapshotBatch batch;
			batch.unit = u;
			batch.frames.reset(new PgResult);
			st = session.Exec("FETCH " + std::to_string(kFetchRows) + " FROM flatwal_snapshot", batch.frames.get(),
			                  PgSession::Format::kBinary);
			if (!st.ok()) break;
			batch.rows = batch.frames->rows();
			more = batch.rows == kFetchRows;
			batch.last = !more;
			if (first && schema.rows() == 1)
				batch.schema_frame.assign(reinterpret_cast<const char*>(schema.bytes(0, 0)), schema.length(0, 0));
			if (!Push(std::move(batch))) return;  // the snapshot was given up
		}
		if (st.ok()) st = session.Exec("CLOSE flatwal_snapshot");
	}
	if (st.ok()) st = session.Exec("COMMIT");
	if (!st.ok()) return Fail(st);
	std::lock_guard<std::mutex> lock(mutex_);
	--running_;
	changed_.notify_all();
}

Status SnapshotReaders::Next(SnapshotBatch* batch, bool* done) {
	std::unique_lock<std::mutex> lock(mutex_);
	changed_.wait(lock, [this] { return !failure_.ok() || !queue_.empty() || running_ == 0; });
	if (!failure_.ok()) return failure_;
	*done = queue_.empty();
	if (*done) return Status::Ok();
	*batch = std::move(queue_.front());
	queue_.pop_front();
	changed_.notify_all();
	return Status::Ok();
}

}  // namespace flatwal
