// sink_config.cpp — see sink_config.h.
#include "sink_config.h"

#include "kafka_contract.h"
#include "secrets.h"

#include <getopt.h>

#include <cstdlib>

namespace flatwal {
namespace {

Status Number(const char* option, const char* text, long min, long* out) {
	char* end = nullptr;
	long v = std::strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || v < min)
		return Status::Error(ErrorKind::kInvalidParameter,
		                     std::string(option) + " needs a whole number of at least " + std::to_string(min) + ", got \"" + text + "\"");
	*out = v;
	return Status::Ok();
}

}  // namespace

const char* SinkUsage() {
	return "usage: flatwal-sink -b HOST:PORT (-d TARGET_CONNINFO | --clickhouse URL) --topic-prefix PREFIX [options]\n"
	       "  -b, --brokers HOST:PORT    Kafka bootstrap servers\n"
	       "  -d, --target CONNINFO      the PostgreSQL target (libpq conninfo; password in PGPASSWORD or ~/.pgpass)\n"
	       "      --clickhouse URL       or the ClickHouse target's HTTP interface (e.g. http://127.0.0.1:8123/);\n"
	       "                             batches default to 200000 messages or 60000 ms there\n"
	       "      --topic-prefix PREFIX  the shipper's topic prefix; dead letters go to PREFIX.flatwal.dlq\n"
	       "  -t, --topic TOPIC          a table topic, or a regular expression starting with ^ (repeatable;\n"
	       "                             default ^PREFIX\\..*, internal PREFIX.flatwal.* topics skipped)\n"
	       "  -g, --group GROUP          consumer group (default flatwal-sink); checkpoints are kept per group\n"
	       "      --target-schema NAME   put every table in this schema or ClickHouse database (default: the source's schema)\n"
	       "      --history              also keep TABLE_history: every change once (op, before, after, position)\n"
	       "      --batch-rows N         commit a batch at N messages (default 20000)\n"
	       "      --batch-ms MS          or MS after its first message (default 200)\n"
	       "      --on-error dlq|stop    a change that cannot be applied goes to the dead-letter topic (default),\n"
	       "                             or stops the sink without committing it\n"
	       "      --replay-dlq           apply the changes of PREFIX.flatwal.dlq again, once their cause is fixed\n"
	       "                             (group GROUP-replay; a change older than the target's row does not\n"
	       "                             overwrite it; one that fails again is logged and stays a dead letter)\n"
	       "      --stats-interval MS    log throughput and lag every MS (default 10000; 0: never)\n"
	       "      --exit-when-idle MS    stop after MS without a message once partitions are assigned\n"
	       "      --log-level LEVEL      error, warning, info (default) or debug\n"
	       "      --http [HOST:]PORT     serve /metrics (Prometheus) and /health there (host: 127.0.0.1)\n"
	       "      --health-max-lag-ms MS /health fails when commit-to-applied lag stays above MS ... (default 0: off)\n"
	       "      --health-grace MS      ... or the target is unreachable, for longer than MS (default 60000)\n"
	       "  -X KEY=VALUE               a librdkafka setting (TLS, SASL, ...); secrets (sasl.password, ...) in\n"
	       "                             FLATWAL_KAFKA_<PROPERTY> variables instead, e.g. FLATWAL_KAFKA_SASL_PASSWORD\n";
}

Status ParseSinkArgs(int argc, char** argv, const char* const* environment, SinkConfig* config, bool* help) {
	config->kafka = KafkaSettingsFromEnvironment(environment);  // -X settings come after, and win
	enum { kPrefix = 256, kTargetSchema, kBatchRows, kBatchMs, kOnError, kStats, kIdle, kLogLevel, kHistory, kClickHouse, kHttp,
	       kHealthLag, kHealthGrace, kReplay };
	static const option kLongOptions[] = {
	    {"brokers", required_argument, nullptr, 'b'},        {"target", required_argument, nullptr, 'd'},
	    {"topic-prefix", required_argument, nullptr, kPrefix}, {"topic", required_argument, nullptr, 't'},
	    {"group", required_argument, nullptr, 'g'},          {"target-schema", required_argument, nullptr, kTargetSchema},
	    {"batch-rows", required_argument, nullptr, kBatchRows}, {"batch-ms", required_argument, nullptr, kBatchMs},
	    {"on-error", required_argument, nullptr, kOnError},   {"stats-interval", required_argument, nullptr, kStats},
	    {"exit-when-idle", required_argument, nullptr, kIdle}, {"log-level", required_argument, nullptr, kLogLevel},
	    {"kafka", required_argument, nullptr, 'X'},          {"help", no_argument, nullptr, 'h'},
	    {"history", no_argument, nullptr, kHistory},        {"clickhouse", required_argument, nullptr, kClickHouse},
	    {"http", required_argument, nullptr, kHttp},        {"health-max-lag-ms", required_argument, nullptr, kHealthLag},
	    {"health-grace", required_argument, nullptr, kHealthGrace}, {"replay-dlq", no_argument, nullptr, kReplay},
	    {nullptr, 0, nullptr, 0},
	};
	*help = false;
	opterr = 0;
	optind = 1;
	long n = 0;
	bool batch_rows_given = false, batch_ms_given = false, group_given = false;
	Status st = Status::Ok();
	for (int c; (c = getopt_long(argc, argv, ":b:d:t:g:X:h", kLongOptions, nullptr)) != -1 && st.ok();) {
		switch (c) {
			case 'b': config->brokers = optarg; break;
			case 'd':
				st = RefusePasswordOnCommandLine(optarg, "-d");
				config->target = optarg;
				break;
			case kPrefix: config->topic_prefix = optarg; break;
			case 't': config->topics.push_back(optarg); break;
			case 'g': config->group = optarg, group_given = true; break;
			case kTargetSchema: config->target_schema = optarg; break;
			case kHistory: config->history = true; break;
			case kClickHouse: config->clickhouse_url = optarg; break;
			case kBatchRows:
				if ((st = Number("--batch-rows", optarg, 1, &n)).ok()) config->batch_rows = static_cast<int>(n), batch_rows_given = true;
				break;
			case kBatchMs:
				if ((st = Number("--batch-ms", optarg, 1, &n)).ok()) config->batch_ms = static_cast<int>(n), batch_ms_given = true;
				break;
			case kStats: if ((st = Number("--stats-interval", optarg, 0, &n)).ok()) config->stats_interval_ms = static_cast<int>(n); break;
			case kIdle: st = Number("--exit-when-idle", optarg, 0, &config->exit_when_idle_ms); break;
			case kOnError: {
				std::string v = optarg;
				if (v == "dlq" || v == "stop") config->stop_on_error = v == "stop";
				else st = Status::Error(ErrorKind::kInvalidParameter, "--on-error is dlq or stop, got \"" + v + "\"");
				break;
			}
			case kLogLevel:
				if (!ParseLogLevel(optarg, &config->log_level))
					st = Status::Error(ErrorKind::kInvalidParameter, std::string("--log-level is ") + kLogLevelNames);
				break;
			case 'X': st = ParseKafkaSetting(optarg, &config->kafka); break;
			case kHttp: st = ParseListenAddress(optarg, &config->http); break;
			case kHealthLag: st = Number("--health-max-lag-ms", optarg, 0, &config->health_max_lag_ms); break;
			case kHealthGrace: st = Number("--health-grace", optarg, 0, &config->health_grace_ms); break;
			case kReplay: config->replay_dead_letters = true; break;
			case 'h': *help = true; return Status::Ok();
			case ':': st = Status::Error(ErrorKind::kInvalidParameter, std::string("option ") + argv[optind - 1] + " needs a value"); break;
			default: st = Status::Error(ErrorKind::kInvalidParameter, std::string("unknown argument ") + argv[optind - 1]); break;
		}
	}
	if (!st.ok()) return st;
	if (optind < argc) return Status::Error(ErrorKind::kInvalidParameter, std::string("unknown argument ") + argv[optind]);
	if (config->brokers.empty()) return Status::Error(ErrorKind::kInvalidParameter, "no brokers given (-b)");
	if (config->target.empty() == config->clickhouse_url.empty())
		return Status::Error(ErrorKind::kInvalidParameter,
		                     "give one target: -d CONNINFO (PostgreSQL) or --clickhouse URL (e.g. http://127.0.0.1:8123/)");
	if (!config->clickhouse_url.empty()) {
		if (config->history)
			return Status::Error(ErrorKind::kInvalidParameter, "--history is for the PostgreSQL target",
			                     "", "ClickHouse tables keep every version until merged; query them without FINAL for history.");
		// Warehouse micro-batches: large and minutes apart by default.
		if (!batch_rows_given) config->batch_rows = 200000;
		if (!batch_ms_given) config->batch_ms = 60000;
	}
	if (config->topic_prefix.empty())
		return Status::Error(ErrorKind::kInvalidParameter, "no --topic-prefix given (the shipper's; its schemas topic is PREFIX.flatwal.schemas)");
	if (config->replay_dead_letters) {
		if (!config->topics.empty())
			return Status::Error(ErrorKind::kInvalidParameter, "--replay-dlq reads PREFIX.flatwal.dlq; -t does not go with it");
		config->topics.push_back(config->topic_prefix + kDeadLetterTopicSuffix);
		// Its own group: its checkpoints (in the target) are those of the dead-letter topic's partitions.
		if (!group_given) config->group += "-replay";
		return Status::Ok();
	}
	if (config->topics.empty()) {
		std::string escaped;
		for (char c : config->topic_prefix) {
			if (c == '.') escaped += "\\";
			escaped += c;
		}
		config->topics.push_back("^" + escaped + "\\..*");
	}
	return Status::Ok();
}

}  // namespace flatwal
