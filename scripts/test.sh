#!/usr/bin/env bash
# Runs every test: installs dependencies, builds, installs the extension,
# then the CMocka unit tests, the fuzzers, the pg_regress suite, the
# differential check against contrib's test_decoding and the server suites
# (on a throwaway PostgreSQL on 127.0.0.1), the demo, and the container images.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
make -s
$sudo make -s install
make -s test
test/demo-check.sh
# The images, built and run with podman (root: rootful containers on the host network).
$sudo test/containers/images.sh
