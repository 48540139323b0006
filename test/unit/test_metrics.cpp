// Unit tests for what /metrics and /health are made of: the Prometheus text
// (runtime/prometheus_text.h, shipper/metrics.cpp), the latency histogram, the
// health verdict (runtime/health.h), --http parsing and the endpoint itself.
// httplib.h (with <iostream>) comes before unit.h: cmocka's fail() macro would
// rewrite std::ios::fail().
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "unit.h"

#include "health.h"
#include "http_endpoint.h"
#include "latency_histogram.h"
#include "listen_address.h"
#include "metrics.h"
#include "prometheus_text.h"

using namespace flatwal;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void label_values_are_escaped(void**) {
	PrometheusText out;
	out.Family("m", "gauge", "help");
	out.Sample("m", "1", {{"topic", "a\"b\\c\nd"}});
	assert_string_eq(out.text(), "# HELP m help\n# TYPE m gauge\nm{topic=\"a\\\"b\\\\c\\nd\"} 1\n");
}

void histogram_buckets_are_cumulative(void**) {
	LatencyHistogram h;
	h.Add(500);        // 0.5 ms: first bucket
	h.Add(1000);       // on the bound: still the first (le is "less or equal")
	h.Add(3000);       // 2.5 ms < 3 ms <= 5 ms
	h.Add(400000000);  // beyond 5 minutes: +Inf only
	PrometheusText out;
	h.AppendTo(&out, "lat_seconds", "help");
	const std::string& t = out.text();
	assert_true(Contains(t, "# TYPE lat_seconds histogram\n"));
	assert_true(Contains(t, "lat_seconds_bucket{le=\"0.001\"} 2\n"));
	assert_true(Contains(t, "lat_seconds_bucket{le=\"0.0025\"} 2\n"));
	assert_true(Contains(t, "lat_seconds_bucket{le=\"0.005\"} 3\n"));
	assert_true(Contains(t, "lat_seconds_bucket{le=\"300\"} 3\n"));
	assert_true(Contains(t, "lat_seconds_bucket{le=\"+Inf\"} 4\n"));
	assert_true(Contains(t, "lat_seconds_count 4\n"));
	assert_true(Contains(t, "lat_seconds_sum 400.0045\n"));
}

void health_waits_out_the_grace_period(void**) {
	auto t0 = HealthMonitor::Clock::now();
	HealthMonitor h({100, seconds(10)}, "replication", "MB", t0);
	assert_string_eq(h.Problem(t0 + seconds(5)), "");  // starting: not connected yet, within the grace
	assert_true(Contains(h.Problem(t0 + seconds(11)), "replication disconnected for 11 s"));
	h.Observe(t0 + seconds(12), true, 50);
	assert_string_eq(h.Problem(t0 + seconds(12)), "");
	h.Observe(t0 + seconds(20), true, 500);  // lag over the limit ...
	assert_string_eq(h.Problem(t0 + seconds(25)), "");
	assert_true(Contains(h.Problem(t0 + seconds(31)), "lag 500 MB above the limit 100 for 11 s"));
	h.Observe(t0 + seconds(32), true, 80);  // ... and back under it
	assert_string_eq(h.Problem(t0 + seconds(33)), "");
	h.Observe(t0 + seconds(40), false, 0);  // a short disconnect is not a problem
	h.Observe(t0 + seconds(45), true, 0);
	assert_string_eq(h.Problem(t0 + seconds(60)), "");
	h.Fail("Kafka refused a message");  // for good, whatever comes after
	h.Observe(t0 + seconds(61), true, 0);
	assert_string_eq(h.Problem(t0 + seconds(61)), "Kafka refused a message");
}

void health_ignores_lag_without_a_limit(void**) {
	auto t0 = HealthMonitor::Clock::now();
	HealthMonitor h({0, seconds(1)}, "the target", "ms", t0);
	h.Observe(t0, true, 1u << 30);
	assert_string_eq(h.Problem(t0 + seconds(100)), "");
}

void listen_addresses(void**) {
	ListenAddress a;
	assert_true(ParseListenAddress("9187", &a).ok());
	assert_string_eq(a.host, "127.0.0.1");
	assert_int_equal(a.port, 9187);
	assert_true(ParseListenAddress("0.0.0.0:80", &a).ok());
	assert_string_eq(a.host, "0.0.0.0");
	assert_int_equal(a.port, 80);
	assert_true(ParseListenAddress(":81", &a).ok());
	assert_string_eq(a.host, "127.0.0.1");
	assert_true(ParseListenAddress("[::1]:82", &a).ok());
	assert_string_eq(a.host, "::1");
	for (const char* bad : {"", "host:", "x", "1:2:x", "70000", "0", "9187a", "-5"})
		assert_false(ParseListenAddress(bad, &a).ok());
}

void shipper_metrics_name_every_family(void**) {
	ShipperCounters counters;
	counters.topics["db.public.orders"] = {3, 300};
	counters.server_wal_end = 5000;
	LatencyWindow window;
	window.Add(2000);
	LatencyHistogram histogram;
	histogram.Add(2000);
	std::map<std::string, uint64_t> delivery{{"_MSG_TIMED_OUT", 2}}, broker{{"_TRANSPORT", 7}};
	MetricsSample s;
	s.counters = &counters;
	s.confirmed_lsn = 4000;
	s.timeline = 3;
	s.latencies = &window;
	s.histogram = &histogram;
	s.delivery_errors = &delivery;
	s.broker_errors = &broker;
	s.slot = {"extended", -1};
	s.snapshot = {true, 4, 1};
	const std::string t = MetricsText(s);
	assert_true(Contains(t, "flatwal_shipper_slot_lag_bytes 1000\n"));
	assert_true(Contains(t, "flatwal_shipper_source_timeline 3\n"));
	assert_true(Contains(t, "flatwal_shipper_topic_messages_total{topic=\"db.public.orders\"} 3\n"));
	assert_true(Contains(t, "flatwal_shipper_topic_bytes_total{topic=\"db.public.orders\"} 300\n"));
	assert_true(Contains(t, "flatwal_shipper_kafka_errors_total{kind=\"delivery\",class=\"_MSG_TIMED_OUT\"} 2\n"));
	assert_true(Contains(t, "flatwal_shipper_kafka_errors_total{kind=\"broker\",class=\"_TRANSPORT\"} 7\n"));
	assert_true(Contains(t, "flatwal_shipper_slot_wal_status{status=\"extended\"} 1\n"));
	assert_true(Contains(t, "flatwal_shipper_slot_wal_status{status=\"reserved\"} 0\n"));
	assert_true(Contains(t, "flatwal_shipper_slot_safe_wal_size_bytes NaN\n"));
	assert_true(Contains(t, "flatwal_shipper_snapshot_tables 4\n"));
	assert_true(Contains(t, "flatwal_shipper_snapshot_tables_done 1\n"));
	assert_true(Contains(t, "flatwal_shipper_commit_to_ack_seconds_bucket{le=\"0.0025\"} 1\n"));
	assert_true(Contains(t, "flatwal_shipper_commit_to_ack_seconds_p50 0.002\n"));
}

// A port nobody listens on: bind to 0, read it back, close.
int FreePort() {
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	sockaddr_in address{};
	address.sin_family = AF_INET;
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t length = sizeof address;
	bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
	getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
	close(fd);
	return ntohs(address.sin_port);
}

void endpoint_serves_and_goes_stale(void**) {
	HttpEndpoint endpoint(milliseconds(300));
	ListenAddress address;
	address.port = FreePort();
	assert_true(endpoint.Start(address).ok());
	httplib::Client client("127.0.0.1", address.port);
	auto health = client.Get("/health");
	assert_non_null(health);
	assert_int_equal(health->status, 503);  // nothing published yet: starting
	endpoint.Publish("m 1\n", "");
	auto metrics = client.Get("/metrics");
	assert_non_null(metrics);
	assert_int_equal(metrics->status, 200);
	assert_string_eq(metrics->body, "m 1\n");
	health = client.Get("/health");
	assert_int_equal(health->status, 200);
	endpoint.Publish("m 2\n", "lag too high");
	health = client.Get("/health");
	assert_int_equal(health->status, 503);
	assert_string_eq(health->body, "lag too high\n");
	endpoint.Publish("m 3\n", "");
	std::this_thread::sleep_for(milliseconds(600));  // the loop stopped publishing
	health = client.Get("/health");
	assert_int_equal(health->status, 503);
	assert_true(Contains(health->body, "stuck"));
	assert_int_equal(client.Get("/nothing")->status, 404);
	// The same port twice is refused at Start.
	HttpEndpoint second(milliseconds(300));
	assert_false(second.Start(address).ok());
	endpoint.Stop();
}

}  // namespace

int main() {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(label_values_are_escaped),
	    cmocka_unit_test(histogram_buckets_are_cumulative),
	    cmocka_unit_test(health_waits_out_the_grace_period),
	    cmocka_unit_test(health_ignores_lag_without_a_limit),
	    cmocka_unit_test(listen_addresses),
	    cmocka_unit_test(shipper_metrics_name_every_family),
	    cmocka_unit_test(endpoint_serves_and_goes_stale),
	};
	return cmocka_run_group_tests_name("metrics", tests, nullptr, nullptr);
}
