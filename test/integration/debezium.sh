#!/usr/bin/env bash
# The Debezium format (--format debezium-json) against a real PostgreSQL
# (the cluster run-suites.sh started, on 127.0.0.1:$1) and the test broker.
#
#   debezium.sh PORT          (UPDATE_GOLDEN=1 rewrites the golden files)
#
# 1. golden: the workload of test/debezium/ (every type of the regress types
#    workload and those Debezium maps specially; every kind of event) shipped
#    once per set of options, each value of each option at least once; the
#    topics, masked where runs differ (times, LSNs, transaction ids), must
#    equal test/expected/debezium/<variant>.jsonl exactly.
# 2. reader: a mixed workload (key changes, unchanged TOAST values, deletes,
#    a truncate) after an initial snapshot, while the shipper is SIGKILLed
#    three times, the broker is down for three seconds and PostgreSQL
#    restarts with -m immediate, and an on-demand snapshot runs; then
#    test/debezium/debezium_reader.py, which
#    knows only Debezium's envelope, rebuilds each table by key and (for the
#    REPLICA IDENTITY FULL table) as Flink's debezium-json changelog, and
#    compares them with the source.
# Prints "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/itest.sh
port=$1
pgdata=$(sql -c "SHOW data_directory")
db=flatwal_debezium_it
work=$(mktemp -d /tmp/flatwal-debezium-test.XXXXXX)
trap 'stop_started; rm -rf "$work"' EXIT
golden=test/expected/debezium

# name|shipper options: every option value appears in at least one variant.
variants=(
	"default|"
	"schemas|--debezium schemas.enable=true --debezium provide.transaction.metadata=true
		--debezium skipped.operations=none"
	"double|--debezium decimal.handling.mode=double --debezium time.precision.mode=adaptive_time_microseconds
		--debezium binary.handling.mode=base64-url-safe --debezium interval.handling.mode=string
		--debezium hstore.handling.mode=map --debezium skipped.operations=u,t"
	"string|--debezium decimal.handling.mode=string --debezium time.precision.mode=connect
		--debezium binary.handling.mode=hex --debezium provide.transaction.metadata=true --no-tombstones"
	"isostring|--debezium time.precision.mode=isostring --debezium binary.handling.mode=base64
		--debezium unavailable.value.placeholder=__toast --debezium schemas.enable=true"
)

fresh_database "$db" <test/debezium/types.sql
for v in "${variants[@]}"; do
	sql -c "SELECT 'slot' FROM pg_create_logical_replication_slot('dbz_${v%%|*}', 'flatwal')" >/dev/null
done
sql -f test/debezium/workload.sql >/dev/null
start_test_broker

for v in "${variants[@]}"; do
	name=${v%%|*}
	# One partition per topic: each topic's order is the stream's, wherever
	# unkeyed events (truncates) would land among several.
	for topic in public.typed public.special public.keyless public.full_image message transaction; do
		echo "topic g_$name.$topic 1" >"$work/broker.ctl"
	done
	# shellcheck disable=SC2086 # the options are words
	start_shipper "$work/$name.log" --slot "dbz_$name" --topic-prefix "g_$name" --snapshot never -s 200 \
		--format debezium-json ${v#*|}
	if ! wait_confirmed "dbz_$name" "" 60; then
		tail -5 "$work/$name.log"
		failed "golden $name: the shipper confirmed the workload"
		stop_started
		start_test_broker
		continue
	fi
	kill -TERM "$shipper_pid" && wait "$shipper_pid" || true
	shipper_pid=""
	if ! /usr/bin/python3 test/debezium/dump_topics.py --bootstrap "$bootstrap" --prefix "g_$name" >"$work/$name.jsonl"; then
		failed "golden $name: the topics read back as JSON"
		continue
	fi
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		mkdir -p "$golden"
		cp "$work/$name.jsonl" "$golden/$name.jsonl"
	fi
	if diff -u "$golden/$name.jsonl" "$work/$name.jsonl" >"$work/$name.diff"; then
		ok "golden $name: $(wc -l <"$work/$name.jsonl") events equal $golden/$name.jsonl"
	else
		head -40 "$work/$name.diff"
		failed "golden $name: events differ from $golden/$name.jsonl"
	fi
done

stop_started
drop_database "$db"

# ------------------------------------------------------------------ 2. reader
db=flatwal_debezium_reader
fresh_database "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(12,2), note text);
ALTER TABLE accounts REPLICA IDENTITY FULL;
CREATE TABLE lines (region text, n int, qty int, PRIMARY KEY (region, n));
SELECT flatwal.add_table(t) FROM unnest('{accounts,lines}'::regclass[]) t;
-- Rows the initial snapshot reads; some notes large enough to be stored out of line.
INSERT INTO accounts SELECT i, 'owner ' || i, i * 1.5,
       CASE WHEN i % 10 = 0 THEN (SELECT string_agg(md5((i * 1000 + j)::text), '') FROM generate_series(1, 100) j) END
  FROM generate_series(1, 300) i;
INSERT INTO lines SELECT 'r' || (i % 5), i, i FROM generate_series(1, 200) i;
SQL
start_test_broker
run_reader_shipper() {
	# (the reader applies the truncate: written only when no operation is skipped)
	start_shipper "$work/reader.log" --slot rd_slot --topic-prefix rd -s 200 --format debezium-json \
		--debezium decimal.handling.mode=string --debezium skipped.operations=none
}
# One transaction of mixed work; $1 makes it different each time.
reader_txn() {
	local i=$1
	echo "BEGIN;
INSERT INTO accounts VALUES ($i, 'owner $i', $i * 1.25, NULL) ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + 1;
UPDATE accounts SET balance = balance - 0.5 WHERE id = $((i % 300 + 1));
UPDATE accounts SET note = (SELECT string_agg(md5(($i * 7 + j)::text), '') FROM generate_series(1, 100) j)
 WHERE id = $((i % 97 + 1)) AND $((i % 5)) = 0;
DELETE FROM accounts WHERE id = $((i - 250));
INSERT INTO lines VALUES ('r$((i % 4))', $i, $i) ON CONFLICT DO NOTHING;
UPDATE lines SET n = n + 100000 WHERE n = $((i - 3));
UPDATE lines SET qty = qty + 1 WHERE n = $((i - 2));
DELETE FROM lines WHERE n = $((i - 9));
COMMIT;"
	[ "$i" != 650 ] || echo "TRUNCATE lines;"
	# An on-demand snapshot while the load goes on: its rows are source.snapshot "incremental".
	[ "$i" != 500 ] || echo "SELECT flatwal.request_snapshot('lines');"
}
run_reader_shipper
# The faults come after the initial snapshot (a slot just made confirms its
# start at once, before the snapshot is done): a kill in the middle would
# take it again, which this reader does not expect.
wait_streaming "$work/reader.log" 60 && wait_confirmed rd_slot "" 60 || tail -5 "$work/reader.log"
run_load 400 900 reader_txn &
load_pid=$!
fault_rounds run_reader_shipper
wait "$load_pid"
if wait_confirmed rd_slot "" 90; then
	ok "reader: the shipper confirmed the whole workload through the faults"
else
	tail -5 "$work/reader.log"
	failed "reader: the shipper confirmed the whole workload through the faults"
fi
kill -TERM "$shipper_pid" && wait "$shipper_pid" || true
shipper_pid=""
if /usr/bin/python3 test/debezium/debezium_reader.py --bootstrap "$bootstrap" --prefix rd --pg-port "$port" \
	--dbname "$db" --tables 'public.accounts(id,owner,balance,note),public.lines(region,n,qty)' \
	--keys 'public.accounts=id,public.lines=region+n' --full public.accounts --expect-snapshot --expect-incremental public.lines; then
	ok "reader: tables rebuilt from the Debezium events equal the source"
else
	failed "reader: tables rebuilt from the Debezium events equal the source"
fi
stop_started
drop_database "$db"
finish_suite "debezium format"
