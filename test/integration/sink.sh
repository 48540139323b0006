#!/usr/bin/env bash
# flatwal-sink into a PostgreSQL target (its own cluster), end to end:
# a mixed workload over several tables (composite keys, a key updated many
# times within one batch, deletes, a truncate, an unchanged TOAST value, an
# update that changes the key, ADD COLUMN mid-stream, the initial snapshot);
# then faults under load — the shipper and the sink killed with SIGKILL, the
# target restarted with -m immediate — and afterwards every target table
# equals its source, value for value; a lock held past the sink's
# lock_timeout and statement_timeout is retried, never dead-lettered; a
# poison change goes to the dead-letter topic while the other tables keep
# flowing, and the history holds only what was applied.
#
#   sink.sh PORT      (the source cluster, started by run-suites.sh)
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/itest.sh
port=$1
db=flatwal_sink_src
work=$(mktemp -d /tmp/flatwal-sink.XXXXXX)
chmod 755 "$work"
target_port=$(test/lib/free-port.sh)
sink_pid=""
trap '[ -n "$sink_pid" ] && kill -KILL "$sink_pid" 2>/dev/null; stop_started; cluster_stop "$work/target"; rm -rf "$work"' EXIT
cluster_start "$work/target" "$target_port" >/dev/null
target="host=127.0.0.1 port=$target_port user=postgres dbname=postgres"
tsql() { psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$target_port" -U postgres -d postgres "$@"; }

fresh_database "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, amount numeric(12,2), note text,
    created timestamptz, day date, at_time time, tags text[], payload jsonb, span interval, flag boolean,
    ratio float8, raw bytea, ref uuid, feeling mood, qty positive);
CREATE TABLE items (order_id int, line int, sku varchar(20), qty int, PRIMARY KEY (order_id, line));
CREATE TABLE scratch (id bigint PRIMARY KEY, v text);
INSERT INTO orders SELECT g, 'c' || g, g * 1.25, NULL, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 hour',
    '2024-02-29'::date + g, '12:34:56.789'::time, ARRAY['a', 'b"' || g], jsonb_build_object('g', g, 'n', NULL),
    make_interval(months => g, days => -g, secs => g * 1.5), g % 2 = 0, g / 3.0, '\x00ff'::bytea,
    md5(g::text)::uuid, 'happy', g
  FROM generate_series(1, 500) g;
INSERT INTO items SELECT g % 100, g, 'sku-' || g, g FROM generate_series(1, 300) g;
INSERT INTO scratch SELECT g, 'x' FROM generate_series(1, 50) g;
SELECT flatwal.add_table('orders'), flatwal.add_table('items'), flatwal.add_table('scratch');
SQL
start_test_broker
start_shipper "$work/shipper.log" --slot sink_test --topic-prefix src -s 100
wait_streaming "$work/shipper.log"
# Every change from here on, as test_decoding sees it: what the history tables must hold, once each.
history_from=$(sql -c "SELECT lsn FROM pg_create_logical_replication_slot('sink_reference', 'test_decoding')")
# Short group timeouts: a killed sink's partitions move on after seconds, not
# after the 45 s session timeout (the test broker waits that long for a dead member).
start_sink() {
	build/bin/flatwal-sink -b "$bootstrap" -d "${sink_target:-$target}" --topic-prefix src --batch-ms 100 --stats-interval 2000 \
		--history -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X max.poll.interval.ms=20000 \
		"$@" >>"$work/sink.log" 2>&1 &
	sink_pid=$!
}
start_sink

# Same columns, same values: the source's columns of each table, in key order, on both sides.
compare() {  # TABLE KEY...
	local table=$1 columns
	shift
	columns=$(sql -c "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
	                  WHERE attrelid = '$table'::regclass AND attnum > 0 AND NOT attisdropped")
	local query="SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY $*)), '') FROM (SELECT $columns FROM public.$table) t"
	[ "$(sql -c "$query")" = "$(tsql -c "$query" 2>/dev/null)" ]
}
# Waits until every table matches (the sink applies asynchronously).
converged() {
	local seconds=${1:-60}
	for _ in $(seq 1 $((seconds * 5))); do
		compare orders id && compare items order_id,line && compare scratch id && return 0
		sleep 0.2
	done
	for t in "orders id" "items order_id,line" "scratch id"; do
		set -- $t
		compare "$@" || echo "   $1 differs: source $(sql -c "SELECT count(*) FROM $1"), target $(tsql -c "SELECT count(*) FROM public.$1" 2>&1)"
	done
	return 1
}

# The mixed workload.
sql <<'SQL' || failed "the mixed workload failed at the source"
UPDATE orders SET note = (SELECT string_agg(md5(random()::text || i), '') FROM generate_series(1, 200) i) WHERE id <= 20;
-- the same key many times in one transaction (and so in one batch)
UPDATE orders SET amount = amount + 1 WHERE id = 7;
UPDATE orders SET amount = amount + 1 WHERE id = 7;
UPDATE orders SET amount = amount + 1, customer = 'seven' WHERE id = 7;
-- unchanged TOAST: note is not in these updates' WAL
UPDATE orders SET flag = NOT flag WHERE id <= 20;
DELETE FROM orders WHERE id BETWEEN 400 AND 450;
UPDATE orders SET tags = '[0:1]={"x,\"y",NULL}' WHERE id = 3;  -- array bounds other than 1, quoting
UPDATE items SET line = line + 1000 WHERE order_id = 5;  -- key changes
DELETE FROM items WHERE order_id = 9;
INSERT INTO scratch SELECT g, 'y' FROM generate_series(51, 80) g;
TRUNCATE scratch;
INSERT INTO scratch SELECT g, 'after truncate' FROM generate_series(1, 10) g;
ALTER TABLE orders ADD COLUMN region text;
UPDATE orders SET region = 'eu' WHERE id % 10 = 0;
INSERT INTO orders (id, customer, region, span, created) VALUES
    (1001, 'late', 'us', '-1 mon 2 days -00:00:01.5', 'infinity'), (1002, 'odd', NULL, NULL, '-infinity');
-- renamed twice, the first name's change never seen by the sink: the target's column keeps its values
ALTER TABLE orders RENAME COLUMN note TO remark;
ALTER TABLE orders RENAME COLUMN remark TO "Remark text";
-- a column renamed to the name of one dropped before: the target's old column moves aside
ALTER TABLE orders DROP COLUMN ratio;
ALTER TABLE orders RENAME COLUMN raw TO ratio;
-- dropped and added again under its name: a new column (NULL), not the old one's values
ALTER TABLE orders DROP COLUMN flag;
ALTER TABLE orders ADD COLUMN flag boolean;
-- rows already there hold the default with no WAL for them (a fast default): so must the target's
ALTER TABLE orders ADD COLUMN status text DEFAULT 'it''s new', ADD COLUMN due date DEFAULT '2024-12-31';
UPDATE orders SET amount = amount + 1 WHERE id = 11;
SQL
wait_confirmed sink_test
if converged 60; then
	ok "snapshot, updates, deletes, key changes, truncate, unchanged TOAST, ADD COLUMN (with a default too), RENAME COLUMN, DROP and ADD again: every target table equals its source"
else
	failed "the target does not equal the source after the workload"
	tail -5 "$work/sink.log"
fi
if [ "$(tsql -c "SELECT count(*) FROM public.orders WHERE id <= 20 AND \"Remark text\" IS NOT NULL AND length(\"Remark text\") = 6400")" = 20 ]; then
	ok "updates that left a TOAST value unchanged kept the target's value"
else
	failed "unchanged TOAST values were not kept"
fi
if [ "$(tsql -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.orders'::regclass AND attname IN ('amount', 'qty', 'feeling', 'region') ORDER BY attname")" = "$(printf 'numeric(12,2)\ntext\ninteger\ntext')" ]; then
	ok "column types follow the source (a domain as its base type, an enum as text, ADD COLUMN followed)"
else
	failed "target column types: $(tsql -c "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.orders'::regclass AND attnum > 0")"
fi

# Faults under load: a writer runs while the shipper and the sink are killed and the target restarts.
sql -c "CREATE TABLE IF NOT EXISTS load_marker (id int)" >/dev/null
(
	for round in $(seq 1 40); do
		sql -c "INSERT INTO orders (id, customer, amount) SELECT g, 'load', $round FROM generate_series(2000 + $round * 100, 2000 + $round * 100 + 99) g
		        ON CONFLICT (id) DO UPDATE SET amount = EXCLUDED.amount" \
		    -c "UPDATE items SET qty = qty + 1 WHERE order_id = $round % 100" \
		    -c "DELETE FROM orders WHERE id = 2000 + ($round - 1) * 100 + 50" >/dev/null
		sleep 0.15
	done
) &
writer=$!
for round in 1 2 3; do
	sleep 1
	kill -KILL "$shipper_pid"; wait "$shipper_pid" 2>/dev/null
	start_shipper "$work/shipper.log" --slot sink_test --topic-prefix src -s 100
	sleep 0.7
	kill -KILL "$sink_pid"; wait "$sink_pid" 2>/dev/null
	start_sink
	sleep 0.7
	cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/target/data" -m immediate stop >/dev/null
	sleep 0.3
	cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/target/data" -l "$work/target/server.log" -w -t 60 start >/dev/null
done
wait "$writer"
wait_confirmed sink_test
if converged 90; then
	ok "shipper killed 3x, sink killed 3x, target restarted 3x (-m immediate) under load: the target equals the source"
else
	failed "the target does not equal the source after the faults"
	grep -E 'level=(error|warning)' "$work/sink.log" | tail -5
fi
# Scale-out: two sinks in one group split the partitions; one is killed
# mid-stream and the other takes its partitions over (after the group's
# session timeout) from the checkpoints the killed one committed.
kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null
start_sink
first_sink=$sink_pid
start_sink
survivor=$sink_pid
sleep 3
(
	for round in $(seq 41 70); do
		sql -c "INSERT INTO orders (id, customer, amount) SELECT g, 'scale', $round FROM generate_series(2000 + $round * 100, 2000 + $round * 100 + 99) g" \
		    -c "UPDATE orders SET amount = amount * 2 WHERE id % 97 = $round % 97" >/dev/null
		sleep 0.1
	done
) &
writer=$!
sleep 1.5
kill -KILL "$first_sink"; wait "$first_sink" 2>/dev/null
wait "$writer"
wait_confirmed sink_test
if converged 90; then
	ok "two sinks in one group, one killed mid-stream: the survivor took over its partitions; the target equals the source"
else
	failed "the target does not equal the source after one of two sinks was killed"
	grep -E 'level=(error|warning)|partitions assigned' "$work/sink.log" | tail -5
fi

# Conditions of the target, not of any row: a lock held past the sink's
# lock_timeout (55P03), then past its statement_timeout (57014), while rows
# arrive; the sink is SIGKILLed once it retried and restarted while the lock
# is still held. It retries with backoff and dead-letters nothing; the target
# converges. The lock is held until the test has seen a retry after the
# restart, then released by cancelling its session: the restarted sink may
# wait up to the test broker's rejoin delay (tens of seconds) for partitions,
# so a lock of fixed length could end before the sink meets it again.
dead_letters() { timeout 20 kcat -b "$bootstrap" -C -t src.flatwal.dlq -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l; }
retries() { grep -c "msg=\"batch not committed.*SQLSTATE $1" "$work/sink.log"; }
wait_retry() {  # SQLSTATE COUNT: until more than COUNT retries for SQLSTATE were logged (60 s at most)
	for _ in $(seq 1 600); do [ "$(retries "$1")" -gt "$2" ] && return 0; sleep 0.1; done
	return 1
}
release_lock() {
	tsql -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'sink-test-lock'" >/dev/null
}
letters_before=$(dead_letters)
phase=0
for timeout_setting in "lock_timeout=1000 55P03" "statement_timeout=1000 57014"; do
	set -- $timeout_setting
	phase=$((phase + 1))
	kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null
	sink_target="$target options='-c $1'"
	start_sink
	PGAPPNAME=sink-test-lock tsql -c "BEGIN; LOCK TABLE public.orders IN SHARE MODE; SELECT pg_sleep(150); COMMIT" \
		>/dev/null 2>&1 &
	locker=$!
	sleep 0.5
	(
		for round in $(seq 1 20); do
			sql -c "UPDATE orders SET amount = amount + 1, customer = 'locked $round' WHERE id % 50 = $round" \
			    -c "INSERT INTO items VALUES ($phase * 1000 + $round, 1, 'during the lock', $round)" >/dev/null
			sleep 0.2
		done
	) &
	writer=$!
	before=$(retries "$2")
	wait_retry "$2" "$before"
	kill -KILL "$sink_pid"; wait "$sink_pid" 2>/dev/null
	start_sink
	killed_at=$(retries "$2")
	wait_retry "$2" "$killed_at"
	after_restart=$(( $(retries "$2") - killed_at ))
	wait "$writer"
	release_lock
	wait "$locker"
	wait_confirmed sink_test
	if converged 90 && [ "$(dead_letters)" = "$letters_before" ] && [ "$((killed_at - before))" -gt 0 ] &&
		[ "$after_restart" -gt 0 ]; then
		ok "a lock held past the sink's $1 (ms), the sink killed meanwhile: retried ($2) $((killed_at - before)) times, then $after_restart times after the restart; 0 dead letters; the target equals the source"
	else
		failed "$1: dead letters $letters_before -> $(dead_letters); retries ($2): $((killed_at - before)) before the kill, $after_restart after"
		grep -E 'level=(error|warning)' "$work/sink.log" | tail -3
	fi
done
kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null
sink_target=""
start_sink

# The history tables against test_decoding: the same changes (LSN, xid, table, operation), each exactly once.
history_matches() {  # WHEN: checks it, and says when
	sql -c "SELECT lsn || ' ' || xid || ' ' || substring(data from '^table ([^:]+):') || ' ' ||
	               lower(substring(data from '^table [^:]+: ([A-Z]+):'))
	        FROM pg_logical_slot_peek_changes('sink_reference', NULL, NULL)
	        WHERE data ~ '^table public[.](orders|items|scratch): (INSERT|UPDATE|DELETE):' ORDER BY 1" >"$work/reference.txt"
	tsql -c "SELECT lsn || ' ' || xid || ' ' || tbl || ' ' || op FROM (
	           SELECT lsn, xid, 'public.orders' AS tbl, op FROM public.orders_history WHERE op <> 'read'
	           UNION ALL SELECT lsn, xid, 'public.items', op FROM public.items_history WHERE op <> 'read'
	           UNION ALL SELECT lsn, xid, 'public.scratch', op FROM public.scratch_history WHERE op <> 'read') h
	         WHERE lsn >= '$history_from' ORDER BY 1" >"$work/history.txt"
	if [ -s "$work/reference.txt" ] && cmp -s "$work/reference.txt" "$work/history.txt"; then
		ok "history tables hold every change test_decoding saw, exactly once ($(wc -l <"$work/reference.txt") changes), $1"
	else
		failed "history tables differ from test_decoding $1: $(wc -l <"$work/reference.txt") reference changes, $(wc -l <"$work/history.txt") in history"
		diff "$work/reference.txt" "$work/history.txt" | head -5
	fi
}
history_matches "after the kills"
echo "   sink: $(grep -c 'msg="batch not committed' "$work/sink.log") batches read again after failures;" \
	"duplicates skipped per process: $(grep -oE 'duplicates_skipped=[0-9]+' "$work/sink.log" | sort -u | cut -d= -f2 | tr '\n' ' ')"
if tsql -c "SELECT count(*) FROM flatwal_sink.checkpoints WHERE consumer_group = 'flatwal-sink'" | grep -qE '^[1-9]'; then
	ok "checkpoints are a table users can query (flatwal_sink.checkpoints)"
else
	failed "no checkpoints in flatwal_sink.checkpoints"
fi

# A partition truncated on its own: the target keeps the other partitions'
# rows, and the truncated partition's stay with a dead letter saying so
# (the target cannot tell them apart); a TRUNCATE of the table empties it.
sql >/dev/null <<'SQL'
CREATE TABLE parted (id int, region text, v int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE parted_eu PARTITION OF parted FOR VALUES IN ('eu');
CREATE TABLE parted_us PARTITION OF parted FOR VALUES IN ('us');
SELECT flatwal.add_table('parted');
INSERT INTO parted SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g FROM generate_series(1, 40) g;
SQL
for _ in $(seq 1 150); do [ "$(tsql -c "SELECT count(*) FROM public.parted" 2>/dev/null)" = 40 ] && break; sleep 0.2; done
sql -c "TRUNCATE parted_eu" -c "INSERT INTO parted VALUES (100, 'us', 100)" >/dev/null
for _ in $(seq 1 150); do [ "$(tsql -c "SELECT count(*) FROM public.parted WHERE id = 100")" = 1 ] && break; sleep 0.2; done
letters=$(timeout 20 kcat -b "$bootstrap" -C -t src.flatwal.dlq -o beginning -e -q -f '%h\n' 2>/dev/null)
kept=$(tsql -c "SELECT count(*) FILTER (WHERE region = 'us') || '/' || count(*) FILTER (WHERE region = 'eu') FROM public.parted")
if [ "$kept" = "21/20" ] && grep -q 'TRUNCATE of partition public.parted_eu of public.parted not applied' <<<"$letters"; then
	ok "TRUNCATE of one partition: the other partition's rows stay in the target, a dead letter says the truncated ones were not removed"
else
	failed "TRUNCATE of one partition: target us/eu rows $kept (want 21/20); dead letter: $(echo "$letters" | grep -c 'TRUNCATE of partition')"
fi
sql -c "TRUNCATE parted" >/dev/null
for _ in $(seq 1 150); do [ "$(tsql -c "SELECT count(*) FROM public.parted")" = 0 ] && break; sleep 0.2; done
if [ "$(tsql -c "SELECT count(*) FROM public.parted")" = 0 ]; then
	ok "TRUNCATE of the partitioned table empties its target table"
else
	failed "TRUNCATE of the partitioned table left $(tsql -c "SELECT count(*) FROM public.parted") rows in the target"
fi

# Key changes of rows whose TOASTed column the update left unchanged (the
# WAL does not carry it): with default replica identity the value is in the
# target under the old key, and the sink moves the row, whichever copy of the
# change (old key, new key) it applies first; with FULL the old row carries it.
sql >/dev/null <<'SQL'
CREATE TABLE doc (id int PRIMARY KEY, title text, body text);
ALTER TABLE doc ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE TABLE doc_full (id int PRIMARY KEY, title text, body text);
ALTER TABLE doc_full ALTER COLUMN body SET STORAGE EXTERNAL, REPLICA IDENTITY FULL;
SELECT flatwal.add_table('doc'), flatwal.add_table('doc_full');
INSERT INTO doc SELECT g, 'title ' || g, repeat(md5(g::text), 150) FROM generate_series(1, 40) g;
INSERT INTO doc_full SELECT id, title, body FROM doc;
SQL
for _ in $(seq 1 150); do [ "$(tsql -c "SELECT count(*) FROM public.doc_full" 2>/dev/null)" = 40 ] && break; sleep 0.2; done
toast_letters() { timeout 20 kcat -b "$bootstrap" -C -t src.flatwal.dlq -o beginning -e -q -f '%h\n' 2>/dev/null | grep -c 'TOAST'; }
toast_before=$(toast_letters)
for step in 1 2 3 4; do  # several transactions: the two copies of a move land in one batch or in two
	sql -c "UPDATE doc SET id = id + 100000, title = 'moved $step' WHERE id % 4 = $((step - 1)) AND id < 100000" \
	    -c "UPDATE doc_full SET id = id + 100000, title = 'moved $step' WHERE id % 4 = $((step - 1)) AND id < 100000" >/dev/null
	sleep 0.3
done
# A row updated (its TOAST value rewritten), then moved leaving it unchanged,
# in one transaction. The new key's copy of the move is in another partition
# than the update: it may come first, in the same batch (batches of 100 ms)
# or in an earlier one (batches of 2 rows); the value is the update's.
update_then_move() {  # TITLE
	for t in doc doc_full; do
		sql -c "BEGIN" -c "UPDATE $t SET body = repeat(md5(id::text || '$1'), 150) WHERE id % 2 = 0" \
		    -c "UPDATE $t SET id = id + 100000, title = '$1' WHERE id % 2 = 0" -c "COMMIT" >/dev/null
	done
}
update_then_move 'moved twice'
wait_confirmed sink_test
for _ in $(seq 1 100); do compare doc id && break; sleep 0.2; done  # applied (or the check below fails)
kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null
start_sink --batch-rows 2
update_then_move 'moved thrice'
wait_confirmed sink_test
moved=""
for _ in $(seq 1 150); do
	compare doc id && compare doc_full id && moved=yes && break
	sleep 0.2
done
if [ -n "$moved" ] && [ "$(toast_letters)" = "$toast_before" ] &&
	[ "$(tsql -c "SELECT count(*) FROM public.doc WHERE id > 100000 AND length(body) = 4800")" = 40 ] &&
	[ "$(tsql -c "SELECT count(*) FROM public.doc WHERE id > 300000 AND title = 'moved thrice'")" = 20 ]; then
	ok "key changes that left a TOAST value unchanged (default identity and FULL), some right after an update of that value in the same transaction, in large and 2-row batches: the target equals the source, 0 dead letters"
else
	failed "TOAST key changes: doc $(tsql -c "SELECT count(*) || ' rows, ' || count(*) FILTER (WHERE id > 100000 AND length(body) = 4800) || ' moved whole' FROM public.doc"); dead letters about TOAST $toast_before -> $(toast_letters)"
	diff <(sql -c "SELECT id, title, md5(body) FROM doc ORDER BY id") <(tsql -c "SELECT id, title, md5(body) FROM public.doc ORDER BY id") | head -4
fi
kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null
start_sink

# A poison change: the target's column made NOT NULL by hand. Its change is a
# dead letter with the reason; the other tables keep flowing.
tsql -c "UPDATE public.items SET sku = 'x' WHERE sku IS NULL" -c "ALTER TABLE public.items ALTER COLUMN sku SET NOT NULL"
sql -c "INSERT INTO items VALUES (500, 1, NULL, 1)" -c "INSERT INTO scratch VALUES (999, 'still flowing')" >/dev/null
for _ in $(seq 1 100); do [ "$(tsql -c "SELECT count(*) FROM public.scratch WHERE id = 999")" = 1 ] && break; sleep 0.2; done
for _ in $(seq 1 10); do  # the letter's own batch may commit after scratch's
	letters=$(timeout 20 kcat -b "$bootstrap" -C -t src.flatwal.dlq -o beginning -e -q -f '%h\n' 2>/dev/null)
	grep -q 'null value in column "sku"' <<<"$letters" && break
	sleep 1
done
applied_history=$(tsql -c "SELECT count(*) FROM public.items_history WHERE after->>'order_id' = '500'")
if grep -q 'flatwal.dlq.reason=.*null value in column "sku"' <<<"$letters" && [ "$applied_history" = 0 ] &&
	grep -q 'flatwal.dlq.topic=src.public.items' <<<"$letters" &&
	[ "$(tsql -c "SELECT count(*) FROM public.scratch WHERE id = 999")" = 1 ]; then
	ok "a change the target refuses goes to src.flatwal.dlq with its reason and source, and not to the history; other tables keep flowing"
else
	failed "poison change: in the history $applied_history times; dead letters: ${letters:-none}; scratch 999 in target: $(tsql -c "SELECT count(*) FROM public.scratch WHERE id = 999")"
fi

# Dead letters replayed once their cause is fixed (--replay-dlq): the target
# then equals the source; a replayed change older than the target's row does
# not overwrite it; a second replay changes nothing.
sql -c "INSERT INTO items VALUES (501, 1, NULL, 1)" >/dev/null  # refused like 500: a dead letter
for _ in $(seq 1 100); do
	[ "$(timeout 20 kcat -b "$bootstrap" -C -t src.flatwal.dlq -o beginning -e -q -f '%h\n' 2>/dev/null | grep -c 'null value in column "sku"')" -ge 2 ] && break
	sleep 0.2
done
sql -c "UPDATE items SET sku = 'later' WHERE order_id = 501" >/dev/null  # a newer change of that row: applied
for _ in $(seq 1 100); do [ "$(tsql -c "SELECT sku FROM public.items WHERE order_id = 501")" = later ] && break; sleep 0.2; done
tsql -c "ALTER TABLE public.items ALTER COLUMN sku DROP NOT NULL"
replay() {  # GROUP
	timeout 60 build/bin/flatwal-sink -b "$bootstrap" -d "$target" --topic-prefix src --history --replay-dlq -g "$1" \
		--exit-when-idle 3000 -X session.timeout.ms=6000 >>"$work/replay.log" 2>&1
}
replay replay-1
replay_rc=$?
first=$(tsql -c "SELECT count(*) FILTER (WHERE order_id = 500 AND sku IS NULL) || '/' || count(*) FILTER (WHERE order_id = 501 AND sku = 'later') FROM public.items")
compare items order_id,line && first_equal=yes || first_equal=no
replay replay-2
second_rc=$?
compare items order_id,line && second_equal=yes || second_equal=no
replayed_history=$(tsql -c "SELECT count(*) FROM public.items_history WHERE after->>'order_id' IN ('500', '501')")
if [ "$replay_rc" = 0 ] && [ "$second_rc" = 0 ] && [ "$first" = 1/1 ] && [ "$first_equal" = yes ] && [ "$second_equal" = yes ] &&
	[ "$replayed_history" = 3 ] &&
	grep -q 'a replayed dead letter failed again.*TRUNCATE of partition' "$work/replay.log"; then
	ok "dead letters replayed after the cause was fixed: target equals source, history holds each replayed change once, an older replayed change did not overwrite a newer row, a second replay changed nothing, a letter that fails again is logged"
else
	failed "replay: exit $replay_rc/$second_rc, rows $first (want 1/1), equal after first $first_equal, after second $second_equal, history rows of 500/501: $replayed_history (want 3)"
	tail -5 "$work/replay.log"
fi
history_matches "after changes were dead-lettered and replayed"

# A type change is followed: the target column is altered as the source's
# was (int -> bigint rewrites the table, which the extension then snapshots
# again on demand), and the table goes on equal to the source.
sql -c "ALTER TABLE items ALTER COLUMN qty TYPE bigint" -c "UPDATE items SET qty = qty + 3000000000 WHERE order_id = 1" \
    -c "INSERT INTO scratch VALUES (997, 'after the type change')" >/dev/null
for _ in $(seq 1 150); do compare items order_id,line >/dev/null 2>&1 && break; sleep 0.2; done
if compare items order_id,line &&
	[ "$(tsql -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.items'::regclass AND attname = 'qty'")" = bigint ] &&
	grep -q 'msg="target column retyped as the source.s" table=.*items.* column=qty type=bigint' "$work/sink.log"; then
	ok "a column type change (integer to bigint) is followed: the target column altered, values past integer's range applied, the table equal to the source"
else
	failed "type change followed: items equal: $(compare items order_id,line && echo yes || echo no); target qty is $(tsql -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.items'::regclass AND attname = 'qty'"); $(grep 'retyped' "$work/sink.log" | tail -1)"
fi
# One the target refuses (a USING expression the sink cannot know, whose
# values the target's cast cannot convert) stops that table: its changes are
# dead letters saying what to do, and the target column is left as it was.
sql -c "ALTER TABLE items ALTER COLUMN sku TYPE integer USING length(sku)" -c "UPDATE items SET qty = qty + 1 WHERE order_id = 1" \
    -c "INSERT INTO scratch VALUES (998, 'after the second type change')" >/dev/null
for _ in $(seq 1 100); do [ "$(tsql -c "SELECT count(*) FROM public.scratch WHERE id = 998")" = 1 ] && break; sleep 0.2; done
letters=$(timeout 20 kcat -b "$bootstrap" -C -t src.flatwal.dlq -o beginning -e -q -f '%h\n' 2>/dev/null)
if grep -q 'cannot change column sku of "public"."items" to integer as schema version [0-9]* of the source did' <<<"$letters" &&
	[ "$(tsql -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.items'::regclass AND attname = 'sku'")" = 'character varying(20)' ]; then
	ok "a type change the target cannot convert stops that table with a dead letter that says what to do; the target column is not altered"
else
	failed "type change refused: dead letters: $(grep -o 'flatwal.dlq.reason=[^,]*' <<<"$letters" | tail -2)"
fi

kill -TERM "$sink_pid"
for _ in $(seq 1 100); do kill -0 "$sink_pid" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$sink_pid" 2>/dev/null && grep -q 'msg="flatwal-sink stopped"' "$work/sink.log"; then
	ok "SIGTERM stops the sink within 10 s, after committing its open batch"
else
	failed "the sink did not stop on SIGTERM"
fi
sink_pid=""

# Kafka deletes messages the stopped sink never applied (the test broker keeps
# about 5 MiB of each partition): started again, the sink does not jump to
# what is left; it stops (exit 4) saying so, and the target keeps its row.
# Started with -X auto.offset.reset=earliest, as the runbook says, it goes on
# from the oldest message left.
scratch_one() { psql -X -q -At -d "$1" -c "SELECT md5(v) FROM public.scratch WHERE id = 1"; }
before_gap=$(scratch_one "$target")
sql >/dev/null <<'SQL'
DO $$ BEGIN
  FOR i IN 1..10000 LOOP
    UPDATE scratch SET v = (SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 64)) WHERE id = 1;
  END LOOP;
END $$;
SQL
wait_confirmed sink_test
start_sink
for _ in $(seq 1 600); do kill -0 "$sink_pid" 2>/dev/null || break; sleep 0.1; done
wait "$sink_pid" 2>/dev/null
gap_rc=$?
sink_pid=""
if [ "$gap_rc" = 4 ] && grep -q 'level=error msg="stopping: Kafka no longer holds the messages of src.public.scratch \[[0-9]*\] from this sink.s checkpoint on"' "$work/sink.log" &&
	[ "$(scratch_one "$target")" = "$before_gap" ]; then
	ok "messages Kafka deleted before the sink applied them: the sink stops (exit 4) and says what to do; nothing is skipped"
else
	failed "a checkpoint Kafka no longer holds: exit $gap_rc; $(grep -E 'level=(error|warning)' "$work/sink.log" | tail -2)"
fi
start_sink -X auto.offset.reset=earliest
for _ in $(seq 1 300); do [ "$(scratch_one "$target")" = "$(scratch_one "$(conninfo)")" ] && break; sleep 0.2; done
if [ "$(scratch_one "$target")" = "$(scratch_one "$(conninfo)")" ] && kill -0 "$sink_pid" 2>/dev/null; then
	ok "started with -X auto.offset.reset=earliest, the sink goes on from the oldest message Kafka holds"
else
	failed "after the gap, with auto.offset.reset=earliest: the row is not the source's"
fi
kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null; sink_pid=""
usage=$(build/bin/flatwal-sink -b "$bootstrap" -d "$target" --bogus 2>&1)
usage_rc=$?
refused=$(timeout 20 build/bin/flatwal-sink -b "$bootstrap" --topic-prefix src \
	-d "host=127.0.0.1 port=$target_port user=nobody dbname=postgres" 2>&1)
refused_rc=$?
no_database=$(timeout 20 build/bin/flatwal-sink -b "$bootstrap" --topic-prefix src \
	-d "host=127.0.0.1 port=$target_port user=postgres dbname=no_such_target" 2>&1)
no_database_rc=$?
if [ "$usage_rc" = 1 ] && grep -q 'unknown argument --bogus' <<<"$usage" &&
	[ "$refused_rc" = 3 ] && grep -q 'level=error msg="PostgreSQL refused' <<<"$refused" &&
	[ "$no_database_rc" = 3 ] && grep -q 'level=error msg="PostgreSQL refused.*no_such_target.*does not exist' <<<"$no_database"; then
	ok "an unknown option (exit 1), a refused target login and a target database that does not exist (exit 3, at once) are clear errors"
else
	failed "bad input to flatwal-sink: exit $usage_rc: $usage / exit $refused_rc: $refused / exit $no_database_rc: $no_database"
fi
# Secrets on the command line are refused, as by every program, saying where they go instead.
secret_d=$(build/bin/flatwal-sink -b "$bootstrap" --topic-prefix src -d "$target password=hunter2" 2>&1)
secret_d_rc=$?
secret_x=$(build/bin/flatwal-sink -b "$bootstrap" --topic-prefix src -d "$target" -X sasl.password=hunter2 2>&1)
secret_x_rc=$?
secret_consume=$(build/bin/flatwal-consume -b "$bootstrap" -X sasl.password=hunter2 2>&1)
secret_consume_rc=$?
if [ "$secret_d_rc" = 1 ] && grep -q 'PGPASSWORD' <<<"$secret_d" && [ "$secret_x_rc" = 1 ] &&
	grep -q 'FLATWAL_KAFKA_SASL_PASSWORD' <<<"$secret_x" && [ "$secret_consume_rc" = 1 ] &&
	grep -q 'FLATWAL_KAFKA_SASL_PASSWORD' <<<"$secret_consume" && ! grep -q hunter2 <<<"$secret_d$secret_x$secret_consume"; then
	ok "a password in -d and a secret in -X are refused by flatwal-sink and flatwal-consume (exit 1, where to put them instead)"
else
	failed "secrets on the command line: exit $secret_d_rc: $secret_d / exit $secret_x_rc: $secret_x / exit $secret_consume_rc: $secret_consume"
fi

# A broker that does not answer: librdkafka's complaints are structured log lines, not raw ones.
no_broker=$(timeout 6 build/bin/flatwal-sink -b 127.0.0.1:1 --topic-prefix src -d "$target" 2>&1)
if grep -q 'level=error .*source=librdkafka' <<<"$no_broker" && ! grep -qE '^%[0-9]\|' <<<"$no_broker"; then
	ok "an unreachable broker is reported in the structured log (source=librdkafka)"
else
	failed "unreachable broker: $(echo "$no_broker" | tail -3)"
fi
kill -TERM "$shipper_pid"; wait "$shipper_pid" 2>/dev/null; shipper_pid=""
sql -c "SELECT pg_drop_replication_slot('sink_reference')" >/dev/null
drop_database "$db"
finish_suite "flatwal-sink (PostgreSQL target)"
