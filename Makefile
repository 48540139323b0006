# flatwal — build and test everything.
#
#   make              build the extension (PGXS) from plugin/ and format/
#   make install      install it into the PostgreSQL that pg_config names
#   make unit         build and run the CMocka unit tests (no server needed)
#   make test         everything: unit tests, pg_regress, differential check
#                     (scripts/test.sh wraps this and installs dependencies)

PG_CONFIG ?= pg_config
BUILD     := build
GEN       := $(BUILD)/gen
FLATC     ?= flatc

MODULE_big = flatwal
PLUGIN_SRCS = decoder encoder guard options relation_info snapshot_functions sql_functions stored_text
# format/: frames read, written and rendered; pure C++ shared by the extension and the programs.
FORMAT_SRCS = datetime_text frame_builder frame_reader json_check render_json render_pg_text row_packer table_catalog wire_names
OBJS = $(addprefix plugin/,$(addsuffix .o,$(PLUGIN_SRCS))) $(addprefix format/,$(addsuffix .o,$(FORMAT_SRCS)))
DATA = sql/flatwal.control sql/flatwal--0.1.sql
MODULEDIR = extension
PG_CXXFLAGS = -std=c++17 -I$(GEN) -Iformat -Icommon -Iplugin -Wno-missing-field-initializers -Wno-register
SHLIB_LINK = -lstdc++
EXTRA_CLEAN = $(BUILD)

# The extension is C++; skip PostgreSQL's LLVM bitcode for JIT inlining.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

WIRE_HEADER := $(GEN)/flatwal_generated.h
$(WIRE_HEADER): format/flatwal.fbs
	@mkdir -p $(GEN)
	$(FLATC) --cpp --scoped-enums -o $(GEN) $<

# Python readers for the independent test checkers (and any Python consumer).
PY_WIRE := $(GEN)/python/flatwal/wire/Event.py
$(PY_WIRE): format/flatwal.fbs
	@mkdir -p $(GEN)/python
	$(FLATC) --python -o $(GEN)/python $<

$(OBJS): $(WIRE_HEADER) $(wildcard plugin/*.h) $(wildcard format/*.h) $(wildcard common/*.h)

# ---------------------------------------------------------------- shipper and test broker
# Plain C++ programs (no PostgreSQL server headers), built beside the extension.
APP_CXXFLAGS = -std=c++17 -O2 -g -Wall -Wextra -I$(GEN) -Iformat -Icommon \
	-I$(shell $(PG_CONFIG) --includedir)
# cpp-httplib as Debian builds it (a library, with its TLS and compression defines).
HTTPLIB_CFLAGS = $(shell pkg-config --cflags cpp-httplib)
HTTPLIB_LIBS = $(shell pkg-config --libs cpp-httplib) -pthread
FORMAT_CPP = $(addprefix format/,$(addsuffix .cpp,$(FORMAT_SRCS)))
# Renderers only the programs use (not linked into the extension).
DEBEZIUM_CPP = format/debezium_types.cpp format/debezium_envelope.cpp
SHIPPER_SRCS = shipper/config.cpp common/log.cpp shipper/lsn_tracker.cpp shipper/main.cpp shipper/metrics.cpp \
	shipper/producer.cpp common/pg_session.cpp shipper/snapshot.cpp shipper/snapshot_readers.cpp shipper/on_demand.cpp shipper/chunk_reader.cpp shipper/chunk_snapshot.cpp shipper/heartbeat.cpp shipper/side_session.cpp \
	shipper/replication.cpp shipper/router.cpp shipper/debezium_routes.cpp shipper/shipper.cpp common/http_endpoint.cpp \
	$(FORMAT_CPP) $(DEBEZIUM_CPP)
SHIPPER_BIN = $(BUILD)/bin/flatwal-shipper
# The shipper allocates with jemalloc: librdkafka frees every message's headers
# on its own threads, and glibc's malloc spent a quarter of the shipper's CPU
# on that (bench/shipper.sh: 7.8 -> 5.8 ms per 1,000 events, BENCH_PRELOAD).
BROKER_BIN = $(BUILD)/bin/flatwal-test-broker
CONSUME_BIN = $(BUILD)/bin/flatwal-consume
PREFIX ?= /usr/local

$(SHIPPER_BIN): $(SHIPPER_SRCS) $(wildcard shipper/*.h) $(wildcard common/*.h) $(wildcard format/*.h) $(WIRE_HEADER)
	@mkdir -p $(dir $@)
	$(CXX) $(APP_CXXFLAGS) $(HTTPLIB_CFLAGS) -Ishipper -o $@ $(SHIPPER_SRCS) -lrdkafka -lpq $(HTTPLIB_LIBS) -ljemalloc

CONSUME_SRCS = consumer/flatwal_consume.cpp consumer/kafka_consumer.cpp $(FORMAT_CPP)
$(CONSUME_BIN): $(CONSUME_SRCS) consumer/kafka_consumer.h $(wildcard format/*.h) $(wildcard common/*.h) $(WIRE_HEADER)
	@mkdir -p $(dir $@)
	$(CXX) $(APP_CXXFLAGS) -Iconsumer -o $@ $(CONSUME_SRCS) -lrdkafka

SINK_SRCS = sink/main.cpp sink/sink.cpp sink/sink_config.cpp sink/change_set.cpp sink/schema_registry.cpp \
	sink/pg_target.cpp sink/clickhouse_target.cpp sink/dead_letters.cpp sink/sink_metrics.cpp consumer/kafka_consumer.cpp \
	common/log.cpp common/pg_session.cpp common/http_endpoint.cpp $(FORMAT_CPP)
SINK_BIN = $(BUILD)/bin/flatwal-sink
$(SINK_BIN): $(SINK_SRCS) $(wildcard sink/*.h) consumer/kafka_consumer.h $(wildcard common/*.h) $(wildcard format/*.h) \
	$(WIRE_HEADER)
	@mkdir -p $(dir $@)
	$(CXX) $(APP_CXXFLAGS) $(HTTPLIB_CFLAGS) -Isink -Iconsumer -o $@ $(SINK_SRCS) -lrdkafka -lpq -lcurl $(HTTPLIB_LIBS)

$(BROKER_BIN): test/broker/flatwal-test-broker.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(APP_CXXFLAGS) -o $@ $< -lrdkafka

# WITH_SHIPPER=no builds and installs the extension alone (the PostgreSQL image).
ifneq ($(WITH_SHIPPER),no)
all: $(SHIPPER_BIN) $(CONSUME_BIN) $(SINK_BIN) $(BROKER_BIN)
install: install-shipper
endif
install-shipper: $(SHIPPER_BIN) $(CONSUME_BIN) $(SINK_BIN)
	install -D -m 755 $(SHIPPER_BIN) $(DESTDIR)$(PREFIX)/bin/flatwal-shipper
	install -D -m 755 $(SINK_BIN) $(DESTDIR)$(PREFIX)/bin/flatwal-sink
	install -D -m 755 $(CONSUME_BIN) $(DESTDIR)$(PREFIX)/bin/flatwal-consume

# ---------------------------------------------------------------- unit tests
# Unit tests run under AddressSanitizer and UndefinedBehaviorSanitizer.
UNIT_CXXFLAGS = -std=c++17 -O1 -g -Wall -Wextra -I$(GEN) -Iformat -Icommon -Ishipper \
	-I$(shell $(PG_CONFIG) --includedir) \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
UNIT_TESTS = test_options test_frames test_render_json test_fuzz_frames test_lsn_tracker test_config test_router \
	test_stored_text test_pg_session test_change_set test_metrics test_debezium test_key_ranges test_chunk_snapshot
UNIT_BINS = $(addprefix $(BUILD)/unit/,$(UNIT_TESTS))

$(BUILD)/unit/test_options: test/unit/test_options.cpp plugin/options.cpp plugin/options.h common/status.h common/text.h
$(BUILD)/unit/test_frames: test/unit/test_frames.cpp format/frames.h
$(BUILD)/unit/test_render_json: test/unit/test_render_json.cpp $(FORMAT_CPP) $(wildcard format/*.h) $(WIRE_HEADER)
$(BUILD)/unit/test_fuzz_frames: test/unit/test_fuzz_frames.cpp $(FORMAT_CPP) $(wildcard format/*.h) $(WIRE_HEADER)
$(BUILD)/unit/test_stored_text: test/unit/test_stored_text.cpp plugin/stored_text.cpp plugin/stored_text.h
# Only the tests of the extension's pure parts see plugin/.
$(BUILD)/unit/test_options $(BUILD)/unit/test_stored_text: UNIT_INCLUDES = -Iplugin
$(BUILD)/unit/test_lsn_tracker: test/unit/test_lsn_tracker.cpp shipper/lsn_tracker.cpp shipper/lsn_tracker.h \
	common/latency_window.h
$(BUILD)/unit/test_key_ranges: test/unit/test_key_ranges.cpp shipper/key_ranges.h
$(BUILD)/unit/test_chunk_snapshot: test/unit/test_chunk_snapshot.cpp shipper/chunk_snapshot.cpp shipper/chunk_snapshot.h
$(BUILD)/unit/test_pg_session: test/unit/test_pg_session.cpp common/pg_session.cpp common/pg_session.h common/backoff.h
$(BUILD)/unit/test_pg_session: UNIT_LIBS = -lpq
$(BUILD)/unit/test_change_set: test/unit/test_change_set.cpp sink/change_set.cpp sink/change_set.h sink/position.h \
	sink/schema_registry.h $(FORMAT_CPP) $(wildcard format/*.h) $(WIRE_HEADER)
$(BUILD)/unit/test_change_set: UNIT_INCLUDES = -Isink -Iconsumer
$(BUILD)/unit/test_metrics: test/unit/test_metrics.cpp shipper/metrics.cpp shipper/metrics.h common/http_endpoint.cpp common/log.cpp \
	common/http_endpoint.h common/health.h common/latency_histogram.h common/prometheus_text.h common/listen_address.h
$(BUILD)/unit/test_metrics: UNIT_INCLUDES = $(HTTPLIB_CFLAGS)
$(BUILD)/unit/test_metrics: UNIT_LIBS = $(HTTPLIB_LIBS)
$(BUILD)/unit/test_config: test/unit/test_config.cpp shipper/config.cpp shipper/config.h common/text.h \
	$(FORMAT_CPP) $(DEBEZIUM_CPP) $(wildcard format/*.h) $(WIRE_HEADER)
$(BUILD)/unit/test_config: UNIT_LIBS = -lpq
$(BUILD)/unit/test_router: test/unit/test_router.cpp shipper/router.cpp shipper/debezium_routes.cpp shipper/router.h \
	$(FORMAT_CPP) $(DEBEZIUM_CPP) $(wildcard format/*.h) $(WIRE_HEADER)

$(BUILD)/unit/test_debezium: test/unit/test_debezium.cpp shipper/router.cpp shipper/debezium_routes.cpp shipper/router.h \
	$(FORMAT_CPP) $(DEBEZIUM_CPP) $(wildcard format/*.h) $(WIRE_HEADER)

$(UNIT_BINS): test/unit/unit.h common/json_string.h
	@mkdir -p $(dir $@)
	$(CXX) $(UNIT_CXXFLAGS) $(UNIT_INCLUDES) -o $@ $(filter %.cpp,$^) -lcmocka $(UNIT_LIBS)

# ---------------------------------------------------------------- fuzzing
# libFuzzer targets for everything that reads untrusted bytes, under
# AddressSanitizer and UndefinedBehaviorSanitizer; `make fuzz` runs each for
# FUZZ_SECONDS (test/fuzz/run.sh).
FUZZ_CXX ?= clang++
FUZZ_CXXFLAGS = -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I$(GEN) -Iformat -Icommon -Ishipper -I$(shell $(PG_CONFIG) --includedir)
FUZZ_BINS = $(addprefix $(BUILD)/fuzz/fuzz_,frames plugin_options shipper_config)

$(BUILD)/fuzz/fuzz_frames: test/fuzz/fuzz_frames.cpp $(FORMAT_CPP) $(DEBEZIUM_CPP) shipper/router.cpp \
	shipper/debezium_routes.cpp sink/change_set.cpp \
	$(wildcard format/*.h) $(wildcard sink/*.h) $(WIRE_HEADER)
$(BUILD)/fuzz/fuzz_frames: FUZZ_INCLUDES = -Isink -Iconsumer
$(BUILD)/fuzz/fuzz_plugin_options: test/fuzz/fuzz_plugin_options.cpp plugin/options.cpp plugin/options.h
$(BUILD)/fuzz/fuzz_plugin_options: FUZZ_INCLUDES = -Iplugin
$(BUILD)/fuzz/fuzz_shipper_config: test/fuzz/fuzz_shipper_config.cpp shipper/config.cpp shipper/config.h \
	$(FORMAT_CPP) $(DEBEZIUM_CPP) $(wildcard format/*.h) $(WIRE_HEADER)
$(BUILD)/fuzz/fuzz_shipper_config: FUZZ_LIBS = -lpq

$(FUZZ_BINS): common/status.h common/text.h
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) $(FUZZ_INCLUDES) -o $@ $(filter %.cpp,$^) $(FUZZ_LIBS)

fuzz: $(FUZZ_BINS)
	test/fuzz/run.sh

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do $$t; done

test: all unit fuzz $(PY_WIRE)
	test/run-suites.sh

.PHONY: unit fuzz test install-shipper
