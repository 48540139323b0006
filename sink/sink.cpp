// sink.cpp — see sink.h.
#include "sink.h"

#include <thread>

#include "backoff.h"
#include "clickhouse_target.h"
#include "exit_codes.h"
#include "frame_reader.h"
#include "kafka_contract.h"
#include "log.h"
#include "pg_target.h"

namespace flatwal {
namespace {

std::string TopicOf(const rd_kafka_message_t* m) { return rd_kafka_topic_name(m->rkt); }

bool HasHeader(const rd_kafka_message_t* m, const char* name) {
	rd_kafka_headers_t* headers = nullptr;
	const void* value = nullptr;
	size_t size = 0;
	return rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
	       rd_kafka_header_get_last(headers, name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

int64_t NowMillis() {
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Adds the time from its start to its end to a counter: the time spent
// writing to the target (rows, checkpoints, commits).
class ApplyTimer {
 public:
	explicit ApplyTimer(double* seconds) : seconds_(seconds), started_(std::chrono::steady_clock::now()) {}
	~ApplyTimer() { *seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count(); }
	ApplyTimer(const ApplyTimer&) = delete;
	ApplyTimer& operator=(const ApplyTimer&) = delete;

 private:
	double* seconds_;
	std::chrono::steady_clock::time_point started_;
};

}  // namespace

Sink::Sink(SinkConfig config, const StopFlag* stop)
    : config_(std::move(config)),
      stop_(stop),
      report_({config_.http, "",
               {static_cast<uint64_t>(config_.health_max_lag_ms), std::chrono::milliseconds(config_.health_grace_ms)},
               "the target", "ms"}) {
	if (config_.clickhouse_url.empty())
		target_.reset(new PgTarget(config_.target, config_.group, config_.target_schema, config_.history));
	else
		target_.reset(new ClickHouseTarget(config_.clickhouse_url, config_.group, config_.target_schema));
}

Status Sink::Start() {
	Backoff backoff(std::chrono::milliseconds(500), std::chrono::seconds(30));
	for (;;) {
		Status st = target_->Connect();
		if (st.ok()) break;
		if (!st.retriable() || *stop_) return st;
		auto wait = backoff.Failed(Backoff::Clock::now());
		Log(LogLevel::kWarning, "cannot reach the target, will retry",
		    {{"error", st.message()}, {"retry_in_ms", std::to_string(wait.count())}});
		PublishHealth();
		std::this_thread::sleep_for(wait);
	}
	KafkaSettings base = {{"bootstrap.servers", config_.brokers}};
	base.insert(base.end(), config_.kafka.begin(), config_.kafka.end());
	Status st = schemas_.Open(base, config_.topic_prefix + kSchemasTopicSuffix);
	if (st.ok()) st = dead_letters_.Open(base, config_.topic_prefix + kDeadLetterTopicSuffix);
	if (!st.ok()) return st;
	KafkaSettings settings = {{"bootstrap.servers", config_.brokers},
	                          {"group.id", config_.group},
	                          {"enable.auto.commit", "false"},  // offsets live in the target, with the rows
	                          // A partition starts at its checkpoint, or at the beginning when it has none;
	                          // a checkpoint Kafka no longer holds (retention deleted messages this sink
	                          // never applied) is an error, never a silent jump to what is left.
	                          {"auto.offset.reset", "error"},
	                          {"topic.metadata.refresh.interval.ms", "1000"},
	                          // A fetch that finds nothing waits this long before asking again: librdkafka's
	                          // 500 ms default is most of a streaming sink's latency where the broker does not
	                          // answer a waiting fetch as soon as data arrives (the test broker).
	                          {"fetch.wait.max.ms", "100"}};
	settings.insert(settings.end(), config_.kafka.begin(), config_.kafka.end());
	return consumer_.Open(settings, config_.topics, [this](rd_kafka_t* rk, rd_kafka_resp_err_t err,
	                                                      rd_kafka_topic_partition_list_t* partitions) {
		OnRebalance(rk, err, partitions);
	});
}

void Sink::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
	if (err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		// Whatever this sink read from the partitions it loses is committed now,
		// before another sink starts from their checkpoints.
		Status st = Flush();
		if (!st.ok()) {
			Log(LogLevel::kWarning, "partitions revoked; the open batch was not committed and will be read again",
			    {{"error", st.message()}});
			target_->Rollback();
			ClearBatch();
		}
		stored_.clear();
		run_ = PartitionRun();
		rd_kafka_assign(rk, nullptr);
		return;
	}
	if (!AssignFromCheckpoints(rk, partitions)) return;
	if (partitions->cnt > 0) {
		last_activity_ = Clock::now();
		Log(LogLevel::kInfo, "partitions assigned", {{"count", std::to_string(partitions->cnt)}});
	}
}

bool Sink::AssignFromCheckpoints(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions) {
	std::vector<TopicPartition> assigned;
	for (int i = 0; i < partitions->cnt; ++i)
		assigned.push_back(TopicPartition{partitions->elems[i].topic, partitions->elems[i].partition});
	std::map<TopicPartition, Checkpoint> loaded;
	if (!LoadCheckpoints(assigned, &loaded)) return false;
	for (int i = 0; i < partitions->cnt; ++i) {
		const Checkpoint& c = loaded[assigned[static_cast<size_t>(i)]];
		partitions->elems[i].offset = c.next_offset >= 0 ? c.next_offset : RD_KAFKA_OFFSET_BEGINNING;
	}
	stored_ = loaded;
	run_ = PartitionRun();
	rd_kafka_assign(rk, partitions);
	return true;
}

bool Sink::LoadCheckpoints(const std::vector<TopicPartition>& partitions, std::map<TopicPartition, Checkpoint>* out) {
	Backoff backoff(std::chrono::milliseconds(200), std::chrono::seconds(10));
	while (!*stop_) {
		Status st = target_->connected() ? target_->LoadCheckpoints(partitions, out) : target_->Connect();
		if (st.ok() && target_->connected() && out->size() >= partitions.size()) return true;
		if (st.ok()) continue;  // connected just now: read them next
		auto wait = backoff.Failed(Backoff::Clock::now());
		Log(LogLevel::kWarning, "cannot read the checkpoints from the target, will retry",
		    {{"error", st.message()}, {"retry_in_ms", std::to_string(wait.count())}});
		PublishHealth();
		std::this_thread::sleep_for(wait);
	}
	return false;
}

Status Sink::EnsureTransaction() { return target_->in_transaction() ? Status::Ok() : target_->Begin(); }

void Sink::DeadLetter(size_t index, const std::string& reason) {
	const rd_kafka_message_t* m = batch_.messages[index];
	Log(config_.stop_on_error ? LogLevel::kError : LogLevel::kWarning, "cannot apply a message",
	    {{"topic", TopicOf(m)}, {"partition", std::to_string(m->partition)}, {"offset", std::to_string(m->offset)},
	     {"reason", reason}});
	batch_.dead.emplace_back(index, reason);
}

void Sink::EnterPartition(const rd_kafka_message_t* m) {
	run_ = PartitionRun();
	TopicPartition tp{TopicOf(m), m->partition};
	auto owned = stored_.find(tp);
	if (owned == stored_.end()) return;  // left over from a revoked assignment
	run_.topic = m->rkt;
	run_.partition = m->partition;
	auto next = batch_.next.find(tp);
	if (next == batch_.next.end()) next = batch_.next.emplace(tp, owned->second).first;
	run_.next = &next->second;
	// The shipper's own topics (schemas, heartbeats, transactions, dead letters) and logical messages are
	// not tables; a replay reads nothing but the dead letters, which are table records.
	run_.tables = config_.replay_dead_letters || (tp.topic.rfind(config_.topic_prefix + kReservedTopicInfix, 0) != 0 &&
	                                              tp.topic.rfind(config_.topic_prefix + kMessageTopicInfix, 0) != 0);
}

Status Sink::Handle(rd_kafka_message_t* m) {
	if (m->rkt != run_.topic || m->partition != run_.partition) EnterPartition(m);
	if (run_.next == nullptr) {  // not assigned to this sink
		rd_kafka_message_destroy(m);
		return Status::Ok();
	}
	const size_t index = batch_.messages.size();
	batch_.messages.push_back(m);
	Checkpoint& next = *run_.next;
	if (m->offset < next.next_offset) return Status::Ok();
	next.next_offset = m->offset + 1;
	if (!run_.tables) return Status::Ok();
	if (m->payload == nullptr) return Status::Ok();  // a tombstone: the delete before it did the work
	static FrameScratch scratch;
	const wire::Event* event = nullptr;
	Status st = ReadFrame(static_cast<const uint8_t*>(m->payload), m->len, &scratch, &event);
	if (!st.ok()) {
		DeadLetter(index, "undecodable frame: " + st.message());
		return Status::Ok();
	}
	switch (event->body_type()) {
		case wire::Body::Change: return HandleChange(*event->body_as_Change(), event->timeline(), index, m, &next);
		case wire::Body::Truncate: {
			const wire::Truncate& t = *event->body_as_Truncate();
			if (t.tables() == nullptr) return Status::Ok();
			for (const wire::TableRef* ref : *t.tables()) {
				const std::string schema = flatbuffers::GetString(ref->schema_name());
				const std::string table = flatbuffers::GetString(ref->table_name());
				if (const wire::TableRef* parent = ref->partition_of()) {
					// The target holds the partitioned table's rows without their
					// partition: the truncated ones cannot be told apart. Said, not guessed.
					const std::string published =
					    flatbuffers::GetString(parent->schema_name()) + "." + flatbuffers::GetString(parent->table_name());
					DeadLetter(index, "TRUNCATE of partition " + schema + "." + table + " of " + published +
					                      " not applied: the target cannot tell that partition's rows from the others, "
					                      "so they stay. Delete them in the target by the partition's bounds.");
					continue;
				}
				st = DropTableBefore(schema, table, Floor{event->timeline(), t.commit_lsn(), t.lsn()});
				if (!st.ok()) return st;
			}
			return Status::Ok();
		}
		case wire::Body::SnapshotMarker: {
			// A completed initial snapshot is the whole table as of its consistent
			// point: rows older than that and not read again are gone at the source.
			// After a failover, that includes the old primary's changes the new one
			// never had (ghosts): they are on an older timeline.
			const wire::SnapshotMarker& marker = *event->body_as_SnapshotMarker();
			if (marker.phase() != wire::SnapshotPhase::End || marker.consistent_lsn() == 0) return Status::Ok();
			return DropTableBefore(flatbuffers::GetString(marker.schema_name()), flatbuffers::GetString(marker.table_name()),
			                       Floor{event->timeline(), marker.consistent_lsn(), 0});
		}
		default: return Status::Ok();
	}
}

Status Sink::HandleChange(const wire::Change& change, uint32_t timeline, size_t index, const rd_kafka_message_t* m,
                          Checkpoint* next) {
	const wire::ChangeHeader* h = change.header();
	const TableVersion* table = schemas_.Find(h->relid(), h->version());
	if (table == nullptr) {
		Status st = schemas_.CatchUp(std::chrono::seconds(10));
		if (!st.ok()) return st;  // the broker did not answer: read the batch again later
		table = schemas_.Find(h->relid(), h->version());
	}
	if (table == nullptr) {
		DeadLetter(index, "no Schema frame for relid " + std::to_string(h->relid()) + " version " +
		                      std::to_string(h->version()) + " in " + config_.topic_prefix + kSchemasTopicSuffix);
		return Status::Ok();
	}
	// Only an update that changed its key comes twice (the old-key copy with this header).
	const bool key_image = h->old_image() == wire::OldImage::Key || h->old_image() == wire::OldImage::Full;
	const bool under_old_key = h->op() == wire::Op::Update && key_image && HasHeader(m, kHeaderNewKey);
	// Dead letters come from many partitions in no order: a replay relies on the
	// targets' rule that a row is only overwritten by a change at a later position.
	if (h->op() != wire::Op::Read && !config_.replay_dead_letters) {
		Position pos{timeline, h->commit_lsn(), h->seq(), static_cast<uint8_t>(under_old_key ? 0 : 1)};
		if (pos <= next->applied) {
			++counters_.duplicates;
			return Status::Ok();
		}
		next->applied = pos;
	}
	if (table->key_columns.empty()) {
		DeadLetter(index, "table " + table->schema + "." + table->table + " has no key; add a primary key at the source");
		return Status::Ok();
	}
	if (table != last_table_) {
		Status st = FindSet(table, index);
		if (!st.ok() || last_set_ == nullptr) return st;
	}
	Status st = Status::Ok();
	if (last_set_->MustApplyFirst(change, under_old_key)) st = ApplySet(last_set_);
	if (!st.ok()) return st;
	st = last_set_->Add(change, under_old_key, index, rd_kafka_message_timestamp(m, nullptr), timeline);
	if (!st.ok()) DeadLetter(index, st.message() + (st.hint().empty() ? "" : " " + st.hint()));
	return Status::Ok();
}

Status Sink::FindSet(const TableVersion* table, size_t index) {
	last_table_ = nullptr;
	last_set_ = nullptr;
	const std::string name = target_->TargetName(table->schema, table->table);
	std::unique_ptr<ChangeSet>& set = batch_.sets[name];
	Status st = Status::Ok();
	if (set && (set->table().relid != table->relid || set->table().version != table->version ||
	            (table->version == 0 && &set->table() != table))) {
		st = ApplySet(set.get());  // rows of the old version go first
		if (!st.ok()) return st;
		spare_sets_.push_back(std::move(set));
	}
	if (!set) {
		st = EnsureTransaction();
		if (st.ok()) st = target_->PrepareTable(*table, schemas_.catalog());
		// A table the target cannot hold as this version says (a column whose
		// type changed) is the table's problem: its changes are dead-lettered.
		// Any other failure is the target's: the batch is read again later.
		const bool table_problem = st.kind() == ErrorKind::kNotSupported || st.kind() == ErrorKind::kInvalidData;
		if (!st.ok() && !table_problem) return st;
		if (!st.ok()) {
			batch_.sets.erase(name);  // no empty entry left behind for the flush
			DeadLetter(index, st.message() + (st.hint().empty() ? "" : " " + st.hint()));
			return Status::Ok();
		}
		if (spare_sets_.empty()) {
			set.reset(new ChangeSet(table, target_->value_form(), config_.history));
		} else {
			set = std::move(spare_sets_.back());
			spare_sets_.pop_back();
			set->Restart(table);
		}
	}
	last_table_ = table;
	last_set_ = set.get();
	return Status::Ok();
}

Status Sink::DropTableBefore(const std::string& schema, const std::string& table, const Floor& floor) {
	Status st = Status::Ok();
	auto set = batch_.sets.find(target_->TargetName(schema, table));
	if (set != batch_.sets.end()) st = ApplySet(set->second.get());  // the table's pending rows come first
	if (st.ok()) st = EnsureTransaction();
	if (st.ok()) st = target_->DropBefore(schema, table, floor);
	return st;
}

Status Sink::ApplySet(ChangeSet* set) {
	if (set == nullptr || set->empty()) return Status::Ok();
	std::vector<RejectedRow> rejected;
	uint64_t applied = 0, skipped = 0;
	Status st = Status::Ok();
	{
		ApplyTimer timer(&counters_.apply_seconds);
		st = EnsureTransaction();
		if (st.ok()) st = target_->Apply(*set, &rejected, &applied, &skipped);
		if (st.ok()) st = target_->AppendHistory(*set, rejected);
	}
	if (!st.ok()) return st;
	for (const RejectedRow& r : rejected) DeadLetter(r.message, r.reason);
	batch_applied_ += applied;
	batch_skipped_ += skipped;
	set->Clear();
	return Status::Ok();
}

Status Sink::Flush() {
	if (batch_.messages.empty()) return Status::Ok();
	Status st = Status::Ok();
	for (auto& entry : batch_.sets) {
		st = ApplySet(entry.second.get());
		if (!st.ok()) return st;
	}
	if (!batch_.dead.empty()) {
		if (config_.stop_on_error) {
			Fail("stopped on a message it cannot apply (--on-error=stop); see the log");
			return Status::Error(ErrorKind::kRefused, "stopping (--on-error=stop): a message cannot be applied",
			                     "Nothing of this batch was committed; the sink starts from it again.");
		}
		if (config_.replay_dead_letters) {
			// Written again, they would be read again: they stay where they are, said here.
			for (const auto& letter : batch_.dead)
				Log(LogLevel::kWarning, "a replayed dead letter failed again; it stays in the dead-letter topic",
				    {{"offset", std::to_string(batch_.messages[letter.first]->offset)},
				     {"partition", std::to_string(batch_.messages[letter.first]->partition)}, {"reason", letter.second}});
		} else {
			for (const auto& letter : batch_.dead) {
				st = dead_letters_.Add(batch_.messages[letter.first], letter.second);
				if (!st.ok()) return st;
			}
			st = dead_letters_.Flush(10000);
			if (!st.ok()) return st;
		}
	}
	{
		ApplyTimer timer(&counters_.apply_seconds);
		st = EnsureTransaction();
		for (const auto& entry : batch_.next) {
			if (!st.ok()) break;
			const Checkpoint& expected = stored_[entry.first];
			bool conflict = false;
			st = target_->StoreCheckpoint(entry.first, expected, entry.second, &conflict);
			if (st.ok() && conflict)
				st = Status::Error(ErrorKind::kUnavailable, "the checkpoint of " + entry.first.topic + "[" +
				                                                std::to_string(entry.first.partition) +
				                                                "] was moved by another sink of the group");
		}
		if (st.ok()) st = target_->Commit();
	}
	if (!st.ok()) return st;
	for (const auto& entry : batch_.next) stored_[entry.first] = entry.second;
	const int64_t now = NowMillis();
	last_lag_ms_ = 0;
	const rd_kafka_topic_t* counted_topic = nullptr;
	uint64_t* topic_count = nullptr;
	for (const rd_kafka_message_t* m : batch_.messages) {
		if (m->rkt != counted_topic) {  // runs of one topic: one lookup each
			counted_topic = m->rkt;
			topic_count = &counters_.topic_messages[TopicOf(m)];
		}
		++*topic_count;
		int64_t committed = rd_kafka_message_timestamp(m, nullptr);  // the source commit time (shipper)
		if (committed <= 0) continue;
		const int64_t lag = std::max<int64_t>(0, now - committed);
		counters_.lag_ms.Add(lag);
		counters_.lag.Add(lag * 1000);
		last_lag_ms_ = std::max(last_lag_ms_, lag);
	}
	counters_.applied += batch_applied_;
	counters_.behind_truncate += batch_skipped_;
	counters_.dead_letters += batch_.dead.size();
	++counters_.batches;
	counters_.retrying = false;
	retry_.Succeeded();
	report_.health().Progressed();
	ClearBatch();
	return Status::Ok();
}

void Sink::ClearBatch() {
	run_ = PartitionRun();
	last_table_ = nullptr;
	last_set_ = nullptr;
	for (rd_kafka_message_t* m : batch_.messages) rd_kafka_message_destroy(m);
	batch_.messages.clear();
	batch_.next.clear();
	for (auto& entry : batch_.sets)
		if (entry.second) spare_sets_.push_back(std::move(entry.second));
	batch_.sets.clear();
	batch_.dead.clear();
	batch_applied_ = batch_skipped_ = 0;
}

void Sink::Rewind(const Status& why) {
	const std::chrono::milliseconds wait = retry_.Failed(Clock::now());
	Log(LogLevel::kWarning, "batch not committed; reading again from the stored checkpoints",
	    {{"error", why.message()}, {"detail", why.detail()}, {"retry_in_ms", std::to_string(wait.count())}});
	report_.health().Stalled(Clock::now(), why.message());
	counters_.retrying = true;
	target_->Rollback();
	ClearBatch();
	++counters_.rewinds;
	rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(stored_.size()));
	for (const auto& entry : stored_)
		rd_kafka_topic_partition_list_add(list, entry.first.topic.c_str(), entry.first.partition);
	AssignFromCheckpoints(consumer_.handle(), list);  // restarts every partition at its stored offset
	rd_kafka_topic_partition_list_destroy(list);
}

void Sink::PublishHealth() {
	if (!report_.wanted()) return;
	const Clock::time_point now = Clock::now();
	SinkMetricsSample sample;
	sample.counters = &counters_;
	sample.target_connected = target_->connected();
	sample.assigned_partitions = stored_.size();
	sample.start_time_seconds = report_.start_time_seconds();
	report_.health().Observe(now, target_->connected(), static_cast<uint64_t>(last_lag_ms_));
	if (failed_) report_.health().Fail(failure_);
	report_.Publish(SinkMetricsText(sample), now);
}

void Sink::Fail(const std::string& why) {
	failed_ = true;
	failure_ = why;
	exit_code_ = kExitStoppedOnError;
}

void Sink::StopOnLostMessages(const rd_kafka_message_t* m) {
	const std::string topic = m->rkt != nullptr ? rd_kafka_topic_name(m->rkt) : "?";
	const std::string where = topic + " [" + std::to_string(m->partition) + "]";
	LogStatus(LogLevel::kError,
	          Status::Error(ErrorKind::kRefused,
	                        "stopping: Kafka no longer holds the messages of " + where + " from this sink's checkpoint on",
	                        std::string(rd_kafka_message_errstr(m)) + " (offset " + std::to_string(m->offset) +
	                            "): retention deleted changes the target never received, or the topic was made again; "
	                            "the target misses them and nothing was skipped.",
	                        "See docs/runbook.md (\"Kafka deleted messages the sink had not applied\"): bring the "
	                        "table level with a new snapshot, then start the sink once with -X "
	                        "auto.offset.reset=earliest to go on from the oldest message Kafka holds."));
	Fail("Kafka deleted messages of " + where + " before they were applied; see the log");
}

int Sink::Run() {
	Status st = report_.Open();
	if (!st.ok()) {
		LogStatus(LogLevel::kError, st);
		return kExitConfig;
	}
	st = Start();
	if (!st.ok()) {
		LogStatus(LogLevel::kError, st);
		return st.kind() == ErrorKind::kInvalidParameter ? kExitConfig : kExitRefused;
	}
	Log(LogLevel::kInfo, "flatwal-sink started", {{"group", config_.group}, {"topics", config_.topics[0]}});
	progress_line_.Start(Clock::now());
	// Waiting for the first assignment is bounded too: ten times the idle time.
	last_activity_ = Clock::now() + std::chrono::milliseconds(config_.exit_when_idle_ms > 0 ? 9 * config_.exit_when_idle_ms : 0);
	while (!*stop_ && !failed_) {
		if (!retry_.Ready(Clock::now())) {  // a batch failed: wait before reading it again
			if (report_.Due(Clock::now())) PublishHealth();
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
			continue;
		}
		rd_kafka_message_t* m = consumer_.Poll(batch_.messages.empty() ? 100 : 10);
		const Clock::time_point now = Clock::now();  // read once per message: it is not free
		if (m == nullptr && batch_.messages.empty()) last_lag_ms_ = 0;  // caught up: nothing waits
		if (report_.Due(now)) PublishHealth();
		if (m != nullptr) {
			if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
				last_activity_ = now;
				if (batch_.messages.empty()) batch_.opened = now;
				st = Handle(m);
				if (!st.ok()) Rewind(st);
			} else if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
				StopOnLostMessages(m);
				rd_kafka_message_destroy(m);
				break;
			} else {
				if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
					Log(LogLevel::kWarning, "Kafka", {{"error", rd_kafka_message_errstr(m)}});
				rd_kafka_message_destroy(m);
			}
		}
		const bool due = !batch_.messages.empty() &&
		                 (batch_.messages.size() >= static_cast<size_t>(config_.batch_rows) || m == nullptr ||
		                  now - batch_.opened >= std::chrono::milliseconds(config_.batch_ms));
		if (due) {
			st = Flush();
			if (!st.ok() && failed_) LogStatus(LogLevel::kError, st);
			else if (!st.ok()) Rewind(st);
		}
		progress_line_.Log(counters_, config_.stats_interval_ms, false, now);
		if (config_.exit_when_idle_ms >= 0 && batch_.messages.empty() &&
		    now - last_activity_ >= std::chrono::milliseconds(config_.exit_when_idle_ms))
			break;
	}
	if (!failed_) {
		st = Flush();  // a clean stop commits what it read
		if (!st.ok()) Log(LogLevel::kWarning, "stopping: the open batch was not committed and will be read again",
		                  {{"error", st.message()}});
	}
	target_->Rollback();
	ClearBatch();
	consumer_.Close();
	PublishHealth();
	progress_line_.Log(counters_, config_.stats_interval_ms, true, Clock::now());
	Log(LogLevel::kInfo, "flatwal-sink stopped");
	return exit_code_;
}

}  // namespace flatwal
