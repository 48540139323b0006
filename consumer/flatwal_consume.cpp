// flatwal-consume — reads flatwal topics from Kafka and prints each message as
// one JSON line: where it came from, its key, and the frame decoded.
//
//   flatwal-consume -b HOST:PORT [-t TOPIC]... [-g GROUP] [--from-beginning]
//                   [--exit-when-idle MS] [-X key=value]...
//
// A topic starting with '^' is a regular expression (e.g. '^shop\..*').
// Frames are rendered by the same code as flatwal.to_json() in PostgreSQL.
#include <librdkafka/rdkafka.h>

#include <getopt.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "exit_codes.h"
#include "frame_reader.h"
#include "json_check.h"
#include "json_string.h"
#include "kafka_client.h"
#include "kafka_contract.h"
#include "render_json.h"
#include "secrets.h"
#include "stop_signal.h"
#include "text.h"

namespace {


// The idle clock starts when partitions are assigned: joining a group takes
// seconds, and "idle" before that says nothing about the topics.
std::chrono::steady_clock::time_point g_last_activity;
bool g_assigned = false;  // partitions were assigned at least once

void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		rd_kafka_assign(rk, partitions);
		// An empty assignment (no matching topic yet) starts nothing.
		if (partitions->cnt > 0) {
			g_last_activity = std::chrono::steady_clock::now();
			g_assigned = true;
		}
	} else {
		rd_kafka_assign(rk, nullptr);
	}
}

// With a message: a usage error (stderr, exit 1); without: --help (stdout, exit 0).
int Usage(const char* message) {
	if (message) std::fprintf(stderr, "flatwal-consume: %s\n", message);
	std::fprintf(message ? stderr : stdout,
	             "usage: flatwal-consume -b HOST:PORT [-t TOPIC]... [-g GROUP] [--from-beginning]\n"
	             "                       [--exit-when-idle MS] [-X key=value]...\n"
	             "  -t TOPIC             a topic, or a regular expression starting with ^ (default: ^.*)\n"
	             "  --from-beginning     start at the oldest message when the group has no offsets\n"
	             "  --exit-when-idle MS  stop after MS without a message once partitions are assigned\n"
	             "                       (exit 1 when none were within ten times MS)\n"
	             "  -X key=value         a librdkafka setting; secrets (sasl.password, ...) in FLATWAL_KAFKA_<PROPERTY>\n"
	             "                       variables instead, e.g. FLATWAL_KAFKA_SASL_PASSWORD\n");
	return message ? flatwal::kExitConfig : flatwal::kExitOk;
}

void PrintMessage(const rd_kafka_message_t* m) {
	std::string line = "{\"topic\":";
	const char* topic = rd_kafka_topic_name(m->rkt);
	flatwal::AppendJsonString(topic, std::strlen(topic), &line);
	line += ",\"partition\":" + std::to_string(m->partition) + ",\"offset\":" + std::to_string(m->offset) + ",\"key\":";
	if (m->key) flatwal::AppendJsonString(static_cast<const char*>(m->key), m->key_len, &line);
	else line += "null";
	line += ",\"event\":";
	const bool shipped_record = flatwal::EndsWith(topic, flatwal::kShippedTopicSuffix);
	if (m->payload == nullptr) {
		line += "\"tombstone\"";
	} else if (shipped_record && flatwal::IsJsonValue(static_cast<const char*>(m->payload), m->len)) {
		// The shipper's record of how far a slot was shipped: JSON, not a frame.
		line += "{\"event\":\"shipped\",\"record\":";
		line.append(static_cast<const char*>(m->payload), m->len);
		line += "}";
	} else {
		// Message values are a frame each; a value that is not (or is corrupt) is shown as an error line.
		static flatwal::FrameScratch scratch;
		const flatwal::wire::Event* event = nullptr;
		flatwal::Status st = flatwal::ReadFrame(static_cast<const uint8_t*>(m->payload), m->len, &scratch, &event);
		if (st.ok()) {
			flatwal::RenderEventJson(*event, &line);
		} else {
			line += "{\"error\":";
			flatwal::AppendJsonString(st.message().data(), st.message().size(), &line);
			line += "}";
		}
	}
	line += "}\n";
	std::fputs(line.c_str(), stdout);
	std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
	std::vector<std::string> topics;
	std::string brokers, group = "flatwal-consume";
	bool from_beginning = false;
	long idle_ms = -1;
	flatwal::KafkaSettings extra = flatwal::KafkaSettingsFromEnvironment(environ);  // -X settings come after, and win
	enum { kFromBeginning = 256, kExitWhenIdle };
	static const option kLongOptions[] = {
	    {"brokers", required_argument, nullptr, 'b'},
	    {"topic", required_argument, nullptr, 't'},
	    {"group", required_argument, nullptr, 'g'},
	    {"from-beginning", no_argument, nullptr, kFromBeginning},
	    {"exit-when-idle", required_argument, nullptr, kExitWhenIdle},
	    {"kafka", required_argument, nullptr, 'X'},
	    {"help", no_argument, nullptr, 'h'},
	    {nullptr, 0, nullptr, 0},
	};
	opterr = 0;
	for (int c; (c = getopt_long(argc, argv, ":b:t:g:X:h", kLongOptions, nullptr)) != -1;) {
		switch (c) {
			case 'b': brokers = optarg; break;
			case 't': topics.push_back(optarg); break;
			case 'g': group = optarg; break;
			case kFromBeginning: from_beginning = true; break;
			case kExitWhenIdle: {
				char* end = nullptr;
				idle_ms = std::strtol(optarg, &end, 10);
				if (*optarg == '\0' || *end != '\0' || idle_ms < 0) return Usage("--exit-when-idle needs milliseconds");
				break;
			}
			case 'X': {
				flatwal::Status st = flatwal::ParseKafkaSetting(optarg, &extra);
				if (!st.ok()) return Usage((st.message() + (st.hint().empty() ? "" : "\n" + st.hint())).c_str());
				break;
			}
			case 'h': return Usage(nullptr);
			case ':': return Usage((std::string("option ") + argv[optind - 1] + " needs a value").c_str());
			default: return Usage((std::string("unknown argument ") + argv[optind - 1]).c_str());
		}
	}
	if (optind < argc) return Usage((std::string("unknown argument ") + argv[optind]).c_str());
	if (brokers.empty()) return Usage("no brokers given (-b)");
	if (topics.empty()) topics.push_back("^.*");

	flatwal::KafkaSettings settings = {
	    {"bootstrap.servers", brokers}, {"group.id", group},
	    {"auto.offset.reset", from_beginning ? "earliest" : "latest"}, {"enable.auto.commit", "true"},
	    {"topic.metadata.refresh.interval.ms", "1000"}};
	settings.insert(settings.end(), extra.begin(), extra.end());
	flatwal::KafkaConsumer consumer;
	flatwal::Status st = consumer.Open(settings, topics, OnRebalance);
	if (!st.ok()) {
		std::fprintf(stderr, "flatwal-consume: %s\n", st.message().c_str());
		return flatwal::kExitConfig;
	}
	const flatwal::StopFlag* stop = flatwal::InstallStopSignals("flatwal-consume");
	// Waiting for the first assignment is bounded too: ten times the idle time.
	g_last_activity = std::chrono::steady_clock::now() + std::chrono::milliseconds(idle_ms > 0 ? 9 * idle_ms : 0);
	while (!*stop) {
		rd_kafka_message_t* m = consumer.Poll(200);
		if (m == nullptr) {
			auto idle = std::chrono::steady_clock::now() - g_last_activity;
			if (idle_ms >= 0 && idle >= std::chrono::milliseconds(idle_ms)) break;
			continue;
		}
		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			PrintMessage(m);
			g_last_activity = std::chrono::steady_clock::now();
		} else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			std::fprintf(stderr, "flatwal-consume: %s\n", rd_kafka_message_errstr(m));
		}
		rd_kafka_message_destroy(m);
	}
	consumer.Close();
	// Stopping idle before any partition was assigned read nothing of the
	// topics: said, so that an empty output is not taken for empty topics.
	if (!*stop && !g_assigned) {
		std::fprintf(stderr,
		             "flatwal-consume: no partition was assigned within %ld ms, nothing was read: no topic matches, or "
		             "the group is still joining (a member that left without leaving holds it up to its "
		             "session.timeout.ms); wait longer with a larger --exit-when-idle\n",
		             10 * idle_ms);
		return flatwal::kExitConfig;  // no topic matches: the settings name none
	}
	return 0;
}
