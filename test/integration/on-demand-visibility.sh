#!/usr/bin/env bash
# On-demand snapshots beside transactions that are committed in the WAL (and
# streamed) but not yet visible to other sessions — what a synchronous standby
# that does not answer makes of every commit that waits for it. On its own
# cluster, whose synchronous_standby_names names a standby that never
# connects: a transaction with synchronous_commit = on stays invisible after
# its commit was streamed, until its wait is cancelled; everything else
# commits with synchronous_commit = local.
#   1. Committed before the request: flatwal.request_snapshot() commits with
#      remote_apply, so the request becomes visible (and the shipper starts
#      reading) only once the standby took everything before it. (Committed
#      locally, the request let the shipper read rows as they were before the
#      stalled transaction and send them after the stream carried the newer
#      ones: this test failed so.)
#   2. Committed after the request, while chunks are read: a chunk read while
#      it is invisible leaves its keys out.
# Then the state rebuilt from Kafka must equal the source (kafka_check.py).
#
#   on-demand-visibility.sh     (starts its own cluster)
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/itest.sh
db=flatwal_visibility
work=$(mktemp -d /tmp/flatwal-visibility.XXXXXX)
chmod 755 "$work"  # the server runs as postgres when we are root
port=$(test/lib/free-port.sh)
stalled_pids=()
trap '[ ${#stalled_pids[@]} = 0 ] || kill -KILL "${stalled_pids[@]}" 2>/dev/null; stop_started; cluster_stop "$work/pg"; rm -rf "$work"' EXIT
if ! cluster_start "$work/pg" "$port" "synchronous_standby_names = 'flatwal_absent_standby'" "synchronous_commit = local"; then
	failed "start a cluster"; finish_suite "on-demand visibility"; exit 1
fi

fresh_database "$db" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE before_request (id int PRIMARY KEY, v text);
INSERT INTO before_request SELECT g, 'before ' || g FROM generate_series(1, 20000) g;
CREATE TABLE during_read (id int PRIMARY KEY, v text);
INSERT INTO during_read SELECT g, 'before ' || g FROM generate_series(1, 60000) g;
SELECT flatwal.add_table('before_request'), flatwal.add_table('during_read');
SQL

start_test_broker
start_shipper "$work/shipper.log" --slot vis --topic-prefix vis -s 200
wait_streaming "$work/shipper.log" || failed "the shipper did not start streaming"

# stall SQL: runs SQL in the background, committing with synchronous_commit =
# on unless it sets otherwise; returns once one more backend waits for the
# standby. Its commit is streamed, and stays invisible until release_stalled.
stall() {
	local waiting
	waiting=$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")
	sql -c "BEGIN; SET LOCAL synchronous_commit = on; $1; COMMIT;" >/dev/null 2>&1 &
	stalled_pids+=($!)
	for _ in $(seq 1 100); do
		[ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")" -gt "$waiting" ] && return 0
		sleep 0.1
	done
	echo "no further transaction waits for the standby"; return 1
}
# release_stalled [PATTERN]: ends the waits for the standby (of the
# transactions whose SQL matches PATTERN); the transactions stay committed.
release_stalled() {
	sql -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND query LIKE '%${1:-}%'" >/dev/null
	[ -n "${1:-}" ] || { wait "${stalled_pids[@]}" 2>/dev/null; stalled_pids=(); }
}

# ------------------------------------------------------------------ 1. committed before the request
stall "UPDATE before_request SET v = 'stalled' WHERE id % 1000 = 7"
wait_confirmed vis  # streamed and in Kafka, still invisible
if [ "$(sql -c "SELECT count(*) FROM before_request WHERE v = 'stalled'")" = 0 ]; then
	ok "a committed and streamed transaction stays invisible while it waits for the standby"
else
	failed "the stalled transaction is visible: the test does not test anything"
fi
# The requester's own setting says local: request_snapshot() must wait all the same.
stall "SET LOCAL synchronous_commit = local; SELECT flatwal.request_snapshot('before_request')"
if wait_for_log "$work/shipper.log" 'msg="on-demand snapshot waits for its request to become visible"' 20 &&
	sleep 1 && ! grep -q 'msg="on-demand snapshot started".*table=public.before_request' "$work/shipper.log"; then
	ok "request_snapshot() waits for the standby; the shipper waits for the request and says so"
else
	failed "the request was read before the transaction streamed before it was visible"
fi
release_stalled
wait_for_log "$work/shipper.log" 'msg="on-demand snapshot done".*table=public.before_request' 60 >/dev/null

# ------------------------------------------------------------------ 2. committed while chunks are read
# The request is released alone: the update, committed after it, stays invisible.
stall "SELECT flatwal.request_snapshot('during_read')"
stall "UPDATE during_read SET v = 'stalled' WHERE id % 100 = 3"
release_stalled request_snapshot
wait_for_log "$work/shipper.log" 'msg="on-demand snapshot done".*table=public.during_read' 120 >/dev/null
grep -F 'on-demand snapshot' "$work/shipper.log" | sed 's/^/   /'
unseen=$(grep 'msg="on-demand snapshot done".*table=public.during_read' "$work/shipper.log" |
	sed -nE 's/.*left_out_changed_unseen=([0-9]+).*/\1/p')
if [ "${unseen:-0}" -gt 0 ]; then
	ok "chunks read while the transaction was invisible left its keys out ($unseen rows)"
else
	failed "no chunk left out the invisible transaction's keys (left_out_changed_unseen=${unseen:-none})"
fi
release_stalled

sql -c "INSERT INTO during_read VALUES (0, 'after')" >/dev/null  # something to confirm after the release
wait_confirmed vis
if /usr/bin/python3 test/integration/kafka_check.py --bootstrap "$bootstrap" --prefix vis --pg-port "$port" \
	--dbname "$db" --tables 'public.before_request(id),public.during_read(id)'; then
	ok "the tables rebuilt from Kafka equal the source"
else
	failed "the tables rebuilt from Kafka differ from the source"
fi
finish_suite "on-demand visibility"
