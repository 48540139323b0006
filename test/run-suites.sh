#!/usr/bin/env bash
# Runs the suites that need a PostgreSQL server, in two lanes at once, each
# against a throwaway cluster of its own on 127.0.0.1 (suites restart their
# lane's cluster, so no lane's suite may meet another lane's): the first
# lane runs the pg_regress suite, the differential check, and the shipper's
# and the sink's integration and fault tests (shipper.sh restarts the
# cluster, so it runs last); the second, the suites with servers of their
# own, the snapshot and pgoutput suites and sink-orders. The suites mostly
# wait on their servers, so two lanes take little more than the longer one.
# Expects the extension to be built and installed (scripts/test.sh does both).
set -euo pipefail
cd "$(dirname "$0")/.."
source test/lib/cluster.sh
source test/lib/timing.sh

work=$(mktemp -d /tmp/flatwal-test.XXXXXX)
chmod 755 "$work"  # the server runs as postgres when we are root
port=$(test/lib/free-port.sh)
trap 'cluster_stop "$work/pg"; rm -rf "$work"; timing_table "server suites"; rm -f "$timing_file"' EXIT
cluster_start "$work/pg" "$port" "logical_decoding_work_mem = '64kB'"

echo "== pg_regress (PostgreSQL on 127.0.0.1:$port)"
rm -rf build/regress && mkdir -p build/regress
ln -s ../../test/regress build/regress/sql
ln -s ../../test/expected build/regress/expected
status=0
regress() {
	"$(dirname "$(pg_config --pgxs)")/../test/regress/pg_regress" \
		--host=127.0.0.1 --port="$port" --user=postgres --dbname=flatwal_regress \
		--inputdir=build/regress --outputdir=build/regress --schedule=test/schedule |
		tee build/regress/summary.txt
}
timed "pg_regress" regress || status=$?
if [ "$status" != 0 ] && [ -f build/regress/regression.diffs ]; then
	head -200 build/regress/regression.diffs
fi
passed=$(grep -c '\.\.\. ok' build/regress/summary.txt || true)
failed=$(grep -c '\.\.\. FAILED' build/regress/summary.txt || true)

run_logged() {  # LOG COMMAND...: runs COMMAND, its output to the terminal and LOG
	local log=$1
	shift
	"$@" 2>&1 | tee "$log"
}

# suite NAME COMMAND...: runs one suite and adds up the "N passed, M failed"
# line it prints last; a suite that fails without saying so counts as one failure.
suite() {
	local name=$1 log counts suite_passed suite_failed suite_status=0
	shift
	echo "== $name"
	log=$(mktemp /tmp/flatwal-suite.XXXXXX)
	timed "$name" run_logged "$log" "$@" || suite_status=$?
	counts=$(grep -oE '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)
	rm -f "$log"
	suite_passed=$(echo "$counts" | sed -nE 's/^([0-9]+) passed.*/\1/p')
	suite_failed=$(echo "$counts" | sed -nE 's/.* ([0-9]+) failed$/\1/p')
	if [ -z "$counts" ] || { [ "$suite_status" != 0 ] && [ "$suite_failed" = 0 ]; }; then
		echo "$name: exit $suite_status without a failure count; counted as one failure"
		suite_passed=${suite_passed:-0} suite_failed=$((${suite_failed:-0} + 1))
	fi
	passed=$((passed + suite_passed))
	failed=$((failed + suite_failed))
	[ "$suite_failed" = 0 ] || status=1
}
suite "operator files: alert rules and dashboard name the metrics the shipper and the sink write" \
	/usr/bin/python3 test/ops/check_ops_files.py
suite "layout: the README's folders and the include graph (programs are peers on the layers)" \
	/usr/bin/python3 test/ops/check_layout.py
suite "the Kafka contract written once (format/kafka_contract.h), the SQL's prefix equal to it" \
	/usr/bin/python3 test/ops/check_contract.py
suite "differential check against contrib's test_decoding" \
	/usr/bin/python3 test/differential/check.py --host 127.0.0.1 --port "$port"
# The second lane: its output is printed after the first lane's; its counts
# and seconds join the others'.
lane_log=$(mktemp /tmp/flatwal-lane.XXXXXX)
(
	passed=0 failed=0 status=0
	lane_port=$(test/lib/free-port.sh)
	trap 'cluster_stop "$work/lane"' EXIT
	cluster_start "$work/lane" "$lane_port" "logical_decoding_work_mem = '64kB'"
	suite "misconfigured servers (their own clusters)" test/integration/setup-errors.sh
	suite "TLS to PostgreSQL with verify-full (its own cluster)" test/integration/tls.sh
	suite "on-demand snapshots beside transactions a synchronous standby keeps invisible (its own cluster)" \
		test/integration/on-demand-visibility.sh
	suite "failover and lost slots: an invalidated slot, killed mid-resync, standbys promoted with and without ghosts, the target's standby promoted (its own servers)" test/integration/failover.sh
	suite "snapshots: initial under load, killed mid-snapshot, on demand" test/integration/snapshot.sh "$lane_port"
	suite "pgoutput source: the same events as the plugin; a managed-like server as a non-superuser (its own cluster)" \
		test/integration/pgoutput.sh "$lane_port"
	suite "flatwal-sink: key moves and TOAST in random orders a consumer may read partitions in (PostgreSQL and a throwaway ClickHouse)" \
		test/integration/sink-orders.sh "$lane_port"
	echo "lane counts: $passed $failed $status"
) >"$lane_log" 2>&1 &
lane_pid=$!
suite "crafted frames: to_json and flatwal-consume refuse them" test/integration/crafted-frames.sh "$port"
suite "a 100 MB row: walsender memory beside test_decoding's" test/integration/large-row.sh "$port"
suite "flatwal-shipper errors and refusals" test/integration/shipper-errors.sh "$port"
suite "slot safety: quiet captured tables pin no WAL; heartbeats" test/integration/slot-safety.sh "$port"
suite "HTTP /metrics and /health of the shipper and the sink" test/integration/http.sh "$port"
suite "table sets: two slots, two shippers, disjoint tables" test/integration/table-sets.sh "$port"
suite "least privilege: the shipper as a non-superuser role" test/integration/least-privilege.sh "$port"
suite "Debezium format: golden events for every type and option" test/integration/debezium.sh "$port"
suite "flatwal-sink: PostgreSQL target end to end, under faults (its own target cluster)" \
	test/integration/sink.sh "$port"
suite "flatwal-sink: ClickHouse target end to end, under faults (a throwaway ClickHouse)" \
	test/integration/sink-clickhouse.sh "$port"
suite "flatwal-sink on targets of an older sink (PostgreSQL and ClickHouse, migrated in place)" \
	test/integration/sink-upgrade.sh "$port"
suite "randomized end to end: a seeded workload and faults, the sink's target against the source (seed printed)" \
	test/integration/randomized.sh "$port"
# Last: it restarts PostgreSQL.
suite "flatwal-shipper integration and fault tests (test broker on 127.0.0.1)" test/integration/shipper.sh "$port"
echo "== the second lane (run beside the first, on a cluster of its own)"
wait "$lane_pid" || true
grep -v '^lane counts: ' "$lane_log"
read -r lane_passed lane_failed lane_status < <(sed -n 's/^lane counts: //p' "$lane_log") || true
rm -f "$lane_log"
if [ -z "${lane_passed:-}" ]; then
	echo "the second lane ended without its counts; counted as one failure"
	lane_passed=0 lane_failed=1 lane_status=1
fi
passed=$((passed + lane_passed))
failed=$((failed + lane_failed))
[ "$lane_status" = 0 ] || status=1
echo "server suites: $passed passed, $failed failed"
[ "$failed" = 0 ] || status=1
exit "$status"
