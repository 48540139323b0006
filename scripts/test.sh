#!/usr/bin/env bash
# Runs every test: installs dependencies, builds, installs the extension,
# then the CMocka unit tests, the fuzzers, the pg_regress suite, the
# differential check against contrib's test_decoding and the server suites
# (on a throwaway PostgreSQL on 127.0.0.1), the demo, and the container images.
# Stops at the first part that fails; prints each part's seconds at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
source test/lib/timing.sh
trap 'timing_table "test run"; rm -f "$timing_file"' EXIT

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
timed "dependencies (apt-get, when missing)" scripts/install-deps.sh
timed "build: extension, programs, unit tests, fuzzers" make -s -j"$(nproc)" all unit-build fuzz-build
timed "install" $sudo make -s install
timed "unit tests (CMocka, ASan/UBSan)" make -s unit
# 20 s a target: each run replays the whole corpus and every regression input
# first; longer random runs (FUZZ_SECONDS=600 make fuzz) are for by hand.
timed "fuzzers (libFuzzer, corpus + regressions replayed)" env FUZZ_SECONDS="${FUZZ_SECONDS:-20}" test/fuzz/run.sh
timed "server suites (table above)" make -s test-suites
timed "demo" test/demo-check.sh
# The images, built and run with podman (root: rootful containers on the host network).
timed "container images" $sudo test/containers/images.sh
