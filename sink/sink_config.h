// sink_config.h — flatwal-sink's command line.
#ifndef FLATWAL_SINK_CONFIG_H
#define FLATWAL_SINK_CONFIG_H

#include <string>
#include <vector>

#include "kafka_client.h"
#include "listen_address.h"
#include "log.h"
#include "status.h"

namespace flatwal {

struct SinkConfig {
	std::string brokers;
	std::string target;               // libpq conninfo of the target PostgreSQL, or
	std::string clickhouse_url;       // the HTTP interface of the target ClickHouse
	std::string topic_prefix;         // the shipper's --topic-prefix
	std::vector<std::string> topics;  // default: ^<prefix>\..*
	std::string group = "flatwal-sink";
	std::string target_schema;        // empty: each table in its source schema
	int batch_rows = 20000;           // a batch commits at this many messages ...
	int batch_ms = 200;               // ... or this long after its first one
	bool stop_on_error = false;
	bool history = false;             // --history: <table>_history tables of every change
	// --replay-dlq: read PREFIX.flatwal.dlq (group GROUP-replay unless -g) and apply its changes again.
	bool replay_dead_letters = false;
	long exit_when_idle_ms = -1;
	int stats_interval_ms = 10000;
	ListenAddress http;               // --http: /metrics and /health (port 0: off)
	long health_max_lag_ms = 0;       // /health fails when lag stays above this (0: not checked) ...
	long health_grace_ms = 60000;     // ... or the target is unreachable, for longer than this
	LogLevel log_level = LogLevel::kInfo;
	KafkaSettings kafka;              // -X
};

// Fills *config from argv. *help: --help was asked (usage printed, exit 0).
// Kafka settings come from FLATWAL_KAFKA_<PROPERTY> variables of `environment`
// (secrets go there) and -X; passwords and secrets on the command line are refused.
Status ParseSinkArgs(int argc, char** argv, const char* const* environment, SinkConfig* config, bool* help);
const char* SinkUsage();

}  // namespace flatwal

#endif  // FLATWAL_SINK_CONFIG_H
