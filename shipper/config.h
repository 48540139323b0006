// config.h — flatwal-shipper's settings: defaults, then a config file, then
// FLATWAL_* environment variables, then command-line flags, each overriding
// the one before. librdkafka properties pass through unchanged.
// Pure C++: parsed and unit-tested without a server.
#ifndef FLATWAL_SHIPPER_CONFIG_H
#define FLATWAL_SHIPPER_CONFIG_H

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "listen_address.h"
#include "log.h"
#include "router.h"
#include "status.h"

namespace flatwal {


// When to take an initial snapshot (named as Debezium users know them).
enum class SnapshotMode {
	kInitial,      // when the slot is new (or its snapshot was interrupted), then stream
	kNever,        // stream only
	kInitialOnly,  // snapshot when the slot is new, then exit
};

// Where the changes come from.
enum class SourcePlugin {
	kFlatwal,   // the flatwal output plugin and extension (typed frames from the server)
	kPgoutput,  // PostgreSQL's built-in pgoutput and a publication: what managed services offer
};

// --source pgoutput: the signal table looked for when none is named (search_path applies).
inline constexpr char kDefaultSignalTable[] = "flatwal_snapshot_requests";

struct ShipperConfig {
	// [postgres]
	std::string conninfo;            // libpq conninfo; replication=database is added
	std::string slot = "flatwal";
	bool create_slot = true;         // create the slot when it does not exist
	bool resync = true;              // a lost slot (failover, invalidation): a new one and a new snapshot
	int status_interval_ms = 1000;   // standby status updates at least this often
	int batch_bytes = 65536;         // plugin frames per replication message
	std::string table_set = "default";  // the tables of flatwal.source_tables this slot carries
	SourcePlugin source = SourcePlugin::kFlatwal;
	std::string publication = "flatwal";  // --source pgoutput: the publication that names the tables
	std::string publication_tables;       // ... created for these tables (comma-separated) when it does not exist
	std::string signal_table = kDefaultSignalTable;  // ... whose inserted rows request on-demand snapshots

	// [kafka]: librdkafka properties, in the order given
	std::vector<std::pair<std::string, std::string>> kafka;

	// [shipper]
	std::string topic_prefix;        // empty: the database name
	bool tombstones = true;          // a delete is followed by a null-value message
	bool transactions_topic = false; // Begin/Commit frames to <prefix>.flatwal.tx
	OutputFormat format = OutputFormat::kFlatbuffers;  // what the table topics carry
	HeaderSet headers = HeaderSet::kFormatDefault;     // which flatwal.* headers records carry

	// [debezium]: the Debezium format's options, by Debezium's names
	DebeziumOptions debezium;
	int shutdown_timeout_ms = 10000; // bounded flush on SIGTERM/SIGINT
	SnapshotMode snapshot_mode = SnapshotMode::kInitial;
	int snapshot_workers = 1;        // connections reading the initial snapshot at once
	std::string metrics_file;        // Prometheus text format, rewritten every status interval
	int heartbeat_interval_ms = 0;   // 0: off; else a heartbeat message through the slot this often
	ListenAddress http;              // --http: /metrics and /health (port 0: off)
	int health_max_lag_mb = 0;       // /health fails when slot lag stays above this (0: not checked)
	int health_grace_ms = 60000;     // ... for longer than this, or replication is down that long
	LogLevel log_level = LogLevel::kInfo;
};

// What the command line asked for besides settings.
struct CommandLine {
	bool help = false;
	bool version = false;
	std::string config_file;
};

// Sets `key` (e.g. "postgres.slot", "kafka.bootstrap.servers") to `value`.
Status ApplySetting(const std::string& key, const std::string& value, ShipperConfig* config);

// Parses an INI-style file: [section] headers, key = value lines, # comments.
Status ParseConfigText(const std::string& text, const std::string& origin, ShipperConfig* config);

// FLATWAL_POSTGRES_SLOT=x sets postgres.slot; FLATWAL_KAFKA_SASL_PASSWORD sets
// kafka.sasl.password (underscores become dots for kafka properties).
Status ApplyEnvironment(const std::map<std::string, std::string>& env, ShipperConfig* config);

// Parses argv (without argv[0]) into `command` and settings.
Status ParseCommandLine(const std::vector<std::string>& args, CommandLine* command, ShipperConfig* config);

// Checks that the settings make sense together.
Status Validate(const ShipperConfig& config);

extern const char kUsage[];

}  // namespace flatwal

#endif  // FLATWAL_SHIPPER_CONFIG_H
