// sink.h — flatwal-sink's loop: read a batch of messages from the group's
// partitions, fold them per target table, apply them with the partitions'
// checkpoints in one target transaction, commit; on any failure roll back
// and read again from the stored checkpoints. Exactly-once effect comes
// from three rules:
//   - each partition resumes at the offset stored with the rows it applied;
//   - a streamed change at or below the partition's last applied
//     (commit_lsn, seq) is a duplicate the shipper wrote again, and skipped;
//   - a row is only overwritten by a change at a later position (snapshot
//     rows included), and never by one behind its table's last truncate.
#ifndef FLATWAL_SINK_SINK_H
#define FLATWAL_SINK_SINK_H

#include <librdkafka/rdkafka.h>

#include <chrono>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "change_set.h"
#include "dead_letters.h"
#include "kafka_client.h"
#include "backoff.h"
#include "report.h"
#include "target.h"
#include "schema_registry.h"
#include "sink_config.h"
#include "sink_metrics.h"
#include "stop_signal.h"

namespace flatwal {

class Sink {
 public:
	Sink(SinkConfig config, const StopFlag* stop);
	// Runs until stopped, idle (--exit-when-idle) or a permanent error. Exit code.
	int Run();

 private:
	using Clock = std::chrono::steady_clock;
	struct Batch {
		std::vector<rd_kafka_message_t*> messages;
		std::map<TopicPartition, Checkpoint> next;          // per partition touched: the checkpoint after this batch
		std::map<std::string, std::unique_ptr<ChangeSet>> sets;  // by target table name
		std::vector<std::pair<size_t, std::string>> dead;   // message index, reason
		Clock::time_point opened;
	};

	// The partition of a run of messages, looked up once per run.
	struct PartitionRun {
		const rd_kafka_topic_t* topic = nullptr;
		int32_t partition = -1;
		Checkpoint* next = nullptr;  // its checkpoint after this batch (in batch_.next); nullptr: not assigned here
		bool tables = false;         // a table's topic (not the shipper's own, nor logical messages)
	};

	Status Start();
	void EnterPartition(const rd_kafka_message_t* m);
	// The open change set for a table version (starting one, and applying
	// the rows of an older version of the table first); sets last_set_,
	// which stays nullptr when the table cannot be applied (dead-lettered).
	Status FindSet(const TableVersion* table, size_t index);
	void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
	Status Handle(rd_kafka_message_t* m);
	Status HandleChange(const wire::Change& change, uint32_t timeline, size_t index, const rd_kafka_message_t* m,
	                    Checkpoint* next);
	// Applies one table's pending rows inside the open transaction.
	Status ApplySet(ChangeSet* set);
	// Removes a table's rows older than (commit_lsn, lsn) — a truncate or a
	// completed initial snapshot — after the table's pending rows.
	Status DropTableBefore(const std::string& schema, const std::string& table, const Floor& floor);
	Status Flush();
	// Drops the batch and rereads every assigned partition from its stored checkpoint.
	void Rewind(const Status& why);
	Status EnsureTransaction();
	// Assigns `partitions` at their stored offsets and remembers their checkpoints; false when stopped first.
	bool AssignFromCheckpoints(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions);
	// Reads the stored checkpoints, reconnecting with backoff; false when stopped first.
	bool LoadCheckpoints(const std::vector<TopicPartition>& partitions, std::map<TopicPartition, Checkpoint>* out);
	void DeadLetter(size_t index, const std::string& reason);
	// Stops for good (exit kExitStoppedOnError); /health says `why` until then.
	void Fail(const std::string& why);
	// A partition's checkpoint is gone from Kafka (ERR__AUTO_OFFSET_RESET): stops, saying what to do.
	void StopOnLostMessages(const rd_kafka_message_t* m);
	// Renders /metrics and the /health verdict for --http.
	void PublishHealth();
	void ClearBatch();

	SinkConfig config_;
	const StopFlag* stop_;
	KafkaConsumer consumer_;
	SchemaRegistry schemas_;
	DeadLetters dead_letters_;
	std::unique_ptr<Target> target_;
	std::map<TopicPartition, Checkpoint> stored_;  // what the target holds, per assigned partition
	Batch batch_;
	// Change sets of earlier batches, emptied: their buffers keep their capacity.
	std::vector<std::unique_ptr<ChangeSet>> spare_sets_;
	PartitionRun run_;
	const TableVersion* last_table_ = nullptr;  // the table of the last change, and its set
	ChangeSet* last_set_ = nullptr;
	bool failed_ = false;  // a permanent error: stop
	std::string failure_;  // ... and what /health says of it
	int exit_code_ = 0;  // an ExitCode (exit_codes.h)

	// Figures for the progress line and /metrics.
	SinkCounters counters_;
	uint64_t batch_applied_ = 0, batch_skipped_ = 0;
	int64_t last_lag_ms_ = 0;           // the largest of the last committed batch; 0 when caught up
	Report report_;                     // --http
	SinkProgressLine progress_line_;    // --stats-interval
	// After a batch that could not be committed: when to read it again.
	Backoff retry_{std::chrono::milliseconds(200), std::chrono::seconds(30)};
	Clock::time_point last_activity_;
};

}  // namespace flatwal

#endif  // FLATWAL_SINK_SINK_H
