#!/usr/bin/env bash
# Table sets: a busy database split across two slots, one shipper each
# (--table-set); each topic prefix gets exactly its own tables' rows, from the
# initial snapshot and from the stream.
#
#   table-sets.sh PORT      (a cluster started by run-suites.sh)
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
port=$1
db=flatwal_table_sets
work=$(mktemp -d /tmp/flatwal-table-sets.XXXXXX)
second_pid=""
trap '[ -n "$second_pid" ] && kill -KILL "$second_pid" 2>/dev/null; stop_started; rm -rf "$work"' EXIT

fresh_database "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE first_t (id int PRIMARY KEY);
CREATE TABLE second_t (id int PRIMARY KEY);
INSERT INTO first_t SELECT generate_series(1, 10);
INSERT INTO second_t SELECT generate_series(1, 20);
SELECT flatwal.add_table('first_t'), flatwal.add_table('second_t');
SELECT flatwal.set_table_set('second_t', 'second');
SQL
start_test_broker
start_shipper "$work/first.log" --slot set_first --topic-prefix first -s 200
first_pid=$shipper_pid
start_shipper "$work/second.log" --slot set_second --topic-prefix second --table-set second -s 200
second_pid=$shipper_pid
shipper_pid=$first_pid
for log in first second; do
	wait_streaming "$work/$log.log"
done
sql -c "INSERT INTO first_t SELECT generate_series(11, 15)" -c "INSERT INTO second_t SELECT generate_series(21, 30)" >/dev/null
wait_confirmed set_first && wait_confirmed set_second

count() {  # TOPIC: change messages on it (snapshot reads and inserts)
	timeout 30 kcat -b "$bootstrap" -C -t "$1" -o beginning -e -q -f '%h\n' 2>/dev/null | grep -cE 'flatwal.op=(read|insert)'
}
got="$(count first.public.first_t) $(count first.public.second_t) $(count second.public.second_t) $(count second.public.first_t)"
if [ "$got" = "15 0 30 0" ]; then
	ok "two slots, two shippers: each topic prefix carries only its own table set (15, 0, 30, 0 changes)"
else
	failed "changes per topic (first.first_t first.second_t second.second_t second.first_t): $got, wanted 15 0 30 0"
	tail -3 "$work/first.log" "$work/second.log"
fi
kill -TERM "$first_pid" "$second_pid"; wait "$first_pid" "$second_pid"; shipper_pid="" second_pid=""
drop_database "$db"
finish_suite "table sets"
