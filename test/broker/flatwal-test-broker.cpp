// flatwal-test-broker — librdkafka's Kafka-protocol mock cluster on 127.0.0.1,
// for tests and the demo (Apache Kafka itself cannot be installed here).
//
//   flatwal-test-broker [--brokers N] [--bootstrap-file PATH] [--control FIFO] [--max-seconds N]
//
// Prints "bootstrap=127.0.0.1:PORT,..." on stdout (and into --bootstrap-file),
// then takes one command per line on the control FIFO:
//   down ID | up ID                  take a broker off the network, or back
//   error API_KEY ERROR_CODE [COUNT] the next COUNT requests of that API fail
//   topic NAME PARTITIONS            create a topic
//   quit                             stop
// It stops by itself after --max-seconds (default 3600), so a forgotten
// broker never outlives its test.
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

void Say(const std::string& line) {
	std::printf("%s\n", line.c_str());
	std::fflush(stdout);
}

bool Execute(rd_kafka_mock_cluster_t* cluster, const std::string& line) {
	std::istringstream in(line);
	std::string verb;
	in >> verb;
	if (verb.empty()) return true;
	if (verb == "quit") {
		g_stop = 1;
		return true;
	}
	if (verb == "down" || verb == "up") {
		int id = -1;
		in >> id;
		rd_kafka_resp_err_t err = verb == "down" ? rd_kafka_mock_broker_set_down(cluster, id)
		                                         : rd_kafka_mock_broker_set_up(cluster, id);
		Say("ok " + line + (err ? std::string(" error=") + rd_kafka_err2name(err) : ""));
		return err == RD_KAFKA_RESP_ERR_NO_ERROR;
	}
	if (verb == "error") {
		int api = -1, code = -1, count = 1;
		in >> api >> code;
		if (!(in >> count)) count = 1;
		for (int i = 0; i < count; ++i)
			rd_kafka_mock_push_request_errors(cluster, api, 1, static_cast<rd_kafka_resp_err_t>(code));
		Say("ok " + line);
		return true;
	}
	if (verb == "topic") {
		std::string name;
		int partitions = 1;
		in >> name >> partitions;
		rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, 1);
		Say("ok " + line + (err ? std::string(" error=") + rd_kafka_err2name(err) : ""));
		return err == RD_KAFKA_RESP_ERR_NO_ERROR;
	}
	Say("unknown command: " + line);
	return false;
}

}  // namespace

int main(int argc, char** argv) {
	int brokers = 1, max_seconds = 3600;
	const char* bootstrap_file = nullptr;
	const char* control = nullptr;
	for (int i = 1; i < argc; ++i) {
		std::string a = argv[i];
		const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
		if (a == "--brokers" && v) brokers = std::atoi(argv[++i]);
		else if (a == "--bootstrap-file" && v) bootstrap_file = argv[++i];
		else if (a == "--control" && v) control = argv[++i];
		else if (a == "--max-seconds" && v) max_seconds = std::atoi(argv[++i]);
		else {
			std::fprintf(stderr, "usage: %s [--brokers N] [--bootstrap-file PATH] [--control FIFO] [--max-seconds N]\n",
			             argv[0]);
			return 1;
		}
	}
	char err[256];
	rd_kafka_conf_t* conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "client.id", "flatwal-test-broker", err, sizeof err);
	rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (rk == nullptr) {
		std::fprintf(stderr, "flatwal-test-broker: %s\n", err);
		return 1;
	}
	// Listeners bind 127.0.0.1 on ports the kernel picks (librdkafka 2.0.2 has no port setting).
	rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
	if (cluster == nullptr) {
		std::fprintf(stderr, "flatwal-test-broker: cannot start the mock cluster\n");
		return 1;
	}
	std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
	if (bootstrap_file != nullptr) {
		std::string tmp = std::string(bootstrap_file) + ".tmp";
		FILE* f = std::fopen(tmp.c_str(), "w");
		if (f == nullptr || std::fprintf(f, "%s\n", bootstrap.c_str()) < 0 || std::fclose(f) != 0 ||
		    std::rename(tmp.c_str(), bootstrap_file) != 0) {
			std::perror("flatwal-test-broker: bootstrap file");
			return 1;
		}
	}
	Say("bootstrap=" + bootstrap);

	std::signal(SIGTERM, OnSignal);
	std::signal(SIGINT, OnSignal);
	// O_RDWR keeps the FIFO open between writers, so their closing is no EOF.
	int fd = control ? open(control, O_RDWR | O_NONBLOCK) : -1;
	if (control != nullptr && fd < 0) {
		std::perror("flatwal-test-broker: control FIFO");
		return 1;
	}
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(max_seconds);
	std::string pending;
	while (!g_stop && std::chrono::steady_clock::now() < deadline) {
		pollfd p{fd, POLLIN, 0};
		if (fd >= 0 && poll(&p, 1, 200) > 0 && (p.revents & POLLIN)) {
			char buf[512];
			ssize_t n = read(fd, buf, sizeof buf);
			if (n > 0) pending.append(buf, static_cast<size_t>(n));
			size_t nl;
			while ((nl = pending.find('\n')) != std::string::npos) {
				Execute(cluster, pending.substr(0, nl));
				pending.erase(0, nl + 1);
			}
		} else if (fd < 0) {
			usleep(200000);
		}
	}
	Say("stopping");
	rd_kafka_mock_cluster_destroy(cluster);
	rd_kafka_destroy(rk);
	return 0;
}
