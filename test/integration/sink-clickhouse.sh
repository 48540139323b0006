#!/usr/bin/env bash
# flatwal-sink into ClickHouse (Debian's clickhouse-server, a throwaway
# server on 127.0.0.1 with its config written by test/lib/clickhouse.sh):
# the initial snapshot and a mixed workload (composite key, a key updated
# several times in one batch, deletes, key changes, a truncate, unchanged
# TOAST under REPLICA IDENTITY FULL, ADD COLUMN mid-stream), then a load
# while the shipper and the sink are killed with SIGKILL and ClickHouse
# restarts; each time the tables read with FINAL equal the source; then
# 2,000 updates of a default-identity table that leave a TOASTed column
# unchanged, across small and large batches and a sink kill.
#
#   sink-clickhouse.sh PORT      (the source cluster, started by run-suites.sh)
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
source test/lib/clickhouse.sh
port=$1
db=flatwal_sink_ch
work=$(mktemp -d /tmp/flatwal-sink-ch.XXXXXX)
ch_port=$(test/lib/free-port.sh)
sink_pid=""
trap '[ -n "$sink_pid" ] && kill -KILL "$sink_pid" 2>/dev/null; stop_started; clickhouse_stop "$work/ch"; rm -rf "$work"' EXIT
clickhouse_start "$work/ch" "$ch_port" || { echo "0 passed, 1 failed"; exit 1; }

fresh_database "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, amount numeric(12,2), flag boolean, ratio float8,
    created timestamptz, note text, payload jsonb);
ALTER TABLE orders REPLICA IDENTITY FULL;
CREATE TABLE items (order_id int, line int, qty int, PRIMARY KEY (order_id, line));
CREATE TABLE scratch (id bigint PRIMARY KEY, v text);
INSERT INTO orders SELECT g, 'c' || g, g * 1.25, g % 2 = 0, g / 4.0, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 hour',
    NULL, jsonb_build_object('g', g) FROM generate_series(1, 300) g;
INSERT INTO items SELECT g % 50, g, g FROM generate_series(1, 200) g;
INSERT INTO scratch SELECT g, 'x' FROM generate_series(1, 30) g;
SELECT flatwal.add_table('orders'), flatwal.add_table('items'), flatwal.add_table('scratch');
SQL
start_test_broker
start_shipper "$work/shipper.log" --slot sink_ch --topic-prefix wh -s 100
start_sink() {
	build/bin/flatwal-sink -b "$bootstrap" --clickhouse "$clickhouse_url" --topic-prefix wh --batch-ms 300 \
		--batch-rows 5000 --stats-interval 2000 -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 \
		-X max.poll.interval.ms=20000 "$@" >>"$work/sink.log" 2>&1 &
	sink_pid=$!
}
start_sink

# The same rows as text on both sides (ClickHouse read with FINAL, deletes left out).
pg_rows() {  # TABLE: the source rows in canonical text
	case $1 in
	orders) sql -F $'\t' -P null='\N' -c "SELECT id, customer, amount::text, flag::int,
	            CASE WHEN ratio = 'NaN' THEN 'nan' ELSE ratio::text END,
	            CASE WHEN created = 'infinity' THEN 'infinity'
	                 ELSE to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') END,
	            note, region FROM orders ORDER BY id" ;;
	items) sql -F $'\t' -c "SELECT order_id, line, qty FROM items ORDER BY 1, 2" ;;
	scratch) sql -F $'\t' -c "SELECT id, v FROM scratch ORDER BY id" ;;
	esac
}
ch_rows() {
	case $1 in
	orders) chq "SELECT id, customer, amount, flag, ratio, created, note, region FROM public.orders FINAL WHERE _deleted = 0 ORDER BY id FORMAT TabSeparated" ;;
	items) chq "SELECT order_id, line, qty FROM public.items FINAL WHERE _deleted = 0 ORDER BY order_id, line FORMAT TabSeparated" ;;
	scratch) chq "SELECT id, v FROM public.scratch FINAL WHERE _deleted = 0 ORDER BY id FORMAT TabSeparated" ;;
	esac 2>/dev/null
}
converged() {
	local seconds=${1:-60}
	for _ in $(seq 1 $((seconds * 2))); do
		local same=0
		for t in orders items scratch; do [ "$(pg_rows $t)" = "$(ch_rows $t)" ] && same=$((same + 1)); done
		[ "$same" = 3 ] && return 0
		sleep 0.5
	done
	for t in orders items scratch; do
		[ "$(pg_rows $t)" = "$(ch_rows $t)" ] || { echo "   $t differs:"; diff <(pg_rows $t) <(ch_rows $t) | head -4; }
	done
	return 1
}

sql -c "ALTER TABLE orders ADD COLUMN region text" >/dev/null  # before the workload: pg_rows reads it
sql <<'SQL' || failed "the mixed workload failed at the source"
UPDATE orders SET note = (SELECT string_agg(md5(random()::text || i), '') FROM generate_series(1, 200) i) WHERE id <= 10;
UPDATE orders SET amount = amount + 1 WHERE id = 7;
UPDATE orders SET amount = amount + 1, customer = 'seven' WHERE id = 7;
UPDATE orders SET flag = NOT flag WHERE id <= 10;  -- note unchanged (TOAST): REPLICA IDENTITY FULL carries it
DELETE FROM orders WHERE id BETWEEN 200 AND 250;
UPDATE items SET line = line + 1000 WHERE order_id = 5;
DELETE FROM items WHERE order_id = 9;
TRUNCATE scratch;
INSERT INTO scratch SELECT g, 'after truncate' FROM generate_series(1, 10) g;
UPDATE orders SET region = 'eu' WHERE id % 10 = 0;
INSERT INTO orders (id, customer, region, ratio, created) VALUES (1001, 'late', 'us', 'NaN', 'infinity');
SQL
wait_confirmed sink_ch
if converged 90; then
	ok "snapshot, updates, deletes, key changes, truncate, unchanged TOAST, ADD COLUMN: ClickHouse (FINAL) equals the source"
else
	failed "ClickHouse does not equal the source after the workload (sink $(kill -0 "$sink_pid" 2>/dev/null && echo running || echo gone))"
	tail -8 "$work/sink.log"
fi

(
	for round in $(seq 1 30); do
		sql -c "INSERT INTO orders (id, customer, amount) SELECT g, 'load', $round FROM generate_series(2000 + $round * 100, 2000 + $round * 100 + 99) g" \
		    -c "UPDATE items SET qty = qty + 1 WHERE order_id = $round % 50" \
		    -c "DELETE FROM orders WHERE id = 2000 + ($round - 1) * 100 + 50" >/dev/null
		sleep 0.15
	done
) &
writer=$!
for round in 1 2; do
	sleep 1
	kill -KILL "$shipper_pid"; wait "$shipper_pid" 2>/dev/null
	start_shipper "$work/shipper.log" --slot sink_ch --topic-prefix wh -s 100
	sleep 0.5
	kill -KILL "$sink_pid"; wait "$sink_pid" 2>/dev/null
	start_sink
	sleep 0.5
	clickhouse_stop "$work/ch"
	clickhouse_start "$work/ch" "$ch_port" >/dev/null
done
wait "$writer"
wait_confirmed sink_ch
if converged 120; then
	ok "shipper killed 2x, sink killed 2x, ClickHouse restarted 2x under load: ClickHouse (FINAL) equals the source"
else
	failed "ClickHouse does not equal the source after the faults (sink $(kill -0 "$sink_pid" 2>/dev/null && echo running || echo gone))"
	tail -8 "$work/sink.log"
fi
if [ "$(chq "SELECT count() > 0 FROM flatwal_sink.checkpoints FINAL WHERE consumer_group = 'flatwal-sink'")" = 1 ] &&
	[ "$(chq "SELECT abs(toInt64(max(_commit_time_ms) / 1000) - toInt64(toUInt32(now()))) < 600 FROM public.orders WHERE customer = 'load'")" = 1 ]; then
	ok "the checkpoint table in ClickHouse advances with the batches; rows carry their commit time"
else
	failed "no checkpoints in flatwal_sink.checkpoints"
fi
# Default replica identity and a TOASTed column that 2,000 updates leave
# unchanged (the WAL does not carry it): the sink completes each row from
# the batch or from the table's current row, so the result does not depend
# on batch boundaries — small batches, then large ones, a sink SIGKILL
# between — and no update is a dead letter.
sql >/dev/null <<'SQL'
CREATE TABLE docs (id int PRIMARY KEY, title text, n int, body text);
ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
SELECT flatwal.add_table('docs');
INSERT INTO docs SELECT g, 'title ' || g, 0, repeat(md5(g::text), 150) FROM generate_series(1, 200) g;
SQL
docs_pg() { sql -F $'\t' -c "SELECT id, title, n, md5(body) FROM docs ORDER BY id"; }
docs_ch() { chq "SELECT id, title, n, lower(hex(MD5(body))) FROM public.docs FINAL WHERE _deleted = 0 ORDER BY id FORMAT TabSeparated" 2>/dev/null; }
toast_letters() { timeout 20 kcat -b "$bootstrap" -C -t wh.flatwal.dlq -o beginning -e -q -f '%h\n' 2>/dev/null | grep -c 'TOAST'; }
kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null
start_sink --batch-rows 7 --batch-ms 50
toast_update() {  # one transaction of 20 updates that leave body unchanged
	echo "UPDATE docs SET n = n + 1, title = 'round $1' WHERE id % 10 = $(( $1 % 10 ));"
}
run_load 1 50 toast_update
kill -KILL "$sink_pid"; wait "$sink_pid" 2>/dev/null
start_sink --batch-rows 100000 --batch-ms 2000
run_load 51 100 toast_update
# Key changes that leave it unchanged too: the values come from the old key's row.
for step in 1 2 3 4; do
	sql -c "UPDATE docs SET id = id + 100000, title = 'moved $step' WHERE id % 4 = $((step - 1)) AND id < 100000" >/dev/null
	sleep 0.3
done
# Rows updated (the TOAST value rewritten), then moved leaving it unchanged,
# in one transaction: the new key's copy of the move is in another partition
# than the update and may come first, in the same batch (large batches) or
# in an earlier one (batches of 3 rows); the value is the update's.
update_then_move() {  # TITLE
	sql -c "BEGIN" -c "UPDATE docs SET body = repeat(md5(id::text || '$1'), 150) WHERE id % 2 = 0" \
	    -c "UPDATE docs SET id = id + 100000, title = '$1' WHERE id % 2 = 0" -c "COMMIT" >/dev/null
}
update_then_move 'moved again'
wait_confirmed sink_ch
for _ in $(seq 1 60); do [ "$(docs_pg)" = "$(docs_ch)" ] && break; sleep 0.5; done  # applied (or the check below fails)
kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null
start_sink --batch-rows 3 --batch-ms 50
update_then_move 'moved once more'
wait_confirmed sink_ch
same=""
for _ in $(seq 1 120); do [ "$(docs_pg)" = "$(docs_ch)" ] && same=yes && break; sleep 0.5; done
letters=$(toast_letters)
if [ -n "$same" ] && [ "$letters" = 0 ]; then
	ok "2,000 updates and 400 key changes that left a TOASTed column unchanged (default identity), 200 of them right after an update of it, small and large batches, a sink SIGKILL: ClickHouse (FINAL) equals the source, 0 dead letters"
else
	failed "unchanged TOAST in ClickHouse: $letters dead letters; $(diff <(docs_pg) <(docs_ch) | grep -c '^>') rows differ"
	first=$(timeout 20 kcat -b "$bootstrap" -C -t wh.flatwal.dlq -o beginning -e -q -f '%h\n' 2>/dev/null | head -1)
	echo "$first"
	key=$(echo "$first" | sed -nE 's/.*flatwal.old_key=\[([0-9]+)\].*/\1/p')
	[ -n "$key" ] && chq "SELECT id, title, _commit_lsn, _seq, _lsn, _deleted FROM public.docs WHERE id IN ($key, $key + 100000) FORMAT TabSeparated"
	grep -E 'level=(error|warning)' "$work/sink.log" | tail -3
	diff <(docs_pg) <(docs_ch) | head -4
fi

kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null; sink_pid=""
kill -TERM "$shipper_pid"; wait "$shipper_pid" 2>/dev/null; shipper_pid=""
drop_database "$db"
finish_suite "flatwal-sink (ClickHouse target)"
