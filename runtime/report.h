// report.h — how a program reports on itself, the same way in the shipper
// and the sink: the Prometheus text its loop renders goes to --metrics-file
// (when given) and to /metrics of --http (when given), with the /health
// verdict of its HealthMonitor beside it. The program owns what it counts and
// how it renders it; this owns where the result goes and when it is due.
#ifndef FLATWAL_REPORT_H
#define FLATWAL_REPORT_H

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "health.h"
#include "listen_address.h"
#include "status.h"

namespace flatwal {

class HttpEndpoint;

struct ReportSettings {
	ListenAddress http;        // --http (port 0: no endpoint)
	std::string metrics_file;  // --metrics-file (empty: none)
	HealthLimits limits;       // --health-max-lag-mb or -ms, --health-grace
	std::string connection;    // what the verdict calls disconnected ("replication", "the target")
	std::string lag_unit;      // the unit of the lag observed ("MB", "ms")
};

class Report {
 public:
	using Clock = std::chrono::steady_clock;

	explicit Report(ReportSettings settings);
	~Report();
	Report(const Report&) = delete;
	Report& operator=(const Report&) = delete;

	// Starts the HTTP endpoint when one was asked for (a taken port fails here).
	Status Open();
	// Whether anything reads the report: when not, the caller need not render it.
	bool wanted() const { return http_ != nullptr || !settings_.metrics_file.empty(); }
	// A second has passed since the last publication (at once before the first).
	bool Due(Clock::time_point now) const { return now - published_ >= std::chrono::seconds(1); }
	HealthMonitor& health() { return health_; }
	// When the process started (Unix seconds), for the *_start_time_seconds gauge.
	int64_t start_time_seconds() const { return start_time_seconds_; }

	// Writes `metrics` to the metrics file and hands it to /metrics with the
	// health verdict as of `now`. A metrics file that cannot be written is
	// logged, not fatal: reporting never stops the data.
	void Publish(const std::string& metrics, Clock::time_point now);

 private:
	ReportSettings settings_;
	std::unique_ptr<HttpEndpoint> http_;
	HealthMonitor health_;
	int64_t start_time_seconds_;
	Clock::time_point published_;  // none yet: the clock's epoch
};

}  // namespace flatwal

#endif  // FLATWAL_REPORT_H
