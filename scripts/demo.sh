#!/usr/bin/env bash
# The flatwal demo: installs what it needs, builds, starts a throwaway
# PostgreSQL and the embedded Kafka-protocol test broker on 127.0.0.1, runs
# flatwal-shipper while a small "orders" workload runs, prints every event as
# flatwal-consume reads it back from Kafka, then applies the topics with
# flatwal-sink to a second database and shows it equal to the source.
# Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== installing dependencies and building (first run takes a while)"
scripts/install-deps.sh >/dev/null
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
make -s >/dev/null
$sudo make -s install >/dev/null

source test/lib/cluster.sh
source test/lib/itest.sh
work=$(mktemp -d /tmp/flatwal-demo.XXXXXX)
chmod 755 "$work"
port=$(test/lib/free-port.sh)
trap '[ -z "${dbz_pid:-}" ] || kill -KILL "$dbz_pid" 2>/dev/null || true; stop_started; cluster_stop "$work/pg"; rm -rf "$work"' EXIT
cluster_start "$work/pg" "$port"
start_test_broker --max-seconds 300
echo "== PostgreSQL $(sql -c 'SHOW server_version') on 127.0.0.1:$port; Kafka-protocol test broker on $bootstrap"

sql >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE orders (
    id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL,
    amount numeric(12,2) NOT NULL, note text, created_at timestamptz NOT NULL DEFAULT now(), attrs jsonb
);
INSERT INTO orders (id, customer_id, status, amount, note, created_at)
SELECT 100 + g, 7, 'archived', g, 'existing order ' || g, timestamptz '2026-01-01 00:00+00' + g * interval '1 day'
  FROM generate_series(1, 3) g;
SELECT flatwal.add_table('orders') AS schema_version \gset
SQL

echo "== flatwal-shipper: initial snapshot of the 3 existing orders, then streaming; topics demo.*"
start_shipper "$work/shipper.log" --topic-prefix demo -s 200
wait_streaming "$work/shipper.log"
sed 's/^/   shipper | /' "$work/shipper.log"
# A second shipper, slot and prefix writing the same changes in Debezium's format.
build/bin/flatwal-shipper -d "$(conninfo)" -b "$bootstrap" --slot flatwal_dbz --topic-prefix dbz -s 200 \
	--format debezium-json --debezium decimal.handling.mode=string >"$work/dbz.log" 2>&1 &
dbz_pid=$!
wait_streaming "$work/dbz.log"

echo "== workload: inserts, an update with an outbox message, a delete, a schema change"
sql >/dev/null <<'SQL'
INSERT INTO orders (id, customer_id, status, amount, note, attrs)
SELECT g, 100 + g % 3, 'new', g * 10.5, 'order ' || g, jsonb_build_object('rush', g % 2 = 0)
  FROM generate_series(1, 3) g;
BEGIN;
UPDATE orders SET status = 'paid' WHERE id = 2;
SELECT pg_logical_emit_message(true, 'outbox.payments', '{"order": 2, "event": "paid"}') AS message_lsn \gset
COMMIT;
DELETE FROM orders WHERE id = 3;
ALTER TABLE orders ADD COLUMN shipped_at timestamptz;
UPDATE orders SET status = 'shipped', shipped_at = '2026-11-22 12:00+00' WHERE id = 1;
SQL

# Wait (bounded) until the shipper has confirmed all of it, i.e. Kafka acknowledged it.
wait_confirmed flatwal
echo "== events read back from Kafka by flatwal-consume (decoded from FlatBuffers)"
# session.timeout.ms=6000: the test broker can hold a first JoinGroup for the
# session timeout less a second (44 s with the default), longer than a demo waits.
timeout 90 build/bin/flatwal-consume -b "$bootstrap" -t '^demo\..*' -g demo --from-beginning --exit-when-idle 5000 \
	-X session.timeout.ms=6000 >"$work/events.jsonl" 2>"$work/consume.log" || true
/usr/bin/python3 scripts/demo_events.py "$work/events.jsonl"
echo "== flatwal-sink: the topics applied to a second database, flatwal_demo_target"
psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE flatwal_demo_target"
echo "   flatwal-sink -b $bootstrap -d 'host=127.0.0.1 port=$port dbname=flatwal_demo_target' --topic-prefix demo"
timeout 120 build/bin/flatwal-sink -b "$bootstrap" -d "host=127.0.0.1 port=$port user=postgres dbname=flatwal_demo_target" \
	--topic-prefix demo --exit-when-idle 5000 -X session.timeout.ms=6000 >"$work/sink.log" 2>&1 || true
grep -E 'msg="(sink progress|flatwal-sink stopped)"|level=(error|warning)' "$work/sink.log" | sed 's/^/   sink | /'
columns="id, customer_id, status, amount, note, created_at, attrs, shipped_at"
rows() { psql -X -q -At -h 127.0.0.1 -p "$port" -U postgres -d "$1" -c "SELECT $columns FROM public.orders ORDER BY id"; }
psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d flatwal_demo_target -c \
	"SELECT id, status, amount, shipped_at, _flatwal_commit_lsn, _flatwal_seq FROM public.orders ORDER BY id"
if [ "$(rows postgres)" = "$(rows flatwal_demo_target)" ]; then
	echo "   target orders = source orders (every column, every row)"
else
	echo "   target orders differ from the source"
fi
wait_confirmed flatwal_dbz
echo "== the same changes in Debezium's format (--format debezium-json), read with kcat from dbz.public.orders"
echo "   flatwal-shipper ... --slot flatwal_dbz --topic-prefix dbz --format debezium-json --debezium decimal.handling.mode=string"
timeout 30 kcat -b "$bootstrap" -C -t dbz.public.orders -o beginning -e -q -f '%k\t%s\n' 2>/dev/null |
	/usr/bin/python3 scripts/demo_debezium.py
kill -TERM "$dbz_pid" "$shipper_pid"
wait "$dbz_pid" "$shipper_pid" || true
shipper_pid="" dbz_pid=""
echo "== shipper stopped:"
tail -1 "$work/shipper.log" | sed 's/^/   shipper | /'
sql -P format=aligned -P tuples_only=off -c "SELECT slot_name, confirmed_flush_lsn, lag_bytes FROM flatwal.slot_lag"
echo "== done; PostgreSQL, the broker and the shipper are stopped and their files removed"
