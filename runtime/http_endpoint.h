// http_endpoint.h — the optional HTTP side of the shipper and the sink
// (--http HOST:PORT): Prometheus text at /metrics and the health verdict at
// /health (200 "ok", or 503 and why). The process's loop renders both and
// publishes them at its own pace; the server thread only hands out the last
// copy, so a scrape never touches the loop's state. A loop that stops
// publishing (stuck, or dead) makes /health fail by itself.
#ifndef FLATWAL_HTTP_ENDPOINT_H
#define FLATWAL_HTTP_ENDPOINT_H

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "listen_address.h"
#include "status.h"

namespace httplib {
class Server;
}

namespace flatwal {

class HttpEndpoint {
 public:
	using Clock = std::chrono::steady_clock;

	// /health fails when nothing was published for `stale_after`.
	explicit HttpEndpoint(std::chrono::milliseconds stale_after);
	~HttpEndpoint();
	HttpEndpoint(const HttpEndpoint&) = delete;
	HttpEndpoint& operator=(const HttpEndpoint&) = delete;

	// Binds (a taken port fails here, not later) and serves on its own thread.
	Status Start(const ListenAddress& address);
	// The latest metrics text and health problem (empty: healthy).
	void Publish(std::string metrics, std::string problem);
	void Stop();

 private:
	std::chrono::milliseconds stale_after_;
	std::unique_ptr<httplib::Server> server_;
	std::thread thread_;
	std::mutex mutex_;  // guards the three below
	std::string metrics_, problem_ = "starting";
	Clock::time_point published_ = Clock::now();
};

}  // namespace flatwal

#endif  // FLATWAL_HTTP_ENDPOINT_H
