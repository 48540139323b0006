#!/usr/bin/env bash
# Runs the suites that need a PostgreSQL server against one throwaway
# cluster on 127.0.0.1: the pg_regress suite, the differential check, and
# the shipper's integration and fault tests (which restart the cluster, so
# they run last).
# Expects the extension to be built and installed (scripts/test.sh does both).
set -euo pipefail
cd "$(dirname "$0")/.."
source test/lib/cluster.sh

work=$(mktemp -d /tmp/flatwal-test.XXXXXX)
chmod 755 "$work"  # the server runs as postgres when we are root
port=$(test/lib/free-port.sh)
trap 'cluster_stop "$work/pg"; rm -rf "$work"' EXIT
cluster_start "$work/pg" "$port" "logical_decoding_work_mem = '64kB'"

echo "== pg_regress (PostgreSQL on 127.0.0.1:$port)"
rm -rf build/regress && mkdir -p build/regress
ln -s ../../test/regress build/regress/sql
ln -s ../../test/expected build/regress/expected
status=0
"$(dirname "$(pg_config --pgxs)")/../test/regress/pg_regress" \
	--host=127.0.0.1 --port="$port" --user=postgres --dbname=flatwal_regress \
	--inputdir=build/regress --outputdir=build/regress --schedule=test/schedule |
	tee build/regress/summary.txt || status=$?
if [ "$status" != 0 ] && [ -f build/regress/regression.diffs ]; then
	head -200 build/regress/regression.diffs
fi
passed=$(grep -c '\.\.\. ok' build/regress/summary.txt || true)
failed=$(grep -c '\.\.\. FAILED' build/regress/summary.txt || true)

# suite NAME CHECKS COMMAND...: runs one suite; CHECKS is how many checks it makes.
suite() {
	local name=$1 checks=$2
	shift 2
	echo "== $name"
	if "$@"; then
		passed=$((passed + checks))
	else
		failed=$((failed + 1))
		status=1
	fi
}
suite "differential check against contrib's test_decoding" 1 \
	/usr/bin/python3 test/differential/check.py --host 127.0.0.1 --port "$port"
suite "misconfigured servers (their own clusters)" 5 test/integration/setup-errors.sh
suite "flatwal-shipper errors and refusals" 11 test/integration/shipper-errors.sh "$port"
suite "snapshots: initial under load, killed mid-snapshot, on demand" 3 test/integration/snapshot.sh "$port"
# Last: it restarts PostgreSQL.
suite "flatwal-shipper integration and fault tests (test broker on 127.0.0.1)" 3 test/integration/shipper.sh "$port"
echo "server suites: $passed passed, $failed failed"
[ "$failed" = 0 ] || status=1
exit "$status"
