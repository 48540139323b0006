// config.cpp — see config.h. One table of settings; every source goes through ApplySetting.
#include "config.h"

#include <getopt.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <sstream>

#include "kafka_client.h"
#include "secrets.h"
#include "text.h"

namespace flatwal {

const char kUsage[] =
    "flatwal-shipper streams a PostgreSQL logical replication slot (the flatwal plugin, or\n"
    "pgoutput with --source pgoutput) to Kafka.\n"
    "\n"
    "Usage:\n"
    "  flatwal-shipper [OPTION]...\n"
    "\n"
    "Connection:\n"
    "  -d, --dbname=CONNINFO        libpq connection string of the source database\n"
    "                               (passwords: PGPASSWORD or ~/.pgpass, never the command line)\n"
    "\n"
    "Replication:\n"
    "  -S, --slot=NAME              logical replication slot (default: flatwal)\n"
    "      --no-create-slot         fail instead of creating a missing slot\n"
    "      --no-resync              fail instead of resynchronising when the slot was lost (a\n"
    "                               failover, or invalidated): by default a new slot and a new\n"
    "                               snapshot of every captured table bring consumers level\n"
    "      --snapshot=MODE          initial (default): snapshot the captured tables when the\n"
    "                               slot is new, then stream; never; initial_only: snapshot, exit\n"
    "      --snapshot-workers=N     read snapshots (initial and on demand) on N connections at\n"
    "                               once: tables, and key ranges of large tables (default: 1)\n"
    "  -s, --status-interval=MS     standby status updates at least every MS (default: 1000)\n"
    "      --batch-bytes=N          frames per replication message (default: 65536)\n"
    "      --table-set=NAME         carry the captured tables of this set (default: default);\n"
    "                               one slot and shipper per set (flatwal.set_table_set())\n"
    "      --source=PLUGIN          flatwal (default): the flatwal plugin and extension;\n"
    "                               pgoutput: PostgreSQL's built-in plugin, where no other can\n"
    "                               be loaded (managed services); tables from --publication\n"
    "      --publication=NAME       with --source pgoutput: the publication (default: flatwal)\n"
    "      --publication-tables=T,… create the publication for these tables when it does not\n"
    "                               exist (publish_via_partition_root; you must own them)\n"
    "      --signal-table=NAME      with --source pgoutput: the table whose rows request\n"
    "                               on-demand snapshots (default: flatwal_snapshot_requests;\n"
    "                               none there: no on-demand snapshots; docs/pgoutput.md)\n"
    "\n"
    "Kafka:\n"
    "  -b, --brokers=HOST:PORT,...  bootstrap servers (kafka.bootstrap.servers)\n"
    "  -X, --kafka KEY=VALUE        any librdkafka property, passed through unchanged\n"
    "\n"
    "Output:\n"
    "  -t, --topic-prefix=PREFIX    topics are PREFIX.schema.table (default: the database name)\n"
    "      --format=FORMAT          flatbuffers (default): the plugin's frames; debezium-json:\n"
    "                               events as Debezium's PostgreSQL connector writes them\n"
    "      --debezium NAME=VALUE    a Debezium format option by its Debezium name, e.g.\n"
    "                               decimal.handling.mode=string (docs/debezium.md lists them)\n"
    "      --headers=SET            the flatwal.* headers of each record: minimal (the default\n"
    "                               for flatbuffers: flatwal.op, flatwal.relation), full (every\n"
    "                               position field too) or none (the default for debezium-json);\n"
    "                               a key change's records always name the other key\n"
    "      --no-tombstones          no null-value message after a delete\n"
    "      --transactions-topic     Begin/Commit frames to PREFIX.flatwal.tx\n"
    "      --heartbeat-interval=MS  write a heartbeat through the slot every MS (default: 0, off);\n"
    "                               it arrives on PREFIX.flatwal.heartbeat\n"
    "\n"
    "Misc:\n"
    "  -c, --config=FILE            settings file ([postgres], [kafka], [shipper], [debezium])\n"
    "      --shutdown-timeout=MS    how long SIGTERM waits for Kafka (default: 10000)\n"
    "      --metrics-file=PATH      write Prometheus metrics there (node_exporter textfile format)\n"
    "      --http=[HOST:]PORT       serve /metrics (Prometheus) and /health there (host: 127.0.0.1)\n"
    "      --health-max-lag-mb=N    /health fails when the slot lags more than N MB ... (default: 0, off)\n"
    "      --health-grace=MS        ... or replication is down, for longer than MS (default: 60000)\n"
    "  -v, --verbose                debug logging\n"
    "  -q, --quiet                  warnings and errors only\n"
    "  -V, --version                print the version and exit\n"
    "  -?, --help                   show this help and exit\n"
    "\n"
    "Every setting can also come from the file or from FLATWAL_<SECTION>_<KEY> variables,\n"
    "e.g. FLATWAL_POSTGRES_SLOT=orders or FLATWAL_KAFKA_SASL_PASSWORD=... .\n";

namespace {

Status Invalid(const std::string& key, const std::string& value, const std::string& expected) {
	return Status::Error(ErrorKind::kInvalidParameter, "invalid value for " + key,
	                     "The value given was \"" + (IsSecret(key) ? std::string("(hidden)") : value) + "\".",
	                     "Use " + expected + ".");
}

Status SetBool(const std::string& key, const std::string& value, bool* out) {
	if (!ParseBoolWord(value, out)) return Invalid(key, value, "true or false");
	return Status::Ok();
}

Status SetInt(const std::string& key, const std::string& value, int min, int max, int* out) {
	std::string v = TrimSpace(value);
	bool digits = !v.empty() && v.size() <= 9 && std::all_of(v.begin(), v.end(), ::isdigit);
	long n = digits ? std::stol(v) : -1;
	if (!digits || n < min || n > max)
		return Invalid(key, value, "a whole number from " + std::to_string(min) + " to " + std::to_string(max));
	*out = static_cast<int>(n);
	return Status::Ok();
}

// A setting that names one of a few choices (case and surrounding spaces ignored).
template <typename Choice>
Status SetChoice(const std::string& key, const std::string& value,
                 std::initializer_list<std::pair<const char*, Choice>> choices, Choice* out) {
	const std::string v = LowerCase(TrimSpace(value));
	std::string expected;
	size_t i = 0;
	for (const auto& choice : choices) {
		if (v == choice.first) {
			*out = choice.second;
			return Status::Ok();
		}
		if (i > 0) expected += i + 1 == choices.size() ? " or " : ", ";
		expected += choice.first;
		++i;
	}
	return Invalid(key, value, expected);
}

Status SetLogLevel(const std::string& key, const std::string& value, LogLevel* out) {
	return ParseLogLevel(LowerCase(TrimSpace(value)), out) ? Status::Ok() : Invalid(key, value, kLogLevelNames);
}

struct SettingSpec {
	const char* key;
	Status (*apply)(const std::string& key, const std::string& value, ShipperConfig* c);
};

const SettingSpec kSettings[] = {
    {"postgres.conninfo", [](const std::string&, const std::string& v, ShipperConfig* c) { c->conninfo = v; return Status::Ok(); }},
    {"postgres.slot", [](const std::string& k, const std::string& v, ShipperConfig* c) {
	     std::string s = TrimSpace(v);
	     bool ok = !s.empty() && s.size() < 64 && std::all_of(s.begin(), s.end(), [](unsigned char ch) {
		     return std::islower(ch) || std::isdigit(ch) || ch == '_';
	     });
	     if (!ok) return Invalid(k, v, "lower-case letters, digits and underscores (PostgreSQL's rule for slot names)");
	     c->slot = s;
	     return Status::Ok();
     }},
    {"postgres.table_set", [](const std::string& k, const std::string& v, ShipperConfig* c) {
	     std::string s = TrimSpace(v);
	     bool ok = !s.empty() && s.size() < 64 && std::all_of(s.begin(), s.end(), [](unsigned char ch) {
		     return std::isalnum(ch) || ch == '_' || ch == '-' || ch == '.';
	     });
	     if (!ok) return Invalid(k, v, "letters, digits, '_', '-' and '.'");
	     c->table_set = s;
	     return Status::Ok();
     }},
    {"postgres.source", [](const std::string& k, const std::string& v, ShipperConfig* c) {
	     return SetChoice(k, v, {{"flatwal", SourcePlugin::kFlatwal}, {"pgoutput", SourcePlugin::kPgoutput}}, &c->source);
     }},
    {"postgres.publication", [](const std::string& k, const std::string& v, ShipperConfig* c) {
	     std::string s = TrimSpace(v);
	     if (s.empty() || s.size() >= 64 || s.find('\0') != std::string::npos)
		     return Invalid(k, v, "a publication name of 1 to 63 bytes");
	     c->publication = s;
	     return Status::Ok();
     }},
    {"postgres.publication_tables", [](const std::string&, const std::string& v, ShipperConfig* c) {
	     c->publication_tables = TrimSpace(v);
	     return Status::Ok();
     }},
    {"postgres.signal_table", [](const std::string& k, const std::string& v, ShipperConfig* c) {
	     std::string s = TrimSpace(v);
	     if (s.empty() || s.size() > 200 || s.find('\0') != std::string::npos)
		     return Invalid(k, v, "a table name, schema-qualified if need be (e.g. ops.snapshot_requests)");
	     c->signal_table = s;
	     return Status::Ok();
     }},
    {"postgres.create_slot", [](const std::string& k, const std::string& v, ShipperConfig* c) { return SetBool(k, v, &c->create_slot); }},
    {"postgres.resync", [](const std::string& k, const std::string& v, ShipperConfig* c) { return SetBool(k, v, &c->resync); }},
    {"postgres.status_interval_ms", [](const std::string& k, const std::string& v, ShipperConfig* c) { return SetInt(k, v, 10, 600000, &c->status_interval_ms); }},
    {"postgres.batch_bytes", [](const std::string& k, const std::string& v, ShipperConfig* c) { return SetInt(k, v, 0, 64 << 20, &c->batch_bytes); }},
    {"shipper.topic_prefix", [](const std::string& k, const std::string& v, ShipperConfig* c) {
	     std::string s = TrimSpace(v);
	     bool ok = s.size() < 200 && std::all_of(s.begin(), s.end(), [](unsigned char ch) {
		     return std::isalnum(ch) || ch == '.' || ch == '_' || ch == '-';
	     });
	     if (!ok) return Invalid(k, v, "letters, digits, '.', '_' and '-' (Kafka's rule for topic names)");
	     c->topic_prefix = s;
	     return Status::Ok();
     }},
    {"shipper.metrics_file", [](const std::string&, const std::string& v, ShipperConfig* c) { c->metrics_file = TrimSpace(v); return Status::Ok(); }},
    {"shipper.tombstones", [](const std::string& k, const std::string& v, ShipperConfig* c) { return SetBool(k, v, &c->tombstones); }},
    {"shipper.transactions_topic", [](const std::string& k, const std::string& v, ShipperConfig* c) { return SetBool(k, v, &c->transactions_topic); }},
    {"shipper.format", [](const std::string& k, const std::string& v, ShipperConfig* c) {
	     return SetChoice(k, v, {{"flatbuffers", OutputFormat::kFlatbuffers}, {"debezium-json", OutputFormat::kDebeziumJson}},
	                      &c->format);
     }},
    {"shipper.headers", [](const std::string& k, const std::string& v, ShipperConfig* c) {
	     return SetChoice(k, v, {{"minimal", HeaderSet::kMinimal}, {"full", HeaderSet::kFull}, {"none", HeaderSet::kNone}},
	                      &c->headers);
     }},
    {"shipper.heartbeat_interval_ms", [](const std::string& k, const std::string& v, ShipperConfig* c) { return SetInt(k, v, 0, 3600000, &c->heartbeat_interval_ms); }},
    {"shipper.http", [](const std::string&, const std::string& v, ShipperConfig* c) {
	     return ParseListenAddress(TrimSpace(v), &c->http);
     }},
    {"shipper.health_max_lag_mb", [](const std::string& k, const std::string& v, ShipperConfig* c) { return SetInt(k, v, 0, 100000000, &c->health_max_lag_mb); }},
    {"shipper.health_grace_ms", [](const std::string& k, const std::string& v, ShipperConfig* c) { return SetInt(k, v, 0, 86400000, &c->health_grace_ms); }},
    {"shipper.shutdown_timeout_ms", [](const std::string& k, const std::string& v, ShipperConfig* c) { return SetInt(k, v, 0, 3600000, &c->shutdown_timeout_ms); }},
    {"shipper.log_level", [](const std::string& k, const std::string& v, ShipperConfig* c) { return SetLogLevel(k, v, &c->log_level); }},
    {"shipper.snapshot_workers", [](const std::string& k, const std::string& v, ShipperConfig* c) { return SetInt(k, v, 1, 16, &c->snapshot_workers); }},
    {"shipper.snapshot", [](const std::string& k, const std::string& v, ShipperConfig* c) {
	     return SetChoice(k, v,
	                      {{"initial", SnapshotMode::kInitial}, {"never", SnapshotMode::kNever},
	                       {"initial_only", SnapshotMode::kInitialOnly}},
	                      &c->snapshot_mode);
     }},
};

void SetKafka(const std::string& property, const std::string& value, ShipperConfig* config) {
	for (auto& kv : config->kafka) {
		if (kv.first == property) {
			kv.second = value;
			return;
		}
	}
	config->kafka.emplace_back(property, value);
}

std::string KnownKeys() {
	std::string keys;
	for (const SettingSpec& s : kSettings) keys += std::string(keys.empty() ? "" : ", ") + s.key;
	return keys + ", kafka.<librdkafka property>, debezium.<Debezium format option>";
}

}  // namespace

Status ApplySetting(const std::string& key, const std::string& value, ShipperConfig* config) {
	if (key.rfind("kafka.", 0) == 0 && key.size() > 6) {
		SetKafka(key.substr(6), value, config);
		return Status::Ok();
	}
	if (key.rfind("debezium.", 0) == 0) {
		const std::string name = key.substr(9);
		// Debezium's name for the shipper's own tombstones setting.
		if (name == "tombstones.on.delete") return SetBool(key, value, &config->tombstones);
		return SetDebeziumOption(name, TrimSpace(value), &config->debezium);
	}
	for (const SettingSpec& spec : kSettings)
		if (key == spec.key) return spec.apply(key, value, config);
	return Status::Error(ErrorKind::kInvalidParameter, "unknown setting \"" + key + "\"",
	                     "Known settings: " + KnownKeys() + ".");
}

Status ParseConfigText(const std::string& text, const std::string& origin, ShipperConfig* config) {
	std::istringstream in(text);
	std::string line, section;
	int number = 0;
	while (std::getline(in, line)) {
		++number;
		std::string t = TrimSpace(line);
		if (t.empty() || t[0] == '#' || t[0] == ';') continue;
		std::string where = origin + ":" + std::to_string(number);
		if (t.front() == '[') {
			if (t.back() != ']')
				return Status::Error(ErrorKind::kInvalidParameter, where + ": malformed section header \"" + t + "\"");
			section = LowerCase(TrimSpace(t.substr(1, t.size() - 2)));
			if (section != "postgres" && section != "kafka" && section != "shipper" && section != "debezium")
				return Status::Error(ErrorKind::kInvalidParameter, where + ": unknown section [" + section + "]", {},
				                     "Sections are [postgres], [kafka], [shipper] and [debezium].");
			continue;
		}
		size_t eq = t.find('=');
		if (eq == std::string::npos || section.empty())
			return Status::Error(ErrorKind::kInvalidParameter,
			                     where + ": expected key = value inside a [section]", "The line was \"" + t + "\".");
		std::string key = TrimSpace(t.substr(0, eq));
		std::string value = TrimSpace(t.substr(eq + 1));
		Status st = ApplySetting(section + "." + key, value, config);
		if (!st.ok()) return Status::Error(st.kind(), where + ": " + st.message(), st.detail(), st.hint());
	}
	return Status::Ok();
}

Status ApplyEnvironment(const std::map<std::string, std::string>& env, ShipperConfig* config) {
	const std::string prefix = "FLATWAL_";
	for (const auto& kv : env) {
		if (kv.first.rfind(prefix, 0) != 0) continue;
		std::string rest = LowerCase(kv.first.substr(prefix.size()));
		size_t underscore = rest.find('_');
		if (underscore == std::string::npos) continue;
		std::string section = rest.substr(0, underscore);
		std::string key = rest.substr(underscore + 1);
		if (section == "kafka" || section == "debezium") std::replace(key.begin(), key.end(), '_', '.');
		Status st = ApplySetting(section + "." + key, kv.second, config);
		if (!st.ok())
			return Status::Error(st.kind(), "environment variable " + kv.first + ": " + st.message(), st.detail(),
			                     st.hint());
	}
	return Status::Ok();
}

namespace {

struct Flag {
	char shortname;    // 0: long only
	const char* longname;
	const char* key;   // the setting it sets, or nullptr
	const char* fixed; // the value of a flag that takes none, or nullptr
};

const Flag kFlags[] = {
    {'d', "dbname", "postgres.conninfo", nullptr},
    {'S', "slot", "postgres.slot", nullptr},
    {0, "no-create-slot", "postgres.create_slot", "false"},
    {0, "no-resync", "postgres.resync", "false"},
    {'s', "status-interval", "postgres.status_interval_ms", nullptr},
    {0, "batch-bytes", "postgres.batch_bytes", nullptr},
    {0, "table-set", "postgres.table_set", nullptr},
    {0, "source", "postgres.source", nullptr},
    {0, "publication", "postgres.publication", nullptr},
    {0, "publication-tables", "postgres.publication_tables", nullptr},
    {0, "signal-table", "postgres.signal_table", nullptr},
    {'b', "brokers", "kafka.bootstrap.servers", nullptr},
    {'t', "topic-prefix", "shipper.topic_prefix", nullptr},
    {0, "format", "shipper.format", nullptr},
    {0, "debezium", nullptr, nullptr},
    {0, "headers", "shipper.headers", nullptr},
    {0, "no-tombstones", "shipper.tombstones", "false"},
    {0, "transactions-topic", "shipper.transactions_topic", "true"},
    {0, "heartbeat-interval", "shipper.heartbeat_interval_ms", nullptr},
    {0, "shutdown-timeout", "shipper.shutdown_timeout_ms", nullptr},
    {0, "snapshot", "shipper.snapshot", nullptr},
    {0, "snapshot-workers", "shipper.snapshot_workers", nullptr},
    {0, "metrics-file", "shipper.metrics_file", nullptr},
    {0, "http", "shipper.http", nullptr},
    {0, "health-max-lag-mb", "shipper.health_max_lag_mb", nullptr},
    {0, "health-grace", "shipper.health_grace_ms", nullptr},
    {'v', "verbose", "shipper.log_level", "debug"},
    {'q', "quiet", "shipper.log_level", "warning"},
    {'X', "kafka", nullptr, nullptr},
    {'c', "config", nullptr, nullptr},
    {'V', "version", nullptr, "version"},
    {'?', "help", nullptr, "help"},
};
constexpr int kFlagCount = sizeof kFlags / sizeof kFlags[0];
constexpr int kLongOnly = 256;  // getopt_long's value for kFlags[i] without a short name: kLongOnly + i

// -X KEY=VALUE: a librdkafka property, parsed (and secrets refused) as every program does.
Status ApplyKafkaFlag(const std::string& value, ShipperConfig* config) {
	KafkaSettings parsed;
	Status st = ParseKafkaSetting(value, &parsed);
	if (!st.ok()) return st;
	return ApplySetting("kafka." + parsed.front().first, parsed.front().second, config);
}

// --debezium NAME=VALUE: a Debezium format option.
Status ApplyDebeziumFlag(const std::string& value, ShipperConfig* config) {
	size_t eq = value.find('=');
	if (eq == std::string::npos || eq == 0)
		return Status::Error(ErrorKind::kInvalidParameter, "--debezium needs NAME=VALUE",
		                     "The argument was \"" + value + "\".", "For example: --debezium decimal.handling.mode=string");
	return ApplySetting("debezium." + value.substr(0, eq), value.substr(eq + 1), config);
}

Status ApplyFlag(const Flag& flag, const char* value, CommandLine* command, ShipperConfig* config) {
	const std::string name = flag.longname;
	if (name == "dbname") {
		Status st = RefusePasswordOnCommandLine(value, "-d");
		if (!st.ok()) return st;
	}
	if (name == "help") command->help = true;
	else if (name == "version") command->version = true;
	else if (name == "config") command->config_file = value;
	else if (name == "kafka") return ApplyKafkaFlag(value, config);
	else if (name == "debezium") return ApplyDebeziumFlag(value, config);
	else return ApplySetting(flag.key, flag.fixed != nullptr ? flag.fixed : value, config);
	return Status::Ok();
}

// The flag an option character or long-only value stands for; nullptr if none.
const Flag* FlagFor(int c) {
	if (c >= kLongOnly && c < kLongOnly + kFlagCount) return &kFlags[c - kLongOnly];
	for (const Flag& f : kFlags)
		if (f.shortname != 0 && f.shortname == c) return &f;
	return nullptr;
}

// What getopt_long complained about, in the words of the old parser.
Status FlagError(int c, const std::string& arg) {
	std::string name = arg.substr(0, arg.find('='));
	if (c == ':') return Status::Error(ErrorKind::kInvalidParameter, "option " + name + " needs a value");
	for (const Flag& f : kFlags)
		if (name == std::string("--") + f.longname && f.fixed != nullptr && arg.find('=') != std::string::npos)
			return Status::Error(ErrorKind::kInvalidParameter, "option " + name + " takes no value");
	return Status::Error(ErrorKind::kInvalidParameter, "unknown option \"" + arg + "\"", {},
	                     "Try \"flatwal-shipper --help\".");
}

}  // namespace

Status ParseCommandLine(const std::vector<std::string>& args, CommandLine* command, ShipperConfig* config) {
	// getopt_long, as pg_recvlogical parses its flags; ':' first: report a
	// missing value as ':', and print nothing itself.
	std::string shorts = ":";
	std::vector<option> longs;
	for (int i = 0; i < kFlagCount; ++i) {
		const Flag& f = kFlags[i];
		const int arg = f.fixed != nullptr ? no_argument : required_argument;
		if (f.shortname != 0) shorts += std::string(1, f.shortname) + (arg == required_argument ? ":" : "");
		// '?' (-?) is also getopt's error value, so --help gets a value of its own.
		const bool own_value = f.shortname == 0 || f.shortname == '?';
		longs.push_back({f.longname, arg, nullptr, own_value ? kLongOnly + i : f.shortname});
	}
	longs.push_back({nullptr, 0, nullptr, 0});
	std::vector<std::string> owned(1, "flatwal-shipper");
	owned.insert(owned.end(), args.begin(), args.end());
	std::vector<char*> argv;
	for (std::string& a : owned) argv.push_back(&a[0]);
	argv.push_back(nullptr);
	const int argc = static_cast<int>(owned.size());
	opterr = 0;
	optind = 0;  // glibc: start over, so the command line can be parsed more than once
	for (;;) {
		const int seen = optind;
		int c = getopt_long(argc, argv.data(), shorts.c_str(), longs.data(), nullptr);
		if (c == -1) break;
		const std::string arg = argv[seen < 1 ? 1 : seen];
		// '?' is both getopt's "unknown option" and -?, the short form of --help.
		const bool failed = c == ':' || (c == '?' && arg != "-?");
		const Flag* flag = failed ? nullptr : FlagFor(c);
		if (flag == nullptr) return FlagError(c, arg);
		Status st = ApplyFlag(*flag, optarg, command, config);
		if (!st.ok()) return st;
	}
	if (optind < argc)
		return Status::Error(ErrorKind::kInvalidParameter, "unknown option \"" + std::string(argv[optind]) + "\"", {},
		                     "Try \"flatwal-shipper --help\".");
	return Status::Ok();
}

Status Validate(const ShipperConfig& config) {
	if (config.conninfo.empty())
		return Status::Error(ErrorKind::kInvalidParameter, "no source database given", {},
		                     "Pass -d 'host=... dbname=...' or set postgres.conninfo.");
	bool has_brokers = false;
	for (const auto& kv : config.kafka) has_brokers |= (kv.first == "bootstrap.servers" && !kv.second.empty());
	if (!has_brokers)
		return Status::Error(ErrorKind::kInvalidParameter, "no Kafka brokers given", {},
		                     "Pass -b host:port or set kafka.bootstrap.servers.");
	if (!config.publication_tables.empty() && config.source != SourcePlugin::kPgoutput)
		return Status::Error(ErrorKind::kInvalidParameter, "--publication-tables is for --source pgoutput", {},
		                     "The flatwal plugin's tables are chosen with flatwal.add_table().");
	if (config.signal_table != kDefaultSignalTable && config.source != SourcePlugin::kPgoutput)
		return Status::Error(ErrorKind::kInvalidParameter, "--signal-table is for --source pgoutput", {},
		                     "With the flatwal plugin, request on-demand snapshots with flatwal.request_snapshot().");
	return Status::Ok();
}

}  // namespace flatwal
