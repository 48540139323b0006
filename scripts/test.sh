#!/usr/bin/env bash
# Runs every test: installs dependencies, builds, installs the extension,
# then the CMocka unit tests, the pg_regress suite, the differential check
# against contrib's test_decoding and the server suites (on a throwaway
# PostgreSQL on 127.0.0.1) with the fuzzers and the container images beside
# them, then the demo. Stops at the first part that fails; prints each part's
# seconds at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
source test/lib/timing.sh
# The parts beside the suites overlap them: the wall clock is less than the total.
trap 'timing_table "test run"; echo "wall clock: $SECONDS s"; rm -f "$timing_file"' EXIT

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
timed "dependencies (apt-get, when missing)" scripts/install-deps.sh
timed "build: extension, programs, unit tests" make -s -j"$(nproc)" all unit-build
timed "install" $sudo make -s install
timed "unit tests (CMocka, ASan/UBSan)" make -s unit
# The fuzzers and the container images run beside the server suites, at the
# lowest CPU priority: the suites mostly wait on their servers, and these two
# parts, which only use the CPU, take the time the suites leave (together
# about 400 s of a run otherwise). Their output goes to a log printed after
# the suites; their seconds are in the table like every part's.
beside_log=$(mktemp /tmp/flatwal-beside.XXXXXX)
beside() {
	# 20 s a target: each run replays the whole corpus and every regression
	# input first; longer random runs (FUZZ_SECONDS=600 make fuzz) are for by hand.
	timed "fuzzers beside the suites (libFuzzer build, corpus + regressions replayed)" \
		sh -c 'make -s -j"$(nproc)" fuzz-build && FUZZ_SECONDS="${FUZZ_SECONDS:-20}" test/fuzz/run.sh' &&
		# The images, built and run with podman (root: rootful containers on the host network).
		timed "container images beside the suites" $sudo test/containers/images.sh
}
nice -n 19 bash -c "$(declare -f timed beside); timing_file=$timing_file sudo='$sudo' beside" >"$beside_log" 2>&1 &
beside_pid=$!
suites_status=0
timed "server suites (table above)" make -s test-suites || suites_status=$?
echo "== fuzzers and container images (run beside the suites)"
beside_status=0
wait "$beside_pid" || beside_status=$?
cat "$beside_log"
rm -f "$beside_log"
[ "$suites_status" = 0 ] && [ "$beside_status" = 0 ] || exit 1
timed "demo" test/demo-check.sh
