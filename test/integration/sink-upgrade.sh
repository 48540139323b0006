#!/usr/bin/env bash
# flatwal-sink started on targets an older sink wrote, before positions had
# a timeline: its state tables, a target table and a history table in their
# old shapes (the DDL below is the older sink's), holding a stale row and a
# row the source no longer has. The new sink brings them to its shape in
# place and applies the stream: the targets equal the source, the stale and
# the vanished rows are gone (the snapshot's End marker), rows written
# before carry timeline 0, and the history holds no change twice.
# PostgreSQL and ClickHouse (a throwaway server).
#
#   sink-upgrade.sh PORT      (the source cluster, started by run-suites.sh)
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
source test/lib/clickhouse.sh
port=$1
db=flatwal_upgrade
target_db=flatwal_upgrade_target
work=$(mktemp -d /tmp/flatwal-upgrade.XXXXXX)
ch_port=$(test/lib/free-port.sh)
sinks=()
trap 'for p in "${sinks[@]}"; do kill -KILL "$p" 2>/dev/null; done; stop_started; clickhouse_stop "$work/ch"; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
clickhouse_start "$work/ch" "$ch_port" || { echo "0 passed, 1 failed"; exit 1; }

fresh_database "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL, note text);
INSERT INTO acct SELECT g, g * 10, 'n' || g FROM generate_series(1, 500) g;
SELECT flatwal.add_table('acct');
SQL
tsql() { psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$target_db" "$@"; }
fresh_database "$target_db" <<'SQL'
CREATE SCHEMA flatwal_sink;
CREATE TABLE flatwal_sink.checkpoints (
    consumer_group text NOT NULL, topic text NOT NULL, kafka_partition integer NOT NULL, next_offset bigint NOT NULL,
    commit_lsn pg_lsn NOT NULL, seq bigint NOT NULL, step smallint NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, kafka_partition));
CREATE TABLE flatwal_sink.tables (
    target_schema text NOT NULL, target_table text NOT NULL, floor_commit_lsn pg_lsn NOT NULL, floor_lsn pg_lsn NOT NULL,
    PRIMARY KEY (target_schema, target_table));
CREATE TABLE public.acct (id integer, balance integer, note text, _flatwal_commit_lsn pg_lsn NOT NULL,
    _flatwal_seq bigint NOT NULL, _flatwal_lsn pg_lsn NOT NULL, PRIMARY KEY (id));
CREATE TABLE public.acct_history (commit_lsn pg_lsn NOT NULL, seq bigint NOT NULL, lsn pg_lsn NOT NULL, xid bigint NOT NULL,
    op text NOT NULL, before jsonb, after jsonb, schema_version integer NOT NULL, commit_time timestamptz,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (commit_lsn, seq));
INSERT INTO flatwal_sink.tables VALUES ('public', 'acct', '0/0', '0/0');
-- Written by the older sink: a stale value, and a row the source no longer has.
INSERT INTO public.acct VALUES (1, -1, 'stale', '0/10', 1, '0/8'), (100000, 0, 'vanished', '0/10', 2, '0/8');
INSERT INTO public.acct_history VALUES ('0/10', 1, '0/8', 5, 'insert', NULL, '{"id": 1}', 1, now());
SQL
chq "CREATE DATABASE IF NOT EXISTS flatwal_sink" >/dev/null
chq "CREATE DATABASE IF NOT EXISTS public" >/dev/null
chq "CREATE TABLE flatwal_sink.checkpoints (consumer_group String, topic String, kafka_partition Int32, next_offset Int64, commit_lsn UInt64, seq UInt32, step UInt8, applied_at DateTime) ENGINE = ReplacingMergeTree(next_offset) ORDER BY (consumer_group, topic, kafka_partition)"
chq "CREATE TABLE flatwal_sink.tables (database String, table String, floor_commit_lsn UInt64, floor_lsn UInt64) ENGINE = ReplacingMergeTree(floor_commit_lsn) ORDER BY (database, table)"
chq "CREATE TABLE public.acct (id Int32, balance Nullable(Int32), note Nullable(String), _commit_lsn UInt64, _seq UInt32, _lsn UInt64, _commit_time_ms Int64, _deleted UInt8) ENGINE = ReplacingMergeTree(_commit_lsn) ORDER BY (id)"
chq "INSERT INTO flatwal_sink.tables VALUES ('public', 'acct', 0, 0)"
chq "INSERT INTO public.acct VALUES (1, -1, 'stale', 16, 1, 8, 0, 0), (100000, 0, 'vanished', 16, 2, 8, 0, 0)"

start_test_broker
start_shipper "$work/shipper.log" --slot upgrade --topic-prefix up -s 100
wait_streaming "$work/shipper.log" 60
sql -c "UPDATE acct SET balance = balance + 1, note = 'changed' WHERE id % 10 = 0" -c "DELETE FROM acct WHERE id % 7 = 0" \
	-c "INSERT INTO acct SELECT g, g, 'late' FROM generate_series(501, 600) g" >/dev/null
wait_confirmed upgrade >/dev/null
start_sink() {  # TARGET OPTIONS...
	build/bin/flatwal-sink -b "$bootstrap" --topic-prefix up --batch-ms 200 -X session.timeout.ms=6000 "$@" \
		>>"$work/sink.log" 2>&1 &
	sinks+=($!)
}
start_sink -d "host=127.0.0.1 port=$port user=postgres dbname=$target_db" --history --group up-pg
start_sink --clickhouse "$clickhouse_url" --group up-ch

source_rows() { sql -c "SELECT id || ',' || balance || ',' || coalesce(note, '') FROM acct ORDER BY id"; }
pg_rows() { tsql -c "SELECT id || ',' || balance || ',' || coalesce(note, '') FROM public.acct ORDER BY id" 2>&1; }
ch_rows() { chq "SELECT concat(toString(id), ',', toString(balance), ',', ifNull(note, '')) FROM public.acct FINAL WHERE _deleted = 0 ORDER BY id FORMAT TabSeparatedRaw" 2>&1; }
same() { [ "$(source_rows)" = "$($1)" ]; }
for _ in $(seq 1 240); do same pg_rows && same ch_rows && break; sleep 0.5; done

if same pg_rows && [ "$(tsql -c "SELECT count(*) FROM public.acct WHERE id IN (1, 100000) AND note IN ('stale', 'vanished')")" = 0 ]; then
	ok "PostgreSQL: a target of the older sink is brought to the new shape and equals the source (the stale and the vanished row gone)"
else
	failed "PostgreSQL target after the upgrade: $(pg_rows | wc -l) rows, source $(source_rows | wc -l)"
	grep -v 'level=info' "$work/sink.log" | tail -3
fi
shape=$(tsql -c "SELECT (SELECT count(*) FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                         WHERE a.attrelid = 'public.acct'::regclass AND a.attname = '_flatwal_timeline')
              || ' ' || (SELECT max(timeline) FROM flatwal_sink.checkpoints WHERE consumer_group = 'up-pg')
              || ' ' || (SELECT floor_timeline FROM flatwal_sink.tables WHERE target_table = 'acct')
              || ' ' || (SELECT count(*) FROM public.acct WHERE _flatwal_timeline <> 1)
              || ' ' || (SELECT count(*) FROM (SELECT 1 FROM public.acct_history GROUP BY commit_lsn, seq HAVING count(*) > 1) d)
              || ' ' || (SELECT count(*) FROM public.acct_history WHERE timeline = 0)" 2>&1)
# No default left on the new column; checkpoints and floor on timeline 1; every row
# rewritten on timeline 1 (all were read again); no change twice; the older row kept at 0.
if [ "$shape" = "0 1 1 0 0 1" ]; then
	ok "PostgreSQL: _flatwal_timeline added without a default, checkpoints and floor on timeline 1, the history keeps its old rows (timeline 0) and no change twice"
else
	failed "PostgreSQL shape after the upgrade (want '0 1 1 0 0 1'): $shape"
fi

if same ch_rows; then
	ok "ClickHouse: a target of the older sink is brought to the new shape and equals the source (FINAL)"
else
	failed "ClickHouse target after the upgrade differs from the source"
	diff <(source_rows) <(ch_rows) | head -4
fi
ch_shape=$(chq "SELECT (SELECT count() FROM system.tables WHERE database = 'flatwal_sink' AND name = 'tables'),
                       (SELECT max(floor_timeline) FROM flatwal_sink.floors WHERE table = 'acct'),
                       (SELECT count() FROM system.columns WHERE database = 'flatwal_sink' AND table = 'checkpoints' AND name = 'timeline'),
                       (SELECT count() FROM system.columns WHERE database = 'public' AND table = 'acct' AND name = '_timeline')
                FORMAT TabSeparated" 2>&1)
if [ "$ch_shape" = $'0\t1\t1\t1' ]; then
	ok "ClickHouse: floors moved to flatwal_sink.floors (the old table dropped), timeline columns added"
else
	failed "ClickHouse shape after the upgrade (want 0 1 1 1): $ch_shape"
fi
finish_suite "flatwal-sink on targets of an older sink"
