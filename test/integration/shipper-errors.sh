#!/usr/bin/env bash
# Bad input and refusals, each with a clear message, the documented exit code,
# and no WAL confirmed past anything Kafka did not take.
#
#   shipper-errors.sh PORT      (a cluster started by run-suites.sh)
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
port=$1
db=flatwal_shipper_errors
work=$(mktemp -d /tmp/flatwal-shipper-errors.XXXXXX)
trap 'stop_started; rm -rf "$work"' EXIT
conn=$(conninfo)

# expect NAME EXIT_CODE TEXT -- shipper arguments...: runs the shipper (bounded) and checks both.
expect() {
	local name=$1 code=$2 text=$3
	shift 4
	local status=0
	timeout 60 build/bin/flatwal-shipper "$@" >"$work/out.log" 2>&1 || status=$?
	if [ "$status" = "$code" ] && grep -qF -- "$text" "$work/out.log"; then
		ok "$name (exit $status)"
	else
		failed "$name: exit $status (wanted $code), output:"
		sed 's/^/    /' "$work/out.log" | tail -5
	fi
}

fresh_database "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE t (id int PRIMARY KEY, v text);
SELECT flatwal.add_table('t');
SELECT 'x' FROM pg_create_logical_replication_slot('other_plugin', 'test_decoding');
SQL
start_test_broker

expect "no settings" 1 "no source database given" --
expect "weakened acks refused" 1 "Kafka setting acks = 0 is not allowed" -- -d "$conn" -b "$bootstrap" -X acks=0
expect "password on the command line refused" 1 "secret setting sasl.password given on the command line" -- -d "$conn" -b "$bootstrap" -X sasl.password=x
expect "password in the command-line conninfo refused" 1 "password given in the command-line conninfo (-d)" -- \
	-d "$conn password=x" -b "$bootstrap"
expect "missing slot with --no-create-slot" 3 "does not exist; create it with SELECT pg_create_logical_replication_slot('nope', 'flatwal')" -- \
	-d "$conn" -b "$bootstrap" --slot nope --no-create-slot
expect "slot of another plugin" 3 "not a flatwal slot" -- -d "$conn" -b "$bootstrap" --slot other_plugin
# An unreachable database is retried with backoff until a signal stops the shipper.
build/bin/flatwal-shipper -d "host=127.0.0.1 port=1 user=postgres dbname=$db" -b "$bootstrap" \
	--shutdown-timeout 100 >"$work/nodb.log" 2>&1 &
pid=$!
sleep 2
kill -TERM "$pid"
wait "$pid"
status=$?
if [ "$status" = 0 ] && [ "$(grep -c 'PostgreSQL unavailable, retrying' "$work/nodb.log")" -ge 2 ] &&
	grep -q 'msg=stopped reason=signal' "$work/nodb.log"; then
	ok "unreachable database: retried with backoff, stopped cleanly on SIGTERM"
else
	failed "unreachable database: exit $status"
	tail -3 "$work/nodb.log" | sed 's/^/    /'
fi

# An unreachable broker: changes are held, nothing is confirmed, a clean stop says so.
sql -c "SELECT 'x' FROM pg_create_logical_replication_slot('unreachable', 'flatwal')" >/dev/null
before=$(confirmed_lsn unreachable)
sql -c "INSERT INTO t VALUES (1, 'held back')"
build/bin/flatwal-shipper -d "$conn" -b 127.0.0.1:1 --slot unreachable -s 100 --shutdown-timeout 500 >"$work/unreach.log" 2>&1 &
pid=$!
sleep 3
kill -TERM "$pid"
wait "$pid"
status=$?
after=$(confirmed_lsn unreachable)
if [ "$status" = 0 ] && [ "$before" = "$after" ] && grep -q 'Kafka is not reachable' "$work/unreach.log" &&
	grep -q 'msg=stopped.*unacknowledged=[1-9]' "$work/unreach.log"; then
	ok "unreachable broker: retried, nothing confirmed ($after), unacknowledged messages reported"
else
	failed "unreachable broker: exit $status, confirmed $before -> $after"
	tail -3 "$work/unreach.log" | sed 's/^/    /'
fi
# librdkafka's own lines come through the shipper's logger, not raw to stderr.
if grep -q 'source=librdkafka' "$work/unreach.log" && ! grep -qv '^ts=' "$work/unreach.log"; then
	ok "librdkafka's log lines are structured like the shipper's"
else
	failed "librdkafka's log lines are not all structured:"
	grep -v '^ts=' "$work/unreach.log" | head -3 | sed 's/^/    /'
fi

# A second signal while the first one's flush waits for an unreachable broker: out at once.
build/bin/flatwal-shipper -d "$conn" -b 127.0.0.1:1 --slot unreachable -s 100 --shutdown-timeout 60000 >"$work/twice.log" 2>&1 &
pid=$!
sleep 2
kill -TERM "$pid"; sleep 0.5; kill -TERM "$pid"
wait "$pid"
status=$?
if [ "$status" = 1 ] && grep -q 'second signal, exiting without flushing' "$work/twice.log" &&
	[ "$(confirmed_lsn unreachable)" = "$before" ]; then
	ok "a second signal exits at once (exit 1), still nothing confirmed"
else
	failed "second signal: exit $status"; tail -3 "$work/twice.log" | sed 's/^/    /'
fi

# A message Kafka refuses (too large): exit 2, the topic named, nothing confirmed past it.
sql -c "SELECT 'x' FROM pg_create_logical_replication_slot('too_large', 'flatwal')" >/dev/null
sql -c "INSERT INTO t VALUES (2, 'small')"
small_done=$(sql -c "SELECT pg_current_wal_lsn()")
sql -c "INSERT INTO t VALUES (3, repeat('x', 5000))"
expect "message too large for Kafka" 2 "Kafka refused a message for topic $db.public.t" -- \
	-d "$conn" -b "$bootstrap" --slot too_large -X message.max.bytes=1000 -s 100
if [ "$(sql -c "SELECT confirmed_flush_lsn <= '$small_done' FROM pg_replication_slots WHERE slot_name = 'too_large'")" = t ]; then
	ok "nothing confirmed past the refused message ($(confirmed_lsn too_large) <= $small_done)"
else
	failed "confirmed $(confirmed_lsn too_large) past the refused message at $small_done"

fi

# A slot PostgreSQL invalidated because it kept too much WAL.
sql -c "SELECT 'x' FROM pg_create_logical_replication_slot('lost_slot', 'flatwal')" >/dev/null
sql -c "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'" -c "SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 1 20); do
	sql -c "INSERT INTO t SELECT g, 'fill' FROM generate_series(1000, 1100) g ON CONFLICT DO NOTHING" \
		-c "SELECT pg_switch_wal()" -c "CHECKPOINT" >/dev/null
	[ "$(sql -c "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'lost_slot'")" = lost ] && break
done
sql -c "ALTER SYSTEM RESET max_slot_wal_keep_size" -c "SELECT pg_reload_conf()" >/dev/null
# Without resync (the default takes a new slot and snapshot: failover.sh), a lost slot is an error that says what to do.
expect "invalidated slot, --no-resync" 3 "was invalidated (wal_status = lost)" -- -d "$conn" -b "$bootstrap" --slot lost_slot --no-resync
expect "an initial_only snapshot records its slot" 0 "snapshot complete" -- \
	-d "$conn" -b "$bootstrap" --slot recorded_slot --snapshot initial_only
sql -c "SELECT pg_drop_replication_slot('recorded_slot')" >/dev/null
expect "a slot the database records but PostgreSQL does not have, --no-resync" 3 "does not exist, but this database records its creation" -- \
	-d "$conn" -b "$bootstrap" --slot recorded_slot --no-resync

drop_database "$db"
finish_suite "shipper errors"
