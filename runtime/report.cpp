// report.cpp — see report.h.
#include "report.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "http_endpoint.h"
#include "log.h"

namespace flatwal {
namespace {

// Writes beside the file and renames, so a scraper never reads half of it.
Status WriteMetricsFile(const std::string& path, const std::string& text) {
	std::string tmp = path + ".tmp";
	FILE* f = fopen(tmp.c_str(), "w");
	bool ok = f != nullptr && fwrite(text.data(), 1, text.size(), f) == text.size();
	if (f != nullptr && fclose(f) != 0) ok = false;
	if (ok && rename(tmp.c_str(), path.c_str()) != 0) ok = false;
	if (ok) return Status::Ok();
	return Status::Error(ErrorKind::kInternal, "cannot write the metrics file " + path, std::strerror(errno));
}

}  // namespace

Report::Report(ReportSettings settings)
    : settings_(std::move(settings)),
      health_(settings_.limits, settings_.connection, settings_.lag_unit, Clock::now()),
      start_time_seconds_(std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count()) {}

Report::~Report() = default;

Status Report::Open() {
	if (settings_.http.port == 0) return Status::Ok();
	// /health calls a loop stuck once it published nothing for the grace
	// period plus 60 s: the longest reconnect wait, and then some.
	std::unique_ptr<HttpEndpoint> endpoint(new HttpEndpoint(settings_.limits.grace + std::chrono::seconds(60)));
	Status st = endpoint->Start(settings_.http);
	if (!st.ok()) return st;
	Log(LogLevel::kInfo, "serving /metrics and /health",
	    {{"address", settings_.http.host + ":" + std::to_string(settings_.http.port)}});
	http_ = std::move(endpoint);
	return Status::Ok();
}

void Report::Publish(const std::string& metrics, Clock::time_point now) {
	published_ = now;
	if (!settings_.metrics_file.empty()) {
		Status st = WriteMetricsFile(settings_.metrics_file, metrics);
		if (!st.ok()) LogStatus(LogLevel::kWarning, st);
	}
	if (http_) http_->Publish(metrics, health_.Problem(now));
}

}  // namespace flatwal
