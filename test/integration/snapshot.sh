#!/usr/bin/env bash
# Initial snapshot tests: a table with 200,000 existing rows and a write load
# running during the snapshot, read by three workers (--snapshot-workers);
# then the shipper (two workers) killed mid-snapshot and restarted; then two
# tables added while streaming and snapshotted on demand by two readers, one
# of them in key ranges. After catch-up, the state rebuilt from Kafka must
# equal the source exactly (kafka_check.py, which also checks per-key order).
#
#   snapshot.sh PORT    (a cluster started by run-suites.sh)
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
port=$1
db=flatwal_snapshot_it
rows=${SNAPSHOT_ROWS:-200000}
work=$(mktemp -d /tmp/flatwal-snapshot-test.XXXXXX)
load_pid=""
trap '[ -n "$load_pid" ] && kill -KILL "$load_pid" 2>/dev/null; stop_started; rm -rf "$work"' EXIT

fresh_database "$db" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE big (id int PRIMARY KEY, grp int NOT NULL, label text, amount numeric(12,2));
-- Columns named like the snapshot SQL's alias (t) and like keywords must not change its meaning.
CREATE TABLE small (code text, n int, t text, "Select" int, PRIMARY KEY (code, n));
INSERT INTO big SELECT g, g % 97, 'row ' || g, g / 4.0 FROM generate_series(1, $rows) g;
INSERT INTO small SELECT chr(97 + g % 5), g, NULL, g FROM generate_series(1, 300) g;
-- A partitioned table: captured through its partitions, snapshotted with them, published as one table.
CREATE TABLE parted (id int, region text, amount int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE parted_eu PARTITION OF parted FOR VALUES IN ('eu');
CREATE TABLE parted_us PARTITION OF parted FOR VALUES IN ('us');
INSERT INTO parted SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g FROM generate_series(1, 3000) g;
SELECT flatwal.add_table('big'), flatwal.add_table('small'), flatwal.add_table('parted');
ANALYZE big;
SQL

start_test_broker
# The test broker keeps about 5 MiB per partition: spread the big topics.
for prefix in snap kill; do echo "topic $prefix.public.big 32" >"$work/broker.ctl"; done

run_shipper() {  # $1 = slot and topic prefix, then extra arguments
	local name=$1
	shift
	start_shipper "$work/$name.log" --slot "$name" --topic-prefix "$name" -s 200 "$@"
}

# Updates, deletes and inserts on rows the snapshot is reading, in small transactions.
load() {
	local seed=$1
	for i in $(seq 1 150); do
		sql -c "BEGIN;
UPDATE big SET label = 'updated $i', amount = amount + 1 WHERE id % 1000 = ($i * 7 + $seed) % 1000;
DELETE FROM big WHERE id = $(( (i * 1297 + seed) % rows + 1 ));
INSERT INTO big VALUES ($((rows + seed * 1000 + i)), 1, 'new $i', 0) ON CONFLICT (id) DO UPDATE SET grp = 2;
UPDATE small SET t = 'n $i' WHERE n = $((i % 300 + 1));
UPDATE parted SET amount = amount + 1 WHERE id % 100 = $((i % 100));
INSERT INTO parted VALUES ($((3000 + seed * 1000 + i)), 'eu', $i) ON CONFLICT DO NOTHING;
COMMIT;" >/dev/null 2>&1
		sleep 0.02
	done
}

check() {  # $1 = name, $2 = prefix, [$3 = tables]
	if /usr/bin/python3 test/integration/kafka_check.py --bootstrap "$bootstrap" --prefix "$2" --pg-port "$port" \
		--dbname "$db" --tables "${3:-public.big(id),public.small(code+n)}"; then
		ok "$1"
	else
		failed "$1"
	fi
}

stop_shipper() {  # $1 = slot
	kill -TERM "$shipper_pid"; wait "$shipper_pid"; local status=$?; shipper_pid=""
	if [ "$status" != 0 ]; then echo "shipper exited $status"; tail -5 "$work/$1.log"; return 1; fi
}

# ------------------------------------------------------------------ 1. snapshot under load
# Three workers: big is read in three key ranges at once, beside the other tables.
load 1 & load_pid=$!
run_shipper snap --snapshot-workers 3
wait_for_log "$work/snap.log" 'msg="snapshot complete"' && grep -E 'snapshot (started|progress|of table done|complete)' "$work/snap.log" | sed 's/^/   /'
wait "$load_pid"; load_pid=""
wait_confirmed snap && stop_shipper snap
if grep -q 'msg="snapshot started".* units=5 workers=3' "$work/snap.log"; then
	ok "three snapshot workers: big read in three key ranges, beside small and parted"
else
	failed "three snapshot workers: big read in three key ranges, beside small and parted"
fi
check "snapshot of $rows rows (and a partitioned table) under concurrent writes by 3 workers, then streaming: rebuilt state equals the source" \
	snap 'public.big(id),public.small(code+n),public.parted(id+region)'

# ------------------------------------------------------------------ 2. killed mid-snapshot
load 2 & load_pid=$!
run_shipper kill --snapshot-workers 2
wait_for_log "$work/kill.log" 'msg="snapshot started"'
# Kill while a table is part-way read: its first rows have gone to Kafka, not all of them.
for _ in $(seq 1 500); do
	[ "$(sql -c "SELECT count(*) FROM flatwal.snapshot_progress
	              WHERE slot_name = 'kill' AND state = 'running' AND rows_done > 0")" != 0 ] && break
	sleep 0.02
done
kill -KILL "$shipper_pid"; wait "$shipper_pid" 2>/dev/null; shipper_pid=""
echo "   shipper killed mid-snapshot; progress: $(sql -c "SELECT string_agg(table_name || ' ' || state || ' ' || rows_done, ', ') FROM flatwal.snapshot_progress WHERE slot_name = 'kill'")"
run_shipper kill --snapshot-workers 2
wait_for_log "$work/kill.log" 'msg="snapshot complete"'
grep -F 'did not finish' "$work/kill.log" | sed 's/^/   /'
wait "$load_pid"; load_pid=""
wait_confirmed kill && stop_shipper kill
if grep -q 'did not finish; dropping the slot' "$work/kill.log"; then
	check "killed mid-snapshot and restarted: the log says so, rebuilt state equals the source" kill
else
	failed "the restarted shipper did not say it restarts the interrupted snapshot"
fi

# ------------------------------------------------------------------ 3. tables added while streaming
# Their existing rows arrive through on-demand snapshots (chunks between
# watermarks) while their rows are updated and deleted concurrently: two
# readers, late and late_parted (partitioned: split by the same rule as the
# initial snapshot splits) each read in two key ranges at once, late_pair
# beside them (SNAPSHOT_ON_DEMAND_READERS and SNAPSHOT_LATE_ROWS change that).
readers=${SNAPSHOT_ON_DEMAND_READERS:-2}
late_rows=${SNAPSHOT_LATE_ROWS:-120000}
expected_ranges=1
[ "$readers" -gt 1 ] && [ "$late_rows" -ge 100000 ] && expected_ranges=$readers
sql >/dev/null <<SQL
CREATE TABLE late (id int PRIMARY KEY, v text, n int);
INSERT INTO late SELECT g, 'before capture ' || g, g FROM generate_series(1, $late_rows) g;
CREATE TABLE late_pair (code text, n int, t text, "order" int DEFAULT 1, PRIMARY KEY (code, n));
INSERT INTO late_pair SELECT chr(97 + g % 7), g, 'before capture' FROM generate_series(1, 5000) g;
CREATE TABLE late_parted (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
CREATE TABLE late_parted_low PARTITION OF late_parted FOR VALUES FROM (MINVALUE) TO ($((late_rows / 2)));
CREATE TABLE late_parted_high PARTITION OF late_parted FOR VALUES FROM ($((late_rows / 2))) TO (MAXVALUE);
INSERT INTO late_parted SELECT g, 'before capture ' || g FROM generate_series(1, $late_rows) g;
ANALYZE late, late_pair, late_parted;
SQL
echo "topic snap.public.late 16" >"$work/broker.ctl"
run_shipper snap --snapshot-workers "$readers"
wait_streaming "$work/snap.log"
late_load() {
	for i in $(seq 1 200); do
		sql -c "BEGIN;
UPDATE late SET v = 'updated $i', n = n + 1 WHERE id % 997 = $((i % 997));
UPDATE late SET v = 'tail $i' WHERE id > $((late_rows - 100)) AND id % 50 = $((i % 50));
DELETE FROM late WHERE id = $(( (i * 577) % late_rows + 1 ));
INSERT INTO late VALUES ($((late_rows + i)), 'new $i', 0);
UPDATE late_pair SET t = 'updated $i' WHERE n % 100 = $((i % 100));
UPDATE late_parted SET v = 'updated $i' WHERE id % 997 = $((i % 997));
DELETE FROM late_parted WHERE id = $(( (i * 613) % late_rows + 1 ));
DELETE FROM late_pair WHERE n = $(( (i * 31) % 5000 + 1 ));
COMMIT;" >/dev/null 2>&1
		sleep 0.01
	done
}
late_load & load_pid=$!
sleep 0.3
sql -c "SELECT flatwal.add_table('late', snapshot => true), flatwal.add_table('late_pair', snapshot => true),
               flatwal.add_table('late_parted', snapshot => true)" >/dev/null ||
	echo "add_table failed"
for _ in $(seq 1 900); do [ "$(grep -c 'msg="on-demand snapshot done"' "$work/snap.log")" = 3 ] && break; sleep 0.1; done
grep -F 'on-demand snapshot' "$work/snap.log" | sed 's/^/   /'
if grep -q "msg=\"on-demand snapshot started\".*table=public.late ranges=$expected_ranges readers=$readers" "$work/snap.log" &&
	grep -q "msg=\"on-demand snapshot started\".*table=public.late_parted ranges=$expected_ranges readers=$readers" "$work/snap.log" &&
	grep -q "msg=\"on-demand snapshot started\".*table=public.late_pair ranges=1 readers=$readers" "$work/snap.log"; then
	ok "$readers on-demand reader(s): late and late_parted (partitioned) each read in $expected_ranges key range(s), late_pair after or beside them"
else
	failed "$readers on-demand reader(s): late and late_parted (partitioned) each read in $expected_ranges key range(s), late_pair after or beside them"
fi
wait "$load_pid"; load_pid=""
wait_confirmed snap && stop_shipper snap
check "tables added while streaming, snapshotted on demand by $readers reader(s) under concurrent updates and deletes" snap \
	'public.big(id),public.small(code+n),public.late(id),public.late_pair(code+n),public.late_parted(id)'

drop_database "$db"
finish_suite "snapshot"
