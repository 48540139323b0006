#!/usr/bin/env bash
# Runs every test: installs dependencies, builds, installs the extension,
# then the pg_regress suite, the differential check against contrib's
# test_decoding and the server suites (on a throwaway PostgreSQL on
# 127.0.0.1) with the CMocka unit tests, the fuzzers and the container images
# beside them, then the demo. Fails when any part fails (the demo runs only
# when the rest passed); prints each part's seconds at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
source test/lib/timing.sh
# The parts beside the suites overlap them: the wall clock is less than the total.
trap 'timing_table "test run"; echo "wall clock: $SECONDS s"; rm -f "$timing_file"' EXIT

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
timed "dependencies (apt-get, when missing)" scripts/install-deps.sh
timed "build: extension, programs" make -s -j"$(nproc)" all
timed "install" $sudo make -s install
# The unit tests, the fuzzers and the container images run beside the server
# suites, at the lowest CPU priority: the suites mostly wait on their
# servers, and these parts, which only use the CPU, take the time the suites
# leave (the unit flavor's build alone was 120 s of the build before the
# suites). Their output goes to a log printed after the suites; their
# seconds are in the table like every part's. The sink-orders suite needs a
# program of the unit flavor: it takes the unit build's lock, so it waits
# for that build rather than compile the same objects beside it.
beside_log=$(mktemp /tmp/flatwal-beside.XXXXXX)
beside() {
	# The images, built and run with podman (root: rootful containers on the
	# host network), apart from the rest: a machine without their layer store
	# builds them for minutes, and neither part waits for the other.
	local images_log status=0
	images_log=$(mktemp /tmp/flatwal-images-log.XXXXXX)
	timed "container images beside the suites" $sudo test/containers/images.sh >"$images_log" 2>&1 &
	local images_pid=$!
	timed "unit tests beside the suites (CMocka, ASan/UBSan; build and run)" \
		flock build/unit-build.lock make -s -j"$(nproc)" unit &&
	# 20 s a target: each run replays the whole corpus and every regression
	# input first; longer random runs (FUZZ_SECONDS=600 make fuzz) are for by hand.
	timed "fuzzers beside the suites (libFuzzer build, corpus + regressions replayed)" \
		sh -c 'make -s -j"$(nproc)" fuzz-build && FUZZ_SECONDS="${FUZZ_SECONDS:-20}" test/fuzz/run.sh' || status=1
	wait "$images_pid" || status=1
	cat "$images_log"
	rm -f "$images_log"
	return "$status"
}
mkdir -p build
nice -n 19 bash -c "$(declare -f timed beside); timing_file=$timing_file sudo='$sudo' beside" >"$beside_log" 2>&1 &
beside_pid=$!
suites_status=0
timed "server suites (table above)" make -s test-suites || suites_status=$?
echo "== unit tests, fuzzers and container images (run beside the suites)"
beside_status=0
wait "$beside_pid" || beside_status=$?
cat "$beside_log"
rm -f "$beside_log"
[ "$suites_status" = 0 ] && [ "$beside_status" = 0 ] || exit 1
timed "demo" test/demo-check.sh
