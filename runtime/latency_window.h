// latency_window.h — commit-to-acknowledgement latencies, kept for the most
// recent commits only: a ring of fixed capacity, so memory stays bounded
// however long the shipper runs and quantiles keep following the present.
// The largest sample ever seen is kept apart. Pure C++, header-only.
#ifndef FLATWAL_LATENCY_WINDOW_H
#define FLATWAL_LATENCY_WINDOW_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace flatwal {

class LatencyWindow {
 public:
	static constexpr size_t kDefaultCapacity = size_t{1} << 20;  // 8 MiB of samples

	explicit LatencyWindow(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

	void Add(int64_t micros) {
		if (samples_.size() < capacity_) samples_.push_back(micros);
		else samples_[next_] = micros;
		next_ = (next_ + 1) % capacity_;
		++total_;
		max_ = std::max(max_, micros);
	}

	// Samples held (at most the capacity), and every sample ever added.
	size_t size() const { return samples_.size(); }
	uint64_t total() const { return total_; }
	// The i-th oldest sample held.
	int64_t operator[](size_t i) const { return samples_[(Oldest() + i) % samples_.size()]; }
	// The largest sample ever added; -1 before the first.
	int64_t max() const { return total_ == 0 ? -1 : max_; }

	// The p-quantile (0 to 1) of the newest `last` samples held; -1 when there are none.
	int64_t Quantile(double p, size_t last = SIZE_MAX) const {
		size_t n = std::min(last, samples_.size());
		if (n == 0) return -1;
		std::vector<int64_t> recent(n);
		for (size_t i = 0; i < n; ++i) recent[i] = (*this)[samples_.size() - n + i];
		size_t k = static_cast<size_t>(p * (n - 1));
		std::nth_element(recent.begin(), recent.begin() + k, recent.end());
		return recent[k];
	}

 private:
	size_t Oldest() const { return samples_.size() < capacity_ ? 0 : next_; }

	size_t capacity_;
	std::vector<int64_t> samples_;
	size_t next_ = 0;  // where the next sample goes
	uint64_t total_ = 0;
	int64_t max_ = 0;
};

}  // namespace flatwal

#endif  // FLATWAL_LATENCY_WINDOW_H
