// last_lookup.h — remembers the last key looked up in a map and what it
// found. Messages come in runs to one topic, so the shipper's per-topic
// lookups (its counters, librdkafka's topic handles) mostly compare one
// string instead of searching. The value must keep its address while
// remembered: an element of a node-based map does.
#ifndef FLATWAL_LAST_LOOKUP_H
#define FLATWAL_LAST_LOOKUP_H

#include <string>

namespace flatwal {

template <typename Value>
class LastLookup {
 public:
	// What the last lookup of `key` found; nullptr when the last lookup was of another key.
	Value* Find(const std::string& key) const { return value_ != nullptr && key == key_ ? value_ : nullptr; }
	// Remembers `value` as what `key` finds; returns it.
	Value* Remember(const std::string& key, Value* value) {
		key_ = key;
		value_ = value;
		return value;
	}

 private:
	std::string key_;
	Value* value_ = nullptr;
};

}  // namespace flatwal

#endif  // FLATWAL_LAST_LOOKUP_H
