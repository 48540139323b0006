#!/usr/bin/env bash
# The flatwal demo: installs what it needs, builds, starts a throwaway
# PostgreSQL and the embedded Kafka-protocol test broker on 127.0.0.1, runs
# flatwal-shipper while a small "orders" workload runs, and prints every
# event as flatwal-consume reads it back from Kafka. Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== installing dependencies and building (first run takes a while)"
scripts/install-deps.sh >/dev/null
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
make -s >/dev/null
$sudo make -s install >/dev/null

source test/lib/cluster.sh
work=$(mktemp -d /tmp/flatwal-demo.XXXXXX)
chmod 755 "$work"
port=$(test/lib/free-port.sh)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	cluster_stop "$work/pg"
	rm -rf "$work"
}
trap cleanup EXIT
cluster_start "$work/pg" "$port"
sql() { psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

build/bin/flatwal-test-broker --bootstrap-file "$work/bootstrap" --max-seconds 300 >"$work/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
bootstrap=$(cat "$work/bootstrap")
echo "== PostgreSQL $(sql -Atc 'SHOW server_version') on 127.0.0.1:$port; Kafka-protocol test broker on $bootstrap"

sql <<'SQL'
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
build/bin/flatwal-shipper -d "host=127.0.0.1 port=$port user=postgres dbname=postgres" -b "$bootstrap" \
	--topic-prefix demo -s 200 2>"$work/shipper.log" &
shipper=$!
pids+=("$shipper")
for _ in $(seq 1 100); do grep -q 'msg=streaming' "$work/shipper.log" && break; sleep 0.1; done
sed 's/^/   shipper | /' "$work/shipper.log"

echo "== workload: inserts, an update with an outbox message, a delete, a schema change"
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

# Wait (bounded) until the shipper has confirmed all of it, i.e. Kafka acknowledged it.
target=$(sql -Atc "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 100); do
	[ "$(sql -Atc "SELECT confirmed_flush_lsn >= '$target' FROM pg_replication_slots WHERE slot_name = 'flatwal'")" = t ] && break
	sleep 0.1
done
echo "== events read back from Kafka by flatwal-consume (decoded from FlatBuffers)"
timeout 60 build/bin/flatwal-consume -b "$bootstrap" -t '^demo\..*' -g demo --from-beginning --exit-when-idle 2000 \
	>"$work/events.jsonl" 2>"$work/consume.log" || true
/usr/bin/python3 - "$work/events.jsonl" <<'PY'
# Schemas first; then every event in commit order (Kafka keeps order per
# partition, so this only undoes the interleaving of partitions).
import json, sys
def lsn(text):
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)
columns, entries, last_in_partition = {}, [], {}
for line in open(sys.argv[1]):
    m = json.loads(line)
    e = m["event"]
    where = (m["topic"], m["partition"])
    if e == "tombstone":
        order = last_in_partition[where] + (0.5,)
    elif e["event"] == "schema":
        columns[(e["relid"], e["version"])] = [c["name"] for c in e["columns"]]
        order = (-1, e["version"])
    elif e["event"] == "change":
        order = (lsn(e["commit_lsn"]), e["seq"])
    elif e["event"] in ("snapshot_start", "snapshot_end"):
        order = (lsn(e["consistent_lsn"]), 0 if e["event"] == "snapshot_start" else 1 << 40)
    else:
        order = (lsn(e.get("commit_lsn", "0/0")), 0)
    last_in_partition[where] = order
    entries.append((order, m))

def show(e, row):
    vals = {}
    # A change names its table by relid and version: its Schema frame has the column names.
    for name, v in zip(columns.get((e["relid"], e["version"]), []), row):
        if isinstance(v, dict) and "absent" in v:
            continue
        vals[name] = next(iter(v.values())) if isinstance(v, dict) else v
    return json.dumps(vals)

for _, m in sorted(entries, key=lambda x: x[0]):
    e = m["event"]
    where = f"{m['topic']:<30} p{m['partition']} @{m['offset']:<2}"
    if e == "tombstone":
        print(f"{where} key={m['key']:<6} tombstone (compaction marker after a delete)")
        continue
    kind = e["event"]
    if kind == "schema":
        print(f"{where} schema {e['schema']}.{e['table']} version {e['version']}: "
              f"{', '.join(columns[(e['relid'], e['version'])])}")
    elif kind == "change":
        print(f"{where} key={m['key']:<6} {e['op']:<6} v{e['version']} commit {e['commit_lsn']} seq {e['seq']}")
        if e["before"] is not None:
            print(f"{'':40} before {show(e, e['before'])}")
        elif e["old_image"] == "key_unchanged":
            print(f"{'':40} before (key unchanged)")
        if e["after"] is not None:
            print(f"{'':40} after  {show(e, e['after'])}")
    elif kind in ("snapshot_start", "snapshot_end"):
        rows = f", {e['rows']} rows" if kind == "snapshot_end" else ""
        print(f"{where} {kind.replace('_', ' ')} of {e['schema']}.{e['table']} at {e['consistent_lsn']}{rows}")
    elif kind == "message":
        print(f"{where} message {e['prefix']}: {bytes.fromhex(e['content'][2:]).decode()}")
    else:
        print(f"{where} {kind}")
PY
kill -TERM "$shipper"
wait "$shipper" || true
echo "== shipper stopped:"
tail -1 "$work/shipper.log" | sed 's/^/   shipper | /'
sql -c "SELECT slot_name, confirmed_flush_lsn, lag_bytes FROM flatwal.slot_lag"
echo "== done; PostgreSQL, the broker and the shipper are stopped and their files removed"
