#!/usr/bin/env bash
# Runs every test: installs dependencies, builds, installs the extension,
# then the CMocka unit tests, the pg_regress suite and the differential
# check against contrib's test_decoding (on a throwaway PostgreSQL on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
make -s
$sudo make -s install
make -s test
test/demo-check.sh
