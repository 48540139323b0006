// prometheus_text.h — Prometheus text exposition format (version 0.0.4), as
// the shipper and the sink serve it at /metrics and write to --metrics-file.
// Each metric family has its HELP and TYPE lines once, then its samples.
// Pure C++, header-only.
#ifndef FLATWAL_PROMETHEUS_TEXT_H
#define FLATWAL_PROMETHEUS_TEXT_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace flatwal {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class PrometheusText {
 public:
	// Starts a family; `type` is counter, gauge or histogram.
	void Family(const char* name, const char* type, const char* help) {
		text_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
	}
	// One sample of the family just started (`name` may carry a suffix such as _bucket).
	void Sample(const std::string& name, const std::string& value, const MetricLabels& labels = {}) {
		text_ += name;
		if (!labels.empty()) {
			text_ += '{';
			for (size_t i = 0; i < labels.size(); ++i) {
				if (i) text_ += ',';
				text_ += labels[i].first + "=\"";
				AppendLabelValue(labels[i].second);
				text_ += '"';
			}
			text_ += '}';
		}
		text_ += ' ' + value + '\n';
	}
	// A family with one unlabelled sample.
	void Single(const char* name, const char* type, const char* help, const std::string& value) {
		Family(name, type, help);
		Sample(name, value);
	}

	static std::string Number(uint64_t v) { return std::to_string(v); }
	static std::string Number(double v) {
		if (v != v) return "NaN";
		char text[32];
		snprintf(text, sizeof text, "%.10g", v);
		return text;
	}

	const std::string& text() const { return text_; }

 private:
	// Label values escape backslash, double quote and line feed.
	void AppendLabelValue(const std::string& value) {
		for (char c : value) {
			if (c == '\\' || c == '"') text_ += '\\', text_ += c;
			else if (c == '\n') text_ += "\\n";
			else text_ += c;
		}
	}

	std::string text_;
};

}  // namespace flatwal

#endif  // FLATWAL_PROMETHEUS_TEXT_H
