# flatwal — build and test everything.
#
#   make              build the extension (PGXS) from plugin/ and format/, and the programs
#   make install      install them (the extension into the PostgreSQL that pg_config names)
#   make unit         build and run the CMocka unit tests (no server needed)
#   make fuzz         build and run the libFuzzer targets (FUZZ_SECONDS each)
#   make test-suites  pg_regress, the differential check and the server suites
#   make test         unit, fuzz and test-suites (scripts/test.sh runs everything,
#                     with -j, the demo and the images, and installs dependencies)

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

# ---------------------------------------------------------------- programs, unit tests, fuzzers
# Everything outside the extension is compiled once per flag set ("flavor"):
# app (the programs), unit (CMocka under ASan/UBSan) and fuzz (libFuzzer).
# Each flavor keeps its objects under build/obj/<flavor>/ with header
# dependencies written by the compiler (-MMD), and packs format/ and the
# programs' shared runtime code into two static libraries, so format/ is
# compiled three times in all, not once per binary.
PG_INCLUDEDIR := $(shell $(PG_CONFIG) --includedir)
# cpp-httplib as Debian builds it (a library, with its TLS and compression defines).
HTTPLIB_CFLAGS := $(shell pkg-config --cflags cpp-httplib 2>/dev/null)
HTTPLIB_LIBS := $(shell pkg-config --libs cpp-httplib 2>/dev/null) -pthread
# Layers: common/ (pure helpers, all the extension sees), format/ (frames),
# runtime/ (what the programs share: PostgreSQL session, Kafka client, HTTP
# endpoint, log, health, metrics text, backoff). Programs are peers on them.
BASE_INCLUDES = -I$(GEN) -Iformat -Icommon -Iruntime -I$(PG_INCLUDEDIR) $(HTTPLIB_CFLAGS)
APP_CXXFLAGS = -std=c++17 -O2 -g -Wall -Wextra
UNIT_CXXFLAGS = -std=c++17 -O1 -g -Wall -Wextra \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CXX ?= clang++
FUZZ_CXXFLAGS = -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

APP_OBJ = $(BUILD)/obj/app
UNIT_OBJ = $(BUILD)/obj/unit
FUZZ_OBJ = $(BUILD)/obj/fuzz

# A program's code sees the layers and its own folder, never another
# program's; tests see what they test.
FOLDER_INCLUDES = $(if $(filter shipper,$(1)),-Ishipper -Ishipper/snapshot)$(if $(filter sink,$(1)),-Isink)$(if \
	$(filter consumer,$(1)),-Iconsumer)$(if $(filter test,$(1)),-Ishipper -Ishipper/snapshot -Isink -Iconsumer -Iplugin)$(if \
	$(filter plugin,$(1)),-Iplugin)
top_folder = $(word 2,$(subst /, ,$(patsubst $(BUILD)/obj/%,%,$(1))))

$(APP_OBJ)/%.o: %.cpp | $(WIRE_HEADER)
	@mkdir -p $(dir $@)
	$(CXX) $(APP_CXXFLAGS) $(BASE_INCLUDES) $(call FOLDER_INCLUDES,$(call top_folder,$@)) -MMD -MP -c -o $@ $<
$(UNIT_OBJ)/%.o: %.cpp | $(WIRE_HEADER)
	@mkdir -p $(dir $@)
	$(CXX) $(UNIT_CXXFLAGS) $(BASE_INCLUDES) $(call FOLDER_INCLUDES,$(call top_folder,$@)) -MMD -MP -c -o $@ $<
$(FUZZ_OBJ)/%.o: %.cpp | $(WIRE_HEADER)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) $(BASE_INCLUDES) $(call FOLDER_INCLUDES,$(call top_folder,$@)) -MMD -MP -c -o $@ $<
-include $(wildcard $(BUILD)/obj/*/*/*.d $(BUILD)/obj/*/*/*/*.d)

# format/ for the programs: the extension's files and the renderers only the
# programs use (Debezium). The runtime: what the programs share beyond it.
LIBFORMAT_SRCS = $(addprefix format/,$(FORMAT_SRCS) debezium_types debezium_scalars debezium_envelope pgoutput_messages pgoutput_frames text_values)
RUNTIME_SRCS = runtime/log runtime/pg_session runtime/http_endpoint runtime/report runtime/kafka_client runtime/secrets runtime/stop_signal
define flavor_libraries
$(1)/libformat.a: $(addprefix $(1)/,$(addsuffix .o,$(LIBFORMAT_SRCS)))
	@rm -f $$@
	ar rcs $$@ $$^
$(1)/libruntime.a: $(addprefix $(1)/,$(addsuffix .o,$(RUNTIME_SRCS)))
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach flavor,$(APP_OBJ) $(UNIT_OBJ) $(FUZZ_OBJ),$(eval $(call flavor_libraries,$(flavor))))
APP_LIBS = $(APP_OBJ)/libruntime.a $(APP_OBJ)/libformat.a
UNIT_LIBS = $(UNIT_OBJ)/libruntime.a $(UNIT_OBJ)/libformat.a
FUZZ_LIBS = $(FUZZ_OBJ)/libruntime.a $(FUZZ_OBJ)/libformat.a
app_objs = $(addprefix $(APP_OBJ)/,$(addsuffix .o,$(1)))

SHIPPER_SRCS = $(addprefix shipper/,config lsn_tracker main metrics producer heartbeat side_session slot_status \
	replication router debezium_routes shipped_record shipper pgoutput_source published_table) \
	$(addprefix shipper/snapshot/,snapshot_plan initial_snapshot snapshot_readers on_demand chunk_reader chunk_snapshot \
	pgoutput_snapshot extension_on_demand pgoutput_on_demand)
SHIPPER_BIN = $(BUILD)/bin/flatwal-shipper
CONSUME_SRCS = consumer/flatwal_consume
CONSUME_BIN = $(BUILD)/bin/flatwal-consume
SINK_SRCS = $(addprefix sink/,main sink sink_config change_set schema_registry pg_target pg_ledger column_plan clickhouse_target clickhouse_ledger clickhouse_text \
	dead_letters sink_metrics)
SINK_BIN = $(BUILD)/bin/flatwal-sink
BROKER_BIN = $(BUILD)/bin/flatwal-test-broker
PREFIX ?= /usr/local

# The shipper allocates with jemalloc: librdkafka frees every message's headers
# on its own threads, and glibc's malloc spent a quarter of the shipper's CPU
# on that (bench/shipper.sh: 7.8 -> 5.8 ms per 1,000 events, BENCH_PRELOAD).
$(SHIPPER_BIN): $(call app_objs,$(SHIPPER_SRCS)) $(APP_LIBS)
	@mkdir -p $(dir $@)
	$(CXX) -o $@ $^ -lrdkafka -lpq $(HTTPLIB_LIBS) -ljemalloc
$(CONSUME_BIN): $(call app_objs,$(CONSUME_SRCS)) $(APP_LIBS)
	@mkdir -p $(dir $@)
	$(CXX) -o $@ $^ -lrdkafka -lpq
$(SINK_BIN): $(call app_objs,$(SINK_SRCS)) $(APP_LIBS)
	@mkdir -p $(dir $@)
	$(CXX) -o $@ $^ -lrdkafka -lpq -lcurl $(HTTPLIB_LIBS)
$(BROKER_BIN): $(call app_objs,test/broker/flatwal-test-broker)
	@mkdir -p $(dir $@)
	$(CXX) -o $@ $^ -lrdkafka

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
# CMocka units under AddressSanitizer and UndefinedBehaviorSanitizer: each is
# its test file, the objects it tests, and the unit flavor's libraries.
UNIT_TESTS = test_options test_frames test_render_json test_fuzz_frames test_lsn_tracker test_config test_router \
	test_stored_text test_pg_session test_change_set test_metrics test_debezium test_snapshot_plan test_chunk_snapshot \
	test_shipped_record test_pgoutput test_column_plan
UNIT_BINS = $(addprefix $(BUILD)/unit/,$(UNIT_TESTS))
unit_objs = $(addprefix $(UNIT_OBJ)/,$(addsuffix .o,$(1)))
$(BUILD)/unit/test_options: $(call unit_objs,plugin/options)
$(BUILD)/unit/test_stored_text: $(call unit_objs,plugin/stored_text)
$(BUILD)/unit/test_lsn_tracker: $(call unit_objs,shipper/lsn_tracker)
$(BUILD)/unit/test_chunk_snapshot: $(call unit_objs,shipper/snapshot/chunk_snapshot)
$(BUILD)/unit/test_snapshot_plan: $(call unit_objs,shipper/snapshot/snapshot_plan)
$(BUILD)/unit/test_config: $(call unit_objs,shipper/config)
$(BUILD)/unit/test_router $(BUILD)/unit/test_debezium: $(call unit_objs,shipper/router shipper/debezium_routes)
$(BUILD)/unit/test_change_set: $(call unit_objs,sink/change_set)
$(BUILD)/unit/test_column_plan: $(call unit_objs,sink/column_plan)
$(BUILD)/unit/test_metrics: $(call unit_objs,shipper/metrics)
$(BUILD)/unit/test_shipped_record: $(call unit_objs,shipper/shipped_record)
$(UNIT_BINS): $(BUILD)/unit/%: $(UNIT_OBJ)/test/unit/%.o $(UNIT_LIBS)
	@mkdir -p $(dir $@)
	$(CXX) $(UNIT_CXXFLAGS) -o $@ $(filter %.o,$^) $(UNIT_LIBS) -lcmocka -lrdkafka -lpq $(HTTPLIB_LIBS)

# Test programs that need a server, in the unit flavor too; their suites run
# them (test/integration/sink-orders.sh).
SINK_ORDERS_BIN = $(BUILD)/test/sink_orders
$(SINK_ORDERS_BIN): $(UNIT_OBJ)/test/integration/sink_orders.o \
	$(call unit_objs,sink/change_set sink/pg_target sink/pg_ledger sink/clickhouse_target sink/clickhouse_ledger sink/clickhouse_text sink/column_plan \
	sink/schema_registry) $(UNIT_LIBS)
	@mkdir -p $(dir $@)
	$(CXX) $(UNIT_CXXFLAGS) -o $@ $(filter %.o,$^) $(UNIT_LIBS) -lrdkafka -lpq -lcurl

# ---------------------------------------------------------------- fuzzing
# libFuzzer targets for everything that reads untrusted bytes, under
# AddressSanitizer and UndefinedBehaviorSanitizer; `make fuzz` runs each for
# FUZZ_SECONDS (test/fuzz/run.sh).
FUZZ_BINS = $(addprefix $(BUILD)/fuzz/fuzz_,frames plugin_options shipper_config pgoutput)
fuzz_objs = $(addprefix $(FUZZ_OBJ)/,$(addsuffix .o,$(1)))
$(BUILD)/fuzz/fuzz_frames: $(call fuzz_objs,shipper/router shipper/debezium_routes sink/change_set)
$(BUILD)/fuzz/fuzz_plugin_options: $(call fuzz_objs,plugin/options)
$(BUILD)/fuzz/fuzz_shipper_config: $(call fuzz_objs,shipper/config)
$(FUZZ_BINS): $(BUILD)/fuzz/%: $(FUZZ_OBJ)/test/fuzz/%.o $(FUZZ_LIBS)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -o $@ $(filter %.o,$^) $(FUZZ_LIBS) -lrdkafka -lpq

fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	test/fuzz/run.sh

unit-build: $(UNIT_BINS) $(SINK_ORDERS_BIN)
unit: unit-build
	@set -e; for t in $(UNIT_BINS); do $$t; done

test-suites: all $(PY_WIRE)
	test/run-suites.sh

test: unit fuzz test-suites

.PHONY: unit unit-build fuzz fuzz-build test test-suites install-shipper
