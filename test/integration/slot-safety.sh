#!/usr/bin/env bash
# The slot does not pin WAL while captured tables are quiet:
#  1. 60 MB written to a table flatwal does not capture: the shipper confirms
#     the server's position from keepalives, so the slot keeps (almost)
#     nothing back once a checkpoint has run.
#  2. --heartbeat-interval: heartbeats written through the slot arrive on
#     PREFIX.flatwal.heartbeat, read back by kcat.
#
#   slot-safety.sh PORT      (a cluster started by run-suites.sh)
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
port=$1
db=flatwal_slot_safety
work=$(mktemp -d /tmp/flatwal-slot-safety.XXXXXX)
trap 'stop_started; rm -rf "$work"' EXIT

fresh_database "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE captured (id int PRIMARY KEY);
CREATE TABLE noise (id int, filler text);
SELECT flatwal.add_table('captured');
SQL
start_test_broker
run_shipper() {  # extra arguments go to the shipper; waits until it streams
	: >"$work/shipper.log"
	start_shipper "$work/shipper.log" --slot safety --topic-prefix safety -s 200 "$@"
	wait_streaming "$work/shipper.log"
}

# 1. WAL from an uncaptured table only, and no heartbeats: keepalives alone move the slot.
run_shipper
sql -c "INSERT INTO noise SELECT g, repeat('x', 500) FROM generate_series(1, 100000) g" >/dev/null
written_to=$(sql -c "SELECT pg_current_wal_lsn()")
sql -c "CHECKPOINT" >/dev/null  # logs running transactions, a point decoding may restart from
retained=""
for _ in $(seq 1 300); do  # at most 30 s
	retained=$(sql -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint
	                     FROM pg_replication_slots WHERE slot_name = 'safety' AND confirmed_flush_lsn >= '$written_to'")
	[ -n "$retained" ] && [ "$retained" -lt 1048576 ] && break
	sleep 0.1
done
if [ -n "$retained" ] && [ "$retained" -lt 1048576 ]; then
	ok "60 MB written to an uncaptured table: the slot confirmed past it and retains $retained bytes of WAL"
else
	failed "the slot still retains ${retained:-all} bytes after 60 MB of uncaptured writes"; tail -3 "$work/shipper.log"
fi

# 2. Heartbeats reach their topic.
kill -TERM "$shipper_pid"; wait "$shipper_pid"; shipper_pid=""
run_shipper --heartbeat-interval 300
sleep 2
beats=$(timeout 30 kcat -b "$bootstrap" -C -t safety.flatwal.heartbeat -o beginning -e -q -f '%h\n' 2>/dev/null |
	grep -c 'flatwal.op=heartbeat')
if [ "${beats:-0}" -ge 3 ]; then
	ok "heartbeats every 300 ms: $beats on safety.flatwal.heartbeat"
else
	failed "heartbeats: ${beats:-0} on safety.flatwal.heartbeat"; tail -3 "$work/shipper.log"
fi
kill -TERM "$shipper_pid"; wait "$shipper_pid"; shipper_pid=""
drop_database "$db"
finish_suite "slot safety"
