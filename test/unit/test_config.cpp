// Unit tests for flatwal-shipper's configuration (shipper/config.cpp).
#include "unit.h"

#include <cstring>

#include "config.h"
#include "kafka_client.h"
#include "secrets.h"

using flatwal::ShipperConfig;
using flatwal::Status;

namespace {

std::string Kafka(const ShipperConfig& c, const std::string& key) {
	for (const auto& kv : c.kafka)
		if (kv.first == key) return kv.second;
	return "<unset>";
}

void file_sections_and_passthrough(void**) {
	ShipperConfig c;
	Status st = flatwal::ParseConfigText(
	    "# comment\n[postgres]\nconninfo = host=db dbname=shop\nslot = orders_cdc\ncreate_slot = no\n"
	    "[kafka]\nbootstrap.servers = k1:9092,k2:9092\nacks = all\ncompression.type=zstd\n"
	    "[shipper]\ntopic_prefix = cdc.shop\ntombstones = false\n",
	    "test.conf", &c);
	assert_true(st.ok());
	assert_string_eq(c.conninfo, "host=db dbname=shop");
	assert_string_eq(c.slot, "orders_cdc");
	assert_false(c.create_slot);
	assert_string_eq(c.topic_prefix, "cdc.shop");
	assert_false(c.tombstones);
	assert_string_eq(Kafka(c, "bootstrap.servers"), "k1:9092,k2:9092");
	assert_string_eq(Kafka(c, "compression.type"), "zstd");
	assert_int_equal(c.kafka.size(), 3);
}

void file_errors_name_the_line(void**) {
	ShipperConfig c;
	Status st = flatwal::ParseConfigText("[postgres]\nslot = ok\nbogus = 1\n", "a.conf", &c);
	assert_false(st.ok());
	assert_string_eq(st.message(), "a.conf:3: unknown setting \"postgres.bogus\"");
	st = flatwal::ParseConfigText("slot = x\n", "b.conf", &c);
	assert_string_eq(st.message(), "b.conf:1: expected key = value inside a [section]");
	st = flatwal::ParseConfigText("[database]\n", "c.conf", &c);
	assert_string_eq(st.message(), "c.conf:1: unknown section [database]");
	st = flatwal::ParseConfigText("[postgres]\nstatus_interval_ms = soon\n", "d.conf", &c);
	assert_string_eq(st.message(), "d.conf:2: invalid value for postgres.status_interval_ms");
}

void environment_overrides_file(void**) {
	ShipperConfig c;
	assert_true(flatwal::ParseConfigText("[postgres]\nslot = from_file\n", "f", &c).ok());
	std::map<std::string, std::string> env{{"FLATWAL_POSTGRES_SLOT", "from_env"},
	                                       {"FLATWAL_KAFKA_SASL_PASSWORD", "s3cret"},
	                                       {"PATH", "/usr/bin"}};
	assert_true(flatwal::ApplyEnvironment(env, &c).ok());
	assert_string_eq(c.slot, "from_env");
	assert_string_eq(Kafka(c, "sasl.password"), "s3cret");
	env = {{"FLATWAL_SHIPPER_TOMBSTONES", "perhaps"}};
	Status st = flatwal::ApplyEnvironment(env, &c);
	assert_false(st.ok());
	assert_string_eq(st.message(), "environment variable FLATWAL_SHIPPER_TOMBSTONES: invalid value for shipper.tombstones");
}

void command_line_flags(void**) {
	ShipperConfig c;
	flatwal::CommandLine cmd;
	Status st = flatwal::ParseCommandLine({"-d", "dbname=x", "--slot=s1", "-b", "127.0.0.1:1", "-X", "linger.ms=5",
	                                       "--no-tombstones", "--transactions-topic", "-v", "-c", "my.conf"},
	                                      &cmd, &c);
	assert_true(st.ok());
	assert_string_eq(c.conninfo, "dbname=x");
	assert_string_eq(c.slot, "s1");
	assert_string_eq(Kafka(c, "bootstrap.servers"), "127.0.0.1:1");
	assert_string_eq(Kafka(c, "linger.ms"), "5");
	assert_false(c.tombstones);
	assert_true(c.transactions_topic);
	assert_true(c.log_level == flatwal::LogLevel::kDebug);
	assert_string_eq(cmd.config_file, "my.conf");
	assert_true(flatwal::Validate(c).ok());
}

void command_line_errors(void**) {
	ShipperConfig c;
	flatwal::CommandLine cmd;
	assert_string_eq(flatwal::ParseCommandLine({"--frobnicate"}, &cmd, &c).message(), "unknown option \"--frobnicate\"");
	assert_string_eq(flatwal::ParseCommandLine({"-S"}, &cmd, &c).message(), "option -S needs a value");
	assert_string_eq(flatwal::ParseCommandLine({"-X", "acks"}, &cmd, &c).message(), "-X needs KEY=VALUE");
	assert_string_eq(flatwal::ParseCommandLine({"--slot=Bad-Name"}, &cmd, &c).message(), "invalid value for postgres.slot");
	assert_string_eq(flatwal::ParseCommandLine({"--no-tombstones=1"}, &cmd, &c).message(),
	                 "option --no-tombstones takes no value");
	assert_string_eq(flatwal::ParseCommandLine({"-d", "x", "stray"}, &cmd, &c).message(), "unknown option \"stray\"");
	assert_string_eq(flatwal::ParseCommandLine({"--snapshot-workers=0"}, &cmd, &c).message(),
	                 "invalid value for shipper.snapshot_workers");
	assert_string_eq(flatwal::ParseCommandLine({"--format=avro"}, &cmd, &c).message(), "invalid value for shipper.format");
	assert_string_eq(flatwal::ParseCommandLine({"--debezium", "decimal.handling.mode"}, &cmd, &c).message(),
	                 "--debezium needs NAME=VALUE");
	assert_string_eq(flatwal::ParseCommandLine({"--debezium", "snapshot.mode=never"}, &cmd, &c).message(),
	                 "unknown Debezium option \"snapshot.mode\"");
}

// The Debezium format and its options, from every source of settings.
void debezium_format_settings(void**) {
	ShipperConfig c;
	flatwal::CommandLine cmd;
	assert_true(flatwal::ParseCommandLine({"--format=debezium-json", "--debezium", "decimal.handling.mode=string",
	                                       "--snapshot-workers=4"},
	                                      &cmd, &c)
	                .ok());
	assert_true(c.format == flatwal::OutputFormat::kDebeziumJson);
	assert_true(c.debezium.decimal == flatwal::DecimalMode::kString);
	assert_int_equal(c.snapshot_workers, 4);
	assert_true(flatwal::ParseConfigText("[debezium]\nschemas.enable = true\ntombstones.on.delete = false\n", "f", &c).ok());
	assert_true(c.debezium.schemas);
	assert_false(c.tombstones);
	assert_true(flatwal::ApplyEnvironment({{"FLATWAL_DEBEZIUM_BINARY_HANDLING_MODE", "hex"}}, &c).ok());
	assert_true(c.debezium.binary == flatwal::BinaryMode::kHex);
}

// getopt_long, as pg_recvlogical: -? and --help, clustered short flags, parsed again from the start.
void help_version_and_clustered_flags(void**) {
	for (const char* help : {"-?", "--help"}) {
		ShipperConfig c;
		flatwal::CommandLine cmd;
		assert_true(flatwal::ParseCommandLine({help}, &cmd, &c).ok());
		assert_true(cmd.help);
	}
	ShipperConfig c;
	flatwal::CommandLine cmd;
	assert_true(flatwal::ParseCommandLine({"-Vv", "--status-interval", "250"}, &cmd, &c).ok());
	assert_true(cmd.version);
	assert_int_equal(static_cast<int>(c.log_level), static_cast<int>(flatwal::LogLevel::kDebug));
	assert_int_equal(c.status_interval_ms, 250);
	assert_true(flatwal::ParseCommandLine({"-s", "300"}, &cmd, &c).ok());
	assert_int_equal(c.status_interval_ms, 300);
	assert_int_equal(c.heartbeat_interval_ms, 0);  // off unless asked for
	assert_string_eq(c.table_set, "default");
	assert_true(flatwal::ParseCommandLine({"--table-set", "orders"}, &cmd, &c).ok());
	assert_string_eq(c.table_set, "orders");
	assert_string_eq(flatwal::ParseCommandLine({"--table-set=a'b"}, &cmd, &c).message(), "invalid value for postgres.table_set");
	assert_true(flatwal::ParseCommandLine({"--heartbeat-interval=5000"}, &cmd, &c).ok());
	assert_int_equal(c.heartbeat_interval_ms, 5000);
	assert_string_eq(flatwal::ParseCommandLine({"--heartbeat-interval", "-1"}, &cmd, &c).message(),
	                 "invalid value for shipper.heartbeat_interval_ms");
}

void secrets_stay_off_the_command_line_and_out_of_messages(void**) {
	ShipperConfig c;
	flatwal::CommandLine cmd;
	Status st = flatwal::ParseCommandLine({"-X", "sasl.password=hunter2"}, &cmd, &c);
	assert_false(st.ok());
	assert_string_eq(st.message(), "secret setting sasl.password given on the command line");
	assert_null(strstr((st.message() + st.detail() + st.hint()).c_str(), "hunter2"));
	for (const char* conninfo : {"host=db password=hunter2", "postgresql://cdc:hunter2@db/shop"}) {
		st = flatwal::ParseCommandLine({"-d", conninfo}, &cmd, &c);
		assert_string_eq(st.message(), "password given in the command-line conninfo (-d)");
		assert_null(strstr((st.message() + st.detail() + st.hint()).c_str(), "hunter2"));
	}
	assert_true(flatwal::ParseCommandLine({"-d", "postgresql://cdc@db/shop"}, &cmd, &c).ok());
	assert_true(flatwal::ParseConfigText("[postgres]\nconninfo = host=db password=in-a-file\n", "f", &c).ok());
	assert_true(flatwal::IsSecret("kafka.ssl.key.password"));
	assert_true(flatwal::IsSecret("kafka.sasl.oauthbearer.client.secret"));
	assert_false(flatwal::IsSecret("kafka.bootstrap.servers"));
	// Every program's -X refuses secrets the same way, and names the variable to use instead.
	flatwal::KafkaSettings settings;
	st = flatwal::ParseKafkaSetting("ssl.key.password=hunter2", &settings);
	assert_false(st.ok());
	assert_non_null(strstr(st.hint().c_str(), "FLATWAL_KAFKA_SSL_KEY_PASSWORD"));
	assert_true(settings.empty());
	assert_true(flatwal::ParseKafkaSetting("security.protocol=ssl", &settings).ok());
	const char* environment[] = {"PATH=/bin", "FLATWAL_KAFKA_SASL_PASSWORD=hunter2", "FLATWAL_KAFKA_=x", nullptr};
	settings = flatwal::KafkaSettingsFromEnvironment(environment);
	assert_int_equal(settings.size(), 1);
	assert_string_eq(settings[0].first, "sasl.password");
	assert_string_eq(settings[0].second, "hunter2");
	assert_true(flatwal::RefusePasswordOnCommandLine("host=db password=x", "-d").hint().find("PGPASSWORD") !=
	            std::string::npos);
}

void validation_says_what_is_missing(void**) {
	ShipperConfig c;
	assert_string_eq(flatwal::Validate(c).message(), "no source database given");
	c.conninfo = "dbname=x";
	assert_string_eq(flatwal::Validate(c).message(), "no Kafka brokers given");
}

// --headers, shipper.headers and FLATWAL_SHIPPER_HEADERS name one set; the
// default depends on the format (minimal for frames, none for Debezium's).
void header_sets(void**) {
	using flatwal::EffectiveHeaders;
	using flatwal::HeaderSet;
	using flatwal::OutputFormat;
	ShipperConfig c;
	flatwal::CommandLine cmd;
	assert_true(EffectiveHeaders(c.format, c.headers) == HeaderSet::kMinimal);
	assert_true(flatwal::ParseCommandLine({"--format=debezium-json"}, &cmd, &c).ok());
	assert_true(EffectiveHeaders(c.format, c.headers) == HeaderSet::kNone);
	assert_true(flatwal::ParseCommandLine({"--headers=full"}, &cmd, &c).ok());
	assert_true(EffectiveHeaders(c.format, c.headers) == HeaderSet::kFull);
	assert_true(flatwal::ParseConfigText("[shipper]\nheaders = None\n", "f", &c).ok());
	assert_true(c.headers == HeaderSet::kNone);
	assert_true(flatwal::ApplyEnvironment({{"FLATWAL_SHIPPER_HEADERS", "minimal"}}, &c).ok());
	assert_true(EffectiveHeaders(OutputFormat::kDebeziumJson, c.headers) == HeaderSet::kMinimal);
	flatwal::Status st = flatwal::ParseCommandLine({"--headers=all"}, &cmd, &c);
	assert_string_eq(st.message(), "invalid value for shipper.headers");
	assert_string_eq(st.hint(), "Use minimal, full or none.");
	st = flatwal::ParseCommandLine({"--snapshot=sometimes"}, &cmd, &c);
	assert_string_eq(st.hint(), "Use initial, never or initial_only.");
}

// A lost slot is resynchronised unless --no-resync (postgres.resync) says not to.
void resync_is_the_default(void**) {
	ShipperConfig c;
	flatwal::CommandLine cmd;
	assert_true(c.resync);
	assert_true(flatwal::ParseCommandLine({"--no-resync"}, &cmd, &c).ok());
	assert_false(c.resync);
	assert_true(flatwal::ApplyEnvironment({{"FLATWAL_POSTGRES_RESYNC", "true"}}, &c).ok());
	assert_true(c.resync);
}

// --source pgoutput names a publication; the flatwal plugin stays the default.
void pgoutput_source_settings(void**) {
	ShipperConfig c;
	flatwal::CommandLine cmd;
	assert_true(c.source == flatwal::SourcePlugin::kFlatwal && c.publication == "flatwal");
	assert_true(flatwal::ParseCommandLine({"-d", "dbname=x", "-b", "k:9092", "--source=pgoutput", "--publication", "Shop Pub"},
	                                      &cmd, &c).ok());
	assert_true(c.source == flatwal::SourcePlugin::kPgoutput && c.publication == "Shop Pub");
	assert_true(flatwal::Validate(c).ok());
	assert_true(flatwal::ParseConfigText("[postgres]\nsource = flatwal\npublication = other\n", "f", &c).ok());
	assert_true(c.source == flatwal::SourcePlugin::kFlatwal && c.publication == "other");
	Status st = flatwal::ParseCommandLine({"--source=wal2json"}, &cmd, &c);
	assert_string_eq(st.hint(), "Use flatwal or pgoutput.");
	assert_false(flatwal::ParseCommandLine({"--publication="}, &cmd, &c).ok());
	// --publication-tables only means something to a pgoutput source.
	assert_true(flatwal::ParseCommandLine({"--publication-tables", " public.a, b "}, &cmd, &c).ok());
	assert_true(c.publication_tables == "public.a, b");
	assert_string_eq(flatwal::Validate(c).message(), "--publication-tables is for --source pgoutput");
	assert_true(flatwal::ParseCommandLine({"--source", "pgoutput"}, &cmd, &c).ok());
	assert_true(flatwal::Validate(c).ok());
	assert_false(flatwal::ApplyEnvironment({{"FLATWAL_POSTGRES_PUBLICATION", std::string(64, 'p')}}, &c).ok());
	// So does --signal-table (on-demand snapshots without the extension).
	flatwal::ShipperConfig plugin;
	assert_true(plugin.signal_table == "flatwal_snapshot_requests");
	assert_true(flatwal::ParseCommandLine({"-d", "dbname=x", "-b", "k:9092", "--signal-table", " ops.requests "}, &cmd, &plugin).ok());
	assert_true(plugin.signal_table == "ops.requests");
	assert_string_eq(flatwal::Validate(plugin).message(), "--signal-table is for --source pgoutput");
	assert_true(flatwal::ApplyEnvironment({{"FLATWAL_POSTGRES_SOURCE", "pgoutput"}}, &plugin).ok());
	assert_true(flatwal::Validate(plugin).ok());
	assert_false(flatwal::ParseCommandLine({"--signal-table="}, &cmd, &plugin).ok());
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(file_sections_and_passthrough),
	    cmocka_unit_test(header_sets),
	    cmocka_unit_test(resync_is_the_default),
	    cmocka_unit_test(pgoutput_source_settings),
	    cmocka_unit_test(file_errors_name_the_line),
	    cmocka_unit_test(environment_overrides_file),
	    cmocka_unit_test(command_line_flags),
	    cmocka_unit_test(command_line_errors),
	    cmocka_unit_test(debezium_format_settings),
	    cmocka_unit_test(help_version_and_clustered_flags),
	    cmocka_unit_test(secrets_stay_off_the_command_line_and_out_of_messages),
	    cmocka_unit_test(validation_says_what_is_missing),
	};
	return cmocka_run_group_tests_name("config", tests, nullptr, nullptr);
}
