// http_endpoint.cpp — see http_endpoint.h.
#include "http_endpoint.h"

#include <httplib.h>
#include <sys/socket.h>

#include "log.h"

namespace flatwal {

HttpEndpoint::HttpEndpoint(std::chrono::milliseconds stale_after) : stale_after_(stale_after) {}

HttpEndpoint::~HttpEndpoint() { Stop(); }

Status HttpEndpoint::Start(const ListenAddress& address) {
	server_.reset(new httplib::Server);
	// Scrapes are rare and small: two workers, not one per core.
	server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
	// SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a
	// second process share the port and answer half of the scrapes.
	server_->set_socket_options([](int sock) {
		int yes = 1;
		setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
	});
	server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
		std::lock_guard<std::mutex> lock(mutex_);
		response.set_content(metrics_, "text/plain; version=0.0.4; charset=utf-8");
	});
	server_->Get("/health", [this](const httplib::Request&, httplib::Response& response) {
		std::string problem;
		{
			std::lock_guard<std::mutex> lock(mutex_);
			problem = problem_;
			auto silent = Clock::now() - published_;
			if (problem.empty() && silent > stale_after_)
				problem = "no progress report for " +
				          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(silent).count()) +
				          " s (the main loop is stuck)";
		}
		response.status = problem.empty() ? 200 : 503;
		response.set_content(problem.empty() ? "ok\n" : problem + "\n", "text/plain; charset=utf-8");
	});
	if (!server_->bind_to_port(address.host.c_str(), address.port)) {
		server_.reset();
		return Status::Error(ErrorKind::kInvalidParameter,
		                     "cannot listen on " + address.host + ":" + std::to_string(address.port) + " (--http)",
		                     "", "Choose a free port, or an address of this host.");
	}
	thread_ = std::thread([this] { server_->listen_after_bind(); });
	// Serving before Start returns, so a Stop right after cannot miss the loop.
	for (int i = 0; i < 400 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
	return Status::Ok();
}

void HttpEndpoint::Publish(std::string metrics, std::string problem) {
	std::lock_guard<std::mutex> lock(mutex_);
	metrics_ = std::move(metrics);
	problem_ = std::move(problem);
	published_ = Clock::now();
}

void HttpEndpoint::Stop() {
	if (!server_) return;
	server_->stop();
	if (thread_.joinable()) thread_.join();
	server_.reset();
}

}  // namespace flatwal
