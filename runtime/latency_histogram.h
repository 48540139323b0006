// latency_histogram.h — a Prometheus histogram of latencies since the process
// started: counts per fixed bucket, their sum and count. Unlike
// LatencyWindow's quantiles, it aggregates across scrapes and processes
// (histogram_quantile over rate()). Pure C++, header-only.
#ifndef FLATWAL_LATENCY_HISTOGRAM_H
#define FLATWAL_LATENCY_HISTOGRAM_H

#include <array>
#include <cstdint>

#include "prometheus_text.h"

namespace flatwal {

class LatencyHistogram {
 public:
	// Upper bounds in microseconds: 1 ms to 5 minutes, for a streaming
	// shipper (milliseconds) and a warehouse sink (minutes) alike.
	static constexpr std::array<int64_t, 16> kBoundsMicros = {
	    1000,    2500,     5000,     10000,    25000,    50000,     100000,    250000,
	    500000, 1000000, 2500000, 5000000, 10000000, 30000000, 60000000, 300000000};

	void Add(int64_t micros) {
		if (micros < 0) micros = 0;
		size_t i = 0;
		while (i < kBoundsMicros.size() && micros > kBoundsMicros[i]) ++i;
		++counts_[i];  // the last slot is +Inf
		++count_;
		sum_micros_ += static_cast<uint64_t>(micros);
	}

	uint64_t count() const { return count_; }

	// The family `name` (in seconds): cumulative _bucket samples, _sum, _count.
	void AppendTo(PrometheusText* out, const char* name, const char* help) const {
		out->Family(name, "histogram", help);
		const std::string base(name);
		uint64_t cumulative = 0;
		for (size_t i = 0; i < kBoundsMicros.size(); ++i) {
			cumulative += counts_[i];
			out->Sample(base + "_bucket", PrometheusText::Number(cumulative),
			            {{"le", PrometheusText::Number(kBoundsMicros[i] / 1e6)}});
		}
		out->Sample(base + "_bucket", PrometheusText::Number(count_), {{"le", "+Inf"}});
		out->Sample(base + "_sum", PrometheusText::Number(sum_micros_ / 1e6));
		out->Sample(base + "_count", PrometheusText::Number(count_));
	}

 private:
	std::array<uint64_t, kBoundsMicros.size() + 1> counts_{};
	uint64_t count_ = 0;
	uint64_t sum_micros_ = 0;
};

}  // namespace flatwal

#endif  // FLATWAL_LATENCY_HISTOGRAM_H
