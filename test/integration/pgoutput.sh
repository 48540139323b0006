#!/usr/bin/env bash
# The pgoutput source (--source pgoutput): what a managed service offers.
#   1. Differential, on the cluster given (PORT): the initial snapshot of rows of
#      every type the plugin encodes, then one workload (extremes, NULLs in
#      arrays, TOAST left unchanged by an update and by a key change, REPLICA
#      IDENTITY FULL, a partitioned table published via its root and a row
#      moved between partitions, a table without a key, logical messages, ADD,
#      RENAME, DROP and ALTER COLUMN ... TYPE, a table renamed, TRUNCATE; a publication whose name
#      needs quoting) shipped by a flatwal slot and by a
#      pgoutput slot: per topic and key the same events, positions, schema
#      versions and all (compare_shipped.py) — in flatwal's frames and in
#      the Debezium format.
#   2. A managed-like server of its own: output_plugin_libraries as
#      PostgreSQL ships it (pgoutput, test_decoding), no flatwal extension,
#      the shipper as a non-superuser role with REPLICATION that owns the
#      tables and the publication; flatwal-sink applies the topics to a
#      target that then equals the source, value for value (the initial
#      snapshot, then the stream); the shipper killed in the middle of its
#      snapshot takes it again; restarted, it keeps the schema versions it
#      gave; the shipper SIGKILLed and PostgreSQL restarted -m immediate
#      under load, with heartbeats through the slot; a slot dropped while it was down (rows deleted meanwhile) is
#      resynchronised and the target loses the deleted rows; an on-demand
#      snapshot requested through a signal table repairs a damaged target
#      while writes go on; and the
#      refusals: a missing publication, the flatwal source without its
#      extension, an unknown source.
#
#   pgoutput.sh PORT      (a cluster started by run-suites.sh)
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/itest.sh
shared_port=$1
port=$shared_port
db=flatwal_pgoutput
work=$(mktemp -d /tmp/flatwal-pgoutput.XXXXXX)
chmod 755 "$work"
second_pid="" third_pid="" fourth_pid=""
sink_pid=""
trap 'for p in $second_pid $third_pid $fourth_pid; do kill -KILL "$p" 2>/dev/null; done; [ -n "$sink_pid" ] && kill -KILL "$sink_pid" 2>/dev/null; stop_started; cluster_stop "$work/managed"; rm -rf "$work"' EXIT

# The workload, in both parts. Columns of every kind the plugin encodes.
schema_sql() {
	cat <<'SQL'
SET client_min_messages = warning;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, amount numeric(12,2), note text,
    created timestamptz, day date, at_time time, tags text[], payload jsonb, span interval, flag boolean,
    ratio float8, raw bytea, ref uuid, feeling mood, qty positive, boxes box[], r real, big bigint, small smallint,
    t timestamp, tz timetz, js json, vc varchar(10), ch char(3), nums numeric[], ip inet, feelings mood[],
    span_of int4range, at_point point);
ALTER TABLE orders ALTER COLUMN note SET STORAGE EXTERNAL;
CREATE TABLE full_t (a int PRIMARY KEY, b text);
ALTER TABLE full_t REPLICA IDENTITY FULL;
CREATE TABLE nokey (at timestamptz, what text);  -- insert-only: no key, no identity
CREATE TABLE parted (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE parted_eu PARTITION OF parted FOR VALUES IN ('eu');
CREATE TABLE parted_us PARTITION OF parted FOR VALUES IN ('us');
SQL
}
# Rows there before the shippers start: their snapshots read them. N: how many orders.
initial_rows() {
	sql -v n="$1" >/dev/null <<'SQL'
INSERT INTO orders SELECT g, 'c' || g, g * 1.25, repeat('initial ', 300), '2024-01-01 00:00:00+00'::timestamptz - g * interval '1 day',
    '2024-02-29'::date - g, '23:59:59.999999'::time, ARRAY[ARRAY['x', NULL], ARRAY['y', 'z']], jsonb_build_object('g', -g),
    make_interval(years => g), g % 3 = 0, -g / 7.0, '\xdeadbeef'::bytea, md5((-g)::text)::uuid, 'ok', g,
    ARRAY[box '((0,0),(2,2))'], 3.25, -g, 7, '2000-01-01', '23:59:59-12:00', '[1, {"b": null}]', 'i' || g, 'ab', '{}', '::1', '{happy}'
  FROM generate_series(100001, 100000 + :n) g;
INSERT INTO full_t VALUES (100, 'before');
INSERT INTO parted SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, 'v' || g FROM generate_series(1001, 1040) g;
SQL
}
workload() {
	sql >/dev/null <<'SQL'
INSERT INTO orders SELECT g, 'c' || g, g * 1.25, NULL, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 hour',
    '2024-02-29'::date + g, '12:34:56.789'::time, ARRAY['a', 'b"' || g, NULL], jsonb_build_object('g', g, 'n', NULL),
    make_interval(months => g, days => -g, secs => g * 1.5), g % 2 = 0, g / 3.0, '\x00ff'::bytea,
    md5(g::text)::uuid, 'happy', g, ARRAY[box '((1,2),(3,4))', box '((0,0),(1,1))'], 1.5e-7 * g, 9007199254740993, -32768,
    '1999-12-31 23:59:59.999999', '01:02:03+05:30', '{"a": [1, 2.50]}', 'v' || g, 'x', '{1.5,NaN,-0}', '10.0.0.1/8', '{sad,ok}'
  FROM generate_series(1, 50) g;
INSERT INTO orders (id, customer, ratio, r, span, created, day, t, tz, amount)
  VALUES (100, 'extremes', 'Infinity', '-Infinity', '-178000000 years', 'infinity', '-infinity', '294276-12-31 23:59:59.999999',
          '24:00:00-15:59:59', -9999999999.99),
         (101, 'more', 'NaN', 1.17549435e-38, '178000000 years 1 second', '4713-01-01 00:00:00+00 BC', '5874897-12-31',
          '-infinity', '00:00:00+15:59:59', 0.01);
UPDATE orders SET note = repeat('long ', 1000) WHERE id <= 5;
UPDATE orders SET amount = 7 WHERE id = 2;
UPDATE orders SET id = id + 1000 WHERE id IN (3, 4);
UPDATE orders SET id = 20000, note = 'moved and changed' WHERE id = 5;
DELETE FROM orders WHERE id = 1;
INSERT INTO full_t VALUES (1, 'one'), (2, 'two'), (3, NULL);
UPDATE full_t SET b = 'uno' WHERE a = 1;
DELETE FROM full_t WHERE a = 2;
INSERT INTO parted VALUES (1, 'eu', 'a'), (2, 'us', 'b');
INSERT INTO nokey SELECT '2024-01-01'::timestamptz + g * interval '1 minute', 'event ' || g FROM generate_series(1, 5) g;
UPDATE parted SET region = 'us' WHERE id = 1;
BEGIN; INSERT INTO orders (id, customer) VALUES (200, 'in tx'); SELECT pg_logical_emit_message(true, 'app', 'tx msg'); COMMIT;
SELECT pg_logical_emit_message(false, 'app', 'plain');
ALTER TABLE orders ADD COLUMN extra int DEFAULT 5;
UPDATE orders SET extra = 6 WHERE id = 6;
ALTER TABLE orders RENAME COLUMN extra TO bonus;
UPDATE orders SET bonus = 7 WHERE id = 7;
TRUNCATE full_t;
SQL
}
# consumed PREFIX FILE: every record of PREFIX.*, as flatwal-consume prints them, the prefix as X.
# The topics are named one by one: a subscription by pattern may start on some before it sees the rest.
consumed() {
	local topics=()
	for t in $(kcat -b "$bootstrap" -L -J 2>/dev/null | /usr/bin/python3 -c '
import json, sys
print("\n".join(t["topic"] for t in json.load(sys.stdin)["topics"] if t["topic"].startswith(sys.argv[1] + ".")))' "$1"); do
		topics+=(-t "$t")
	done
	build/bin/flatwal-consume -b "$bootstrap" "${topics[@]}" -g "read_$1" --from-beginning --exit-when-idle 5000 2>/dev/null |
		sed "s/\"topic\":\"$1\\./\"topic\":\"X./" >"$2"
}

# debezium_dump PREFIX FILE: every record of the Debezium topics PREFIX.* (not flatwal's own PREFIX.flatwal.*,
# which hold frames), as kcat prints it (topic, partition, offset, key, value), the prefix as X.
debezium_dump() {
	: >"$2"
	for t in $(kcat -b "$bootstrap" -L -J 2>/dev/null | /usr/bin/python3 -c '
import json, sys
print("\n".join(t["topic"] for t in json.load(sys.stdin)["topics"]
                if t["topic"].startswith(sys.argv[1] + ".") and not t["topic"].startswith(sys.argv[1] + ".flatwal.")))' "$1"); do
		timeout 30 kcat -b "$bootstrap" -C -t "$t" -o beginning -e -q -f '%t\t%p\t%o\t%k\t%s\n' 2>/dev/null >>"$2"
	done
	sed -i "s/$1\([.\"]\)/X\1/g" "$2"
}

# 1. Differential, on the cluster given.
{ schema_sql; cat <<'SQL'
CREATE EXTENSION flatwal;
-- The same events from both sources: the extension's snapshot of a rewritten table
-- (ALTER COLUMN … TYPE below) is a request pgoutput mode leaves to the user.
ALTER EVENT TRIGGER flatwal_table_rewrite DISABLE;
SELECT flatwal.add_table('orders'), flatwal.add_table('full_t'), flatwal.add_table('parted'), flatwal.add_table('nokey');
CREATE PUBLICATION "Shop's ""pub""" FOR TABLE orders, full_t, parted, nokey WITH (publish_via_partition_root = true);
SQL
} | fresh_database "$db"
initial_rows 300
start_test_broker
start_shipper "$work/plugin.log" --slot pgo_plugin --topic-prefix plugin -s 100
second_pid=$shipper_pid
start_shipper "$work/pgoutput.log" --slot pgo_pgoutput --topic-prefix pgo --source pgoutput --publication "Shop's \"pub\"" -s 100
third_pid=$shipper_pid
# The Debezium format from each source, compared the same way.
start_shipper "$work/dplugin.log" --slot pgo_dplugin --topic-prefix dplugin --format debezium-json -s 100
fourth_pid=$shipper_pid
start_shipper "$work/dpgo.log" --slot pgo_dpgo --topic-prefix dpgo --format debezium-json --source pgoutput \
	--publication "Shop's \"pub\"" -s 100
wait_streaming "$work/plugin.log" && wait_streaming "$work/pgoutput.log" && wait_streaming "$work/dplugin.log" &&
	wait_streaming "$work/dpgo.log"
workload
sql -c "UPDATE orders SET span_of = '[1,5)', at_point = '(1.5,-2)' WHERE id = 8" -c "ALTER TABLE nokey RENAME TO nokey_renamed" \
    -c "INSERT INTO nokey_renamed VALUES ('2025-01-01', 'after the rename')" \
    -c "ALTER TABLE orders DROP COLUMN vc" -c "UPDATE orders SET small = 8 WHERE id = 8" \
    -c "ALTER TABLE orders ALTER COLUMN small TYPE bigint" -c "UPDATE orders SET small = 9 WHERE id = 9" >/dev/null
wait_confirmed pgo_plugin && wait_confirmed pgo_pgoutput && wait_confirmed pgo_dplugin && wait_confirmed pgo_dpgo
consumed plugin "$work/plugin.txt"
consumed pgo "$work/pgoutput.txt"
compared=$(/usr/bin/python3 test/integration/compare_shipped.py "$work/plugin.txt" "$work/pgoutput.txt")
records=$(grep -c '"event":{' "$work/pgoutput.txt")
if echo "$compared" | tail -1 | grep -q ', 0 differ$' && [ "$records" -gt 400 ] &&
	grep -q 'level=warning msg="tables of the publication have no replica identity.*tables=public.nokey ' "$work/pgoutput.log" &&
	grep -q 'msg="a breaking schema change was captured" table=public.orders version=[0-9]* change="dropped or renamed: vc"' "$work/pgoutput.log" &&
	grep -q 'msg="a breaking schema change was captured" table=public.orders version=[0-9]* change="retyped: small"' "$work/pgoutput.log"; then
	ok "pgoutput and the flatwal plugin ship the same events for every topic and key ($records records: snapshot, values, positions, versions, truncates, messages); the table without a replica identity is named at start; DROP and ALTER COLUMN TYPE are reported as breaking"
else
	failed "pgoutput against the plugin: $(echo "$compared" | cut -c1-600)"
fi
debezium_dump dplugin "$work/dplugin.tsv"
debezium_dump dpgo "$work/dpgo.tsv"
compared=$(/usr/bin/python3 test/integration/compare_shipped.py --debezium "$work/dplugin.tsv" "$work/dpgo.tsv")
records=$(grep -c '"op":"[cudr]"' "$work/dpgo.tsv")
if echo "$compared" | tail -1 | grep -q ', 0 differ$' && [ "$records" -gt 400 ]; then
	ok "in the Debezium format too, pgoutput and the flatwal plugin ship the same records per topic and key ($records change records, schemas, tombstones, truncates, messages)"
else
	failed "Debezium format, pgoutput against the plugin ($records records): $(echo "$compared" | cut -c1-600)"
fi
kill -TERM "$shipper_pid" "$second_pid" "$third_pid" "$fourth_pid"
wait "$shipper_pid" "$second_pid" "$third_pid" "$fourth_pid" 2>/dev/null
shipper_pid="" second_pid="" third_pid="" fourth_pid=""
sql -c "SELECT pg_drop_replication_slot(s) FROM unnest('{pgo_plugin,pgo_pgoutput,pgo_dplugin,pgo_dpgo}'::text[]) s" >/dev/null
drop_database "$db"

# 2. A managed-like server: only the plugins PostgreSQL ships may be loaded.
port=$(test/lib/free-port.sh)
if ! cluster_start "$work/managed" "$port" "output_plugin_libraries = 'pgoutput, test_decoding'"; then
	failed "start the managed-like server"; finish_suite "pgoutput source"; exit 1
fi
{ echo "CREATE ROLE app LOGIN REPLICATION; GRANT CREATE ON DATABASE $db TO app; GRANT ALL ON SCHEMA public TO app; SET ROLE app;"
  schema_sql
} | fresh_database "$db"
app="host=127.0.0.1 port=$port user=app dbname=$db"
shipper_as_app() {  # LOG [ARGS...]: the shipper as the role app, from the pgoutput slot
	local log=$1
	shift
	build/bin/flatwal-shipper -d "$app" -b "$bootstrap" --slot managed --topic-prefix managed --source pgoutput \
		-s 100 "$@" >>"$log" 2>&1 &
	shipper_pid=$!
}

# Refusals, each at once with what to do.
missing=$(timeout 30 build/bin/flatwal-shipper -d "$app" -b "$bootstrap" --source pgoutput --snapshot never --publication nope 2>&1)
missing_rc=$?
plugin=$(timeout 30 build/bin/flatwal-shipper -d "$app" -b "$bootstrap" --snapshot never --slot plugin_here 2>&1)
plugin_rc=$?
bogus=$(timeout 30 build/bin/flatwal-shipper -d "$app" -b "$bootstrap" --source wal2json 2>&1)
bogus_rc=$?
# --publication-tables: a table that does not exist creates nothing; existing ones get their publication.
no_table=$(timeout 30 build/bin/flatwal-shipper -d "$app" -b "$bootstrap" --source pgoutput --publication made \
	--publication-tables 'public.orders, public.nope' 2>&1)
no_table_rc=$?
made=$(timeout 30 build/bin/flatwal-shipper -d "$app" -b "$bootstrap" --source pgoutput --publication made \
	--publication-tables 'orders,public.full_t' --slot not_here --no-create-slot 2>&1)
made_rc=$?
made_tables=$(sql -c "SELECT string_agg(tablename, ',' ORDER BY tablename) || ' ' || bool_and(p.pubviaroot)
                      FROM pg_publication_tables t JOIN pg_publication p USING (pubname) WHERE pubname = 'made'")
# A role that may not read the tables: refused before any slot is made.
sql -c "CREATE ROLE reader_not LOGIN REPLICATION" >/dev/null
unreadable=$(timeout 30 build/bin/flatwal-shipper -d "host=127.0.0.1 port=$port user=reader_not dbname=$db" -b "$bootstrap" \
	--source pgoutput --publication made --slot unreadable 2>&1)
unreadable_rc=$?
unreadable_slots=$(sql -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'unreadable'")
if [ "$missing_rc" = 3 ] && grep -q 'level=error msg="publication \\"nope\\" does not exist".*hint="Create it as the tables.* owner, e.g. CREATE PUBLICATION nope FOR TABLE' <<<"$missing" &&
	[ "$plugin_rc" = 3 ] && grep -q 'level=error msg="cannot read flatwal.snapshot_progress.*run with --source pgoutput' <<<"$plugin" &&
	[ "$bogus_rc" = 1 ] && grep -q 'invalid value for postgres.source' <<<"$bogus" && grep -q '^HINT: Use flatwal or pgoutput' <<<"$bogus" &&
	[ "$no_table_rc" = 3 ] && grep -q 'msg="table \\"public.nope\\" of --publication-tables does not exist" detail="Nothing was created."' <<<"$no_table" &&
	[ "$made_rc" = 3 ] && grep -q 'msg="created publication" publication=made' <<<"$made" && [ "$made_tables" = "full_t,orders true" ] &&
	[ "$unreadable_rc" = 3 ] && [ "$unreadable_slots" = 0 ] &&
	grep -q 'msg="the shipper.s role may not read tables of the publication: public.full_t, public.orders".*hint="GRANT SELECT ON public.full_t, public.orders TO \\"reader_not\\""' <<<"$unreadable"; then
	ok "refused with what to do: a missing publication (exit 3), the flatwal source without its extension (exit 3), an unknown source (exit 1), a missing table of --publication-tables (nothing created), a role that may not read the tables (no slot made); --publication-tables creates the publication"
else
	failed "refusals: $missing_rc: $(echo "$missing" | tail -1 | cut -c1-300) / $plugin_rc: $(echo "$plugin" | grep level=error | head -1 | cut -c1-300) / $bogus_rc: $bogus / $no_table_rc: $(echo "$no_table" | grep level=error | head -1 | cut -c1-200) / $made_rc: $made_tables / $unreadable_rc, $unreadable_slots slots: $(echo "$unreadable" | grep level=error | head -1 | cut -c1-300)"
fi

# cards.number is left out by the publication's column list: it must never reach Kafka.
sql >/dev/null <<'SQL'
SET ROLE app;
CREATE TABLE cards (id int PRIMARY KEY, holder text, number text);
INSERT INTO cards SELECT g, 'holder ' || g, '4111-1111-1111-' || lpad(g::text, 4, '0') FROM generate_series(1, 20) g;
CREATE TABLE flatwal_snapshot_requests (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, table_name text NOT NULL,
    state text NOT NULL DEFAULT 'pending', rows_done bigint, requested_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz);
-- Large enough for the snapshot's planner to read it in two key ranges (narrow: the test broker keeps ~5 MiB a partition).
CREATE TABLE events (id bigint PRIMARY KEY, n int);
INSERT INTO events SELECT g, g % 7 FROM generate_series(1, 120000) g;
ANALYZE events;
CREATE PUBLICATION flatwal FOR TABLE orders, full_t, parted, cards (id, holder), events, flatwal_snapshot_requests
    WITH (publish_via_partition_root = true);
SQL
echo "topic managed.public.events 16" >"$work/broker.ctl"
initial_rows 30000
# Killed as soon as its snapshot started, started again: it takes the snapshot again.
shipper_as_app "$work/managed.log"
for _ in $(seq 1 600); do grep -q 'msg="snapshot started"' "$work/managed.log" && break; sleep 0.05; done
kill -KILL "$shipper_pid"; wait "$shipper_pid" 2>/dev/null
killed_mid=$(grep -q 'msg="snapshot complete"' "$work/managed.log" && echo no || echo yes)
shipper_as_app "$work/managed.log" --snapshot-workers 2
wait_streaming "$work/managed.log" 90
target_db=flatwal_pgoutput_target
psql -X -q -h 127.0.0.1 -p "$shared_port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $target_db" -c "CREATE DATABASE $target_db" >/dev/null 2>&1
target="host=127.0.0.1 port=$shared_port user=postgres dbname=$target_db"
build/bin/flatwal-sink -b "$bootstrap" -d "$target" --topic-prefix managed --batch-ms 100 -X session.timeout.ms=6000 \
	-X heartbeat.interval.ms=500 >>"$work/sink.log" 2>&1 &
sink_pid=$!
workload
sql -c "INSERT INTO full_t VALUES (7, 'after the truncate')" -c "UPDATE events SET n = n + 1 WHERE id % 1000 = 0" -c "DELETE FROM events WHERE id = 60001" >/dev/null
# Same rows, same values: every column the source has, in key order, on both sides.
rows() {  # CONNINFO TABLE ORDER
	psql -X -At -d "$1" -c "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY $3)), '')
	  FROM (SELECT $(sql -c "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
	                         WHERE attrelid = 'public.$2'::regclass AND attnum > 0 AND NOT attisdropped") FROM public.$2) t" 2>&1
}
same() {
	[ "$(rows "$app" orders id)" = "$(rows "$target" orders id)" ] && [ "$(rows "$app" parted id)" = "$(rows "$target" parted id)" ] &&
		[ "$(rows "$app" full_t a)" = "$(rows "$target" full_t a)" ] && [ "$(rows "$app" events id)" = "$(rows "$target" events id)" ]
}
sql -c "INSERT INTO cards VALUES (21, 'streamed', '4111-1111-1111-0021')" -c "UPDATE cards SET number = '4111-1111-1111-9999', holder = 'moved' WHERE id = 1" >/dev/null
for _ in $(seq 1 300); do same && break; sleep 0.2; done
cards=$(timeout 20 kcat -b "$bootstrap" -C -t managed.public.cards -o beginning -e -q 2>/dev/null | tr -d "\000")
# Five tables read by two readers, events in two key ranges (six units): the signal table is no data.
if same && [ "$(sql -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'app'")" = f ] &&
	grep -q 'msg="snapshot started" slot=managed publication=flatwal tables=5 units=6 readers=2' "$work/managed.log"; then
	ok "on a server that loads only pgoutput, as a non-superuser: flatwal-sink's target equals the source after a snapshot by two readers (a large table in two key ranges) and the stream ($(rows "$app" orders id | cut -d: -f1) orders, every column; $(rows "$app" events id | cut -d: -f1) events)"
else
	failed "managed-like: orders $(rows "$app" orders id) vs $(rows "$target" orders id); parted $(rows "$app" parted id) vs $(rows "$target" parted id); full_t $(rows "$app" full_t a) vs $(rows "$target" full_t a); events $(rows "$app" events id) vs $(rows "$target" events id); $(grep -o 'msg="snapshot started".*' "$work/managed.log" | tail -1)"
	grep -E 'level=(error|warning)' "$work/managed.log" "$work/sink.log" | tail -4
fi

cards_target=$(psql -X -At -d "$target" -c "SELECT count(*) || ' ' || (SELECT holder FROM public.cards WHERE id = 1) || ' ' ||
  (SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.cards'::regclass AND attname = 'number') FROM public.cards" 2>&1)
if [ "$cards_target" = "21 moved 0" ] && ! grep -q '4111' <<<"$cards" && grep -q 'holder 20' <<<"$cards"; then
	ok "a column the publication's column list leaves out never reaches Kafka (snapshot and stream); the target has the others"
else
	failed "column list: target '$cards_target', card numbers in Kafka: $(echo "$cards" | grep -c 4111)"
fi

# A restart: the versions given before are read back; a new shape takes the next number.
# (Versions are numbered by shape: a shape seen before, say after a column was
# added and dropped again, takes its old number back.)
kill -TERM "$shipper_pid"; wait "$shipper_pid" 2>/dev/null
sql -c "UPDATE orders SET bonus = 8 WHERE id = 8" -c "ALTER TABLE orders ADD COLUMN later text" -c "UPDATE orders SET later = 'x' WHERE id = 9" >/dev/null
shipper_as_app "$work/managed.log"
wait_confirmed managed
version_of() {  # ID: the schema version of the last change of orders row ID
	grep "\"topic\":\"managed.public.orders\".*\"key\":\"\\[$1\\]\"" "$work/after.txt" | tail -1 | grep -o '"version":[0-9]*' | cut -d: -f2
}
build/bin/flatwal-consume -b "$bootstrap" -t managed.public.orders -g read_after --from-beginning --exit-when-idle 5000 >"$work/after.txt" 2>/dev/null
before=$(version_of 7)
if grep -q 'msg="read the schema versions shipped before".*frames=[1-9]' "$work/managed.log" &&
	[ -n "$before" ] && [ "$(version_of 8)" = "$before" ] && [ "$(version_of 9)" = "$((before + 1))" ]; then
	ok "restarted, the shipper keeps the versions it gave (the renamed shape stays $before after the restart, a new column's takes $((before + 1)))"
else
	failed "versions across a restart: before $before, after $(version_of 8) and $(version_of 9) ($(wc -l <"$work/after.txt") records read)"
fi

if [ "$killed_mid" = yes ] && grep -q 'msg="the initial snapshot of this slot did not finish' "$work/managed.log" &&
	[ "$(grep -c 'msg="snapshot complete"' "$work/managed.log")" = 1 ]; then
	ok "killed in the middle of its snapshot, the shipper takes it again when started (the slot had no record yet)"
else
	failed "killed mid-snapshot: killed before its end $killed_mid; $(grep -E 'snapshot|slot' "$work/managed.log" | cut -c1-200 | tail -5)"
fi

# Faults under load: the shipper SIGKILLed and started again (with
# heartbeats), then PostgreSQL restarted with -m immediate, while rows are
# written; the target equals the source, and heartbeats arrive.
( for i in $(seq 1 40); do
	sql -c "INSERT INTO orders (id, customer) VALUES (200000 + $i, 'under faults')" \
	    -c "UPDATE orders SET amount = coalesce(amount, 0) + 1 WHERE id % 41 = $i" >/dev/null 2>&1 || sleep 0.3
	sleep 0.1
  done ) &
writer=$!
sleep 1
kill -KILL "$shipper_pid"; wait "$shipper_pid" 2>/dev/null
shipper_as_app "$work/managed.log" --heartbeat-interval 300
sleep 1
cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/managed/data" -m immediate -w restart -l "$work/managed/server.log" >/dev/null
wait "$writer"
for _ in $(seq 1 300); do same && break; sleep 0.2; done
heartbeats=$(timeout 20 kcat -b "$bootstrap" -C -t managed.flatwal.heartbeat -o beginning -e -q -f '%k\n' 2>/dev/null | grep -c heartbeat)
if same && [ "$heartbeats" -gt 0 ] && [ "$(sql -c "SELECT count(*) FROM orders WHERE customer = 'under faults'")" -gt 0 ]; then
	ok "the shipper SIGKILLed and PostgreSQL restarted (-m immediate) under load: the target equals the source; $heartbeats heartbeats through the pgoutput slot"
else
	failed "faults: orders $(rows "$app" orders id) vs $(rows "$target" orders id); heartbeats $heartbeats"
	grep -E 'level=(error|warning)' "$work/managed.log" | tail -3 | cut -c1-300
fi

# An on-demand snapshot without the extension: a row inserted into the signal
# table. The target is damaged behind the pipeline's back (rows deleted, values
# changed) and writes go on while the table is read in chunks (2 readers);
# once the request is done, the target equals the source again. Requests for
# a table that does not exist and for one outside the publication are done
# with no rows; the signal table itself never reaches Kafka.
psql -X -q -d "$target" -c "DELETE FROM public.orders WHERE id % 7 = 0" -c "UPDATE public.orders SET customer = 'damaged' WHERE id % 11 = 0" >/dev/null
kill -TERM "$shipper_pid"; wait "$shipper_pid" 2>/dev/null
shipper_as_app "$work/managed.log" --snapshot-workers 2
wait_streaming "$work/managed.log"
( for i in $(seq 1 30); do
	# note too: a row the target lacks cannot be rebuilt from an update that leaves its TOASTed note unchanged (docs/pgoutput.md)
	sql -c "UPDATE orders SET amount = coalesce(amount, 0) + 1, customer = 'during the snapshot', note = 'n$i' WHERE id % 97 = $i" >/dev/null 2>&1
	sleep 0.05
  done ) &
writer=$!
sql -c "INSERT INTO flatwal_snapshot_requests (table_name) VALUES ('public.orders'), ('public.no_such_table'), ('nokey')" >/dev/null
for _ in $(seq 1 600); do
	[ "$(sql -c "SELECT string_agg(state, ',' ORDER BY id) FROM flatwal_snapshot_requests")" = done,done,done ] && break
	sleep 0.1
done
wait "$writer"
for _ in $(seq 1 300); do same && break; sleep 0.2; done
requests=$(sql -c "SELECT string_agg(state || ' ' || rows_done, ',' ORDER BY id) FROM flatwal_snapshot_requests")
source_rows=$(sql -c "SELECT count(*) FROM orders")
# Every row either sent or left out for a newer value in the stream (the writer only updates).
done_line=$(grep -o 'msg="on-demand snapshot done" request=1 table=public.orders rows=[0-9]* left_out_changed_in_window=[0-9]* left_out_changed_unseen=[0-9]*' "$work/managed.log" | tail -1)
sent=$(echo "$done_line" | sed -n 's/.* rows=\([0-9]*\) .*/\1/p')
left=$(echo "$done_line" | sed -n 's/.*in_window=\([0-9]*\) left_out_changed_unseen=\([0-9]*\)$/\1 + \2/p')
if same && [ -n "$sent" ] && [ -n "$left" ] && [ "$requests" = "done $sent,done 0,done 0" ] && [ $((sent + left)) = "$source_rows" ] &&
	grep -q 'msg="on-demand snapshot request skipped: its table does not exist" request=2' "$work/managed.log" &&
	grep -q 'msg="on-demand snapshot request skipped: its table is not captured" request=3 table=public.nokey' "$work/managed.log" &&
	! grep -q 'flatwal_snapshot_requests' <<<"$(timeout 10 kcat -b "$bootstrap" -L 2>/dev/null)"; then
	ok "an on-demand snapshot requested through the signal table (no extension, no superuser) repairs a damaged target while writes go on ($sent rows sent, $((left)) left out for the stream's newer values; requests for a missing and an unpublished table done with 0)"
else
	failed "on-demand: requests '$requests' (source $source_rows rows); orders $(rows "$app" orders id) vs $(rows "$target" orders id)"
	grep -E 'level=(error|warning)|on-demand' "$work/managed.log" | tail -5 | cut -c1-300
fi

# A lost slot, with rows deleted and changed while it was gone: the shipper
# knows it existed (its record in Kafka) and resynchronises; the target loses
# the deleted rows.
kill -TERM "$shipper_pid"; wait "$shipper_pid" 2>/dev/null; shipper_pid=""
sql -c "SELECT pg_drop_replication_slot('managed')" -c "DELETE FROM orders WHERE id % 10 = 0" \
    -c "UPDATE parted SET v = 'while lost' WHERE id % 3 = 0" -c "INSERT INTO full_t VALUES (8, 'while lost')" >/dev/null
shipper_as_app "$work/managed.log"
wait_for_log "$work/managed.log" 'msg=resynchronised' 90 >/dev/null
sql -c "UPDATE orders SET amount = 1 WHERE id = 11" >/dev/null
for _ in $(seq 1 300); do same && break; sleep 0.2; done
if grep -q 'msg="resynchronising: a new slot.*reason="replication slot \\"managed\\" does not exist, but managed.flatwal.shipped records its creation' "$work/managed.log" &&
	same && kill -0 "$shipper_pid" 2>/dev/null; then
	ok "a pgoutput slot dropped while the shipper was down is resynchronised: the target equals the source, the rows deleted meanwhile gone"
else
	failed "lost slot: orders $(rows "$app" orders id) vs $(rows "$target" orders id); $(grep -E 'level=(error|warning)' "$work/managed.log" | tail -2 | cut -c1-300)"
fi
kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null; sink_pid=""
psql -X -q -h 127.0.0.1 -p "$shared_port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $target_db" >/dev/null
finish_suite "pgoutput source"
