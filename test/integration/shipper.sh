#!/usr/bin/env bash
# Integration and fault tests of flatwal-shipper against a real PostgreSQL
# (the cluster run-suites.sh started, on 127.0.0.1:$1) and the test broker.
#
#   shipper.sh PORT
#
# 1. plain: a workload over three tables (one with a two-column key), then a
#    clean SIGTERM; the independent checker compares Kafka with the source.
# 2. faults: a steady write load while the shipper is SIGKILLed three times,
#    the broker is down for three seconds, and PostgreSQL restarts with
#    -m immediate; then the same checks, and duplicates only after the last
#    confirmed position.
# Prints "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/itest.sh
port=$1
pgdata=$(sql -c "SHOW data_directory")
db=flatwal_shipper_it
work=$(mktemp -d /tmp/flatwal-shipper-test.XXXXXX)
trap 'stop_started; rm -rf "$work"' EXIT

run_shipper() {  # extra arguments go to the shipper
	start_shipper "$work/shipper.log" --slot it_slot --topic-prefix it -s 200 --metrics-file "$work/metrics.prom" "$@"
}

wait_caught_up() {
	wait_confirmed it_slot || { tail -20 "$work/shipper.log"; return 1; }
}

stop_shipper_cleanly() {
	kill -TERM "$shipper_pid"
	local status=0
	wait "$shipper_pid" || status=$?
	shipper_pid=""
	if [ "$status" != 0 ] || ! tail -1 "$work/shipper.log" | grep -q 'msg=stopped reason=signal'; then
		echo "shipper did not stop cleanly (exit $status)"
		tail -5 "$work/shipper.log"
		return 1
	fi
}

check() {
	local name=$1
	shift
	if /usr/bin/python3 test/integration/kafka_check.py --bootstrap "$bootstrap" --prefix it --pg-port "$port" \
		--dbname "$db" --oracle-slot it_oracle \
		--tables 'public.accounts(id),public.lines(region+n),public.events(id)' "$@"; then
		ok "$name"
	else
		failed "$name"
	fi
}

setup_database() {
	fresh_database "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(12,2), active boolean);
CREATE TABLE lines (region text, n int, qty int, note text, PRIMARY KEY (region, n));
CREATE TABLE events (id int PRIMARY KEY, payload text);
SELECT flatwal.add_table(t) FROM unnest('{accounts,lines,events}'::regclass[]) t;
SELECT 'oracle' FROM pg_create_logical_replication_slot('it_oracle', 'test_decoding');
SQL
}

# One transaction of mixed work; $1 makes it different each time.
txn() {
	local i=$1
	echo "BEGIN;
INSERT INTO accounts VALUES ($i, 'owner $i', $i * 1.25, $i % 2 = 0) ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + 1;
UPDATE accounts SET balance = balance - 0.5, owner = owner || '+' WHERE id = $((i / 2));
INSERT INTO lines VALUES ('r$((i % 4))', $i, $i, NULL), ('r$((i % 3))', $((i + 100000)), 1, 'n $i') ON CONFLICT DO NOTHING;
UPDATE lines SET qty = qty + 1, note = 'u $i' WHERE n = $((i - 1));
DELETE FROM accounts WHERE id = $((i - 7));
DELETE FROM lines WHERE n = $((i - 5));
INSERT INTO events VALUES ($i, 'e $i');
COMMIT;"
}

# ------------------------------------------------------------------ 1. plain
# A librdkafka queue of 20 messages: the shipper must wait for room (back
# pressure) and stop reading WAL meanwhile, never drop.
setup_database
start_test_broker
run_shipper -X queue.buffering.max.messages=20
# The workload starts once the slot exists: changes before its consistent
# point are not the stream's (the oracle slot would count them).
wait_streaming "$work/shipper.log"
{
	for i in $(seq 1 150); do txn "$i"; done
	echo "TRUNCATE events;"
	for i in $(seq 151 200); do txn "$i"; done
} | sql >/dev/null
wait_caught_up
sleep 0.5  # one more status interval, so the metrics file shows the caught-up state
metric() { sed -n "s/^$1 //p" "$work/metrics.prom"; }
if [ "$(metric flatwal_shipper_messages_total)" -gt 1000 ] && [ "$(metric flatwal_shipper_slot_lag_bytes)" = 0 ] &&
	[ "$(metric flatwal_shipper_queue_full_waits_total)" -gt 0 ] &&
	[ "$(metric flatwal_shipper_in_flight_messages)" = 0 ] && [ "$(metric flatwal_shipper_replication_connected)" = 1 ] &&
	grep -q '^# TYPE flatwal_shipper_bytes_total counter' "$work/metrics.prom"; then
	ok "metrics file: $(metric flatwal_shipper_messages_total) messages, lag 0, connected, $(metric flatwal_shipper_queue_full_waits_total) waits for a full Kafka queue"
else
	failed "metrics file:"; cat "$work/metrics.prom"
fi
stop_shipper_cleanly
check "plain workload with back pressure: everything arrived, in order, table state rebuilt"

# ------------------------------------------------------------------ 2. faults
run_shipper
run_load 201 700 txn &
load_pid=$!
min_confirmed=$(confirmed_lsn it_slot)
lowest() { sql -c "SELECT least('$1'::pg_lsn, '$2'::pg_lsn)"; }
# Duplicates may follow only what the slot had confirmed when a fault struck:
# read half a second after a kill (the walsender has seen the connection
# go), and after PostgreSQL's crash, the shipper held until then (the slot
# resumes where it was last saved, behind what it had confirmed). One read
# each: a second one could see a later position.
note_confirmed() {
	local now
	now=$(confirmed_lsn it_slot)
	echo "slot confirmed at $now"
	min_confirmed=$(lowest "$min_confirmed" "$now")
}
after_kill() {
	sleep 0.5
	note_confirmed
}
fault_rounds run_shipper after_kill note_confirmed
wait "$load_pid"
wait_caught_up
stop_shipper_cleanly
grep -c 'PostgreSQL unavailable, retrying' "$work/shipper.log" | sed 's/^/shipper reconnects logged: /'
check "faults: kills, broker outage, PostgreSQL crash: nothing lost, duplicates only after confirmed positions" \
	--min-duplicate-lsn "$min_confirmed"

drop_database "$db"
finish_suite "shipper integration"
