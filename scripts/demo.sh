#!/usr/bin/env bash
# The flatwal demo: installs what it needs, builds, starts a throwaway
# PostgreSQL on 127.0.0.1, captures an "orders" workload with the flatwal
# output plugin and shows every event it emitted, then cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
make -s >/dev/null
$sudo make -s install >/dev/null

source test/lib/cluster.sh
work=$(mktemp -d /tmp/flatwal-demo.XXXXXX)
chmod 755 "$work"
port=$(test/lib/free-port.sh)
trap 'cluster_stop "$work/pg"; rm -rf "$work"' EXIT
cluster_start "$work/pg" "$port"
sql() { psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

echo "== PostgreSQL $(sql -Atc 'SHOW server_version') on 127.0.0.1:$port, wal_level=logical"
sql <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE orders (
    id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL,
    amount numeric(12,2) NOT NULL, note text, created_at timestamptz NOT NULL DEFAULT now(),
    attrs jsonb
);
SELECT flatwal.add_table('orders') AS schema_version \gset
SELECT 'created' AS slot FROM pg_create_logical_replication_slot('demo', 'flatwal') \gset
SQL
echo "== captured tables"
sql -c "SELECT relid AS table, key_columns, capture_enabled FROM flatwal.source_tables"

echo "== workload: insert, update, delete, an outbox message, a schema change"
sql <<'SQL'
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

echo "== events, decoded from FlatBuffers by flatwal.to_json (one frame per line)"
sql -c "SELECT flatwal.to_json(data) - '{format_version}'::text[] AS event
          FROM pg_logical_slot_get_binary_changes('demo', NULL, NULL)"
echo "== schema versions registered by DDL"
sql -c "SELECT version, compatibility, jsonb_path_query_array(definition, '\$.columns[*].name') AS columns
          FROM flatwal.schema_versions ORDER BY version"
sql -c "SELECT slot_name, active, lag_bytes FROM flatwal.slot_lag"
echo "== done; the cluster is stopped and removed"
