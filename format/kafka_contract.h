// kafka_contract.h — what flatwal puts in Kafka besides the frames
// (docs/format.md): topic names, header names, the keys of records that are
// not rows, and the logical-message prefixes the shipper reserves. The
// shipper writes them, flatwal-sink and flatwal-consume read them; they are
// spelled here and nowhere else in C++. The extension's SQL spells the
// snapshot-request prefix too: test/ops/check_contract.py holds the two equal
// and fails on a second spelling of any of these in the programs.
#ifndef FLATWAL_KAFKA_CONTRACT_H
#define FLATWAL_KAFKA_CONTRACT_H

namespace flatwal {

// Topics: <prefix>.<schema>.<table> for a table's records, and these.
inline constexpr char kSchemasTopicSuffix[] = ".flatwal.schemas";      // Schema frames, key <schema>.<table>:<version>
inline constexpr char kTransactionsTopicSuffix[] = ".flatwal.tx";      // Begin/Commit, with --transactions-topic
inline constexpr char kHeartbeatTopicSuffix[] = ".flatwal.heartbeat";  // the shipper's heartbeats
inline constexpr char kShippedTopicSuffix[] = ".flatwal.shipped";      // how far each slot shipped, key the slot's name
inline constexpr char kDeadLetterTopicSuffix[] = ".flatwal.dlq";       // flatwal-sink's dead letters
inline constexpr char kReservedTopicInfix[] = ".flatwal.";             // <prefix>.flatwal.*: none is a table's
inline constexpr char kMessageTopicInfix[] = ".message.";              // <prefix>.message.<message prefix>

// Headers of the records the shipper writes (--headers: docs/format.md says
// which set carries which). minimal, the default: op and relation.
inline constexpr char kHeaderOp[] = "flatwal.op";
inline constexpr char kHeaderRelation[] = "flatwal.relation";  // "<schema>.<table>", as the source spells them
// full: op and these (today's eight on a change).
inline constexpr char kHeaderSchema[] = "flatwal.schema";
inline constexpr char kHeaderTable[] = "flatwal.table";
inline constexpr char kHeaderCommitLsn[] = "flatwal.commit_lsn";
inline constexpr char kHeaderTimeline[] = "flatwal.timeline";  // the source's timeline of that position (Event.timeline)
inline constexpr char kHeaderLsn[] = "flatwal.lsn";
inline constexpr char kHeaderSeq[] = "flatwal.seq";
inline constexpr char kHeaderXid[] = "flatwal.xid";
inline constexpr char kHeaderVersion[] = "flatwal.version";
// Every set, none included: a key change's other key, which no payload of that record holds.
inline constexpr char kHeaderNewKey[] = "flatwal.new_key";  // on the old-key copy of an update that moved its key
inline constexpr char kHeaderOldKey[] = "flatwal.old_key";  // on the new-key record of such an update

// Headers of flatwal-sink's dead letters.
inline constexpr char kHeaderDeadLetterReason[] = "flatwal.dlq.reason";
inline constexpr char kHeaderDeadLetterTopic[] = "flatwal.dlq.topic";
inline constexpr char kHeaderDeadLetterPartition[] = "flatwal.dlq.partition";
inline constexpr char kHeaderDeadLetterOffset[] = "flatwal.dlq.offset";

// Keys of records that are not rows: JSON objects, which no row key (a JSON
// array) equals; every record has a key, as a compacted topic requires.
inline constexpr char kTruncateKey[] = "{\"flatwal\":\"truncate\"}";
inline constexpr char kSnapshotMarkerKey[] = "{\"flatwal\":\"snapshot\"}";
inline constexpr char kHeartbeatKey[] = "{\"flatwal\":\"heartbeat\"}";

// Logical-message prefixes the shipper writes or reads (pg_logical_emit_message).
inline constexpr char kHeartbeatMessagePrefix[] = "flatwal.heartbeat";
inline constexpr char kSnapshotRequestPrefix[] = "flatwal.snapshot_request";  // written by flatwal.request_snapshot()
inline constexpr char kWatermarkPrefix[] = "flatwal.watermark";               // on-demand snapshot chunk bounds

}  // namespace flatwal

#endif  // FLATWAL_KAFKA_CONTRACT_H
