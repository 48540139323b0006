#!/usr/bin/env bash
# flatwal-shipper as a role with REPLICATION and only the grants docs/shipper.md's
# least-privilege setup lists (no superuser): initial snapshot, streaming, an
# on-demand snapshot and heartbeats all work, checked in Kafka with kcat.
#
#   least-privilege.sh PORT      (a cluster started by run-suites.sh)
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
port=$1
db=flatwal_least_privilege
role=flatwal_cdc_test
work=$(mktemp -d /tmp/flatwal-least-privilege.XXXXXX)
trap 'stop_started; rm -rf "$work"' EXIT

fresh_database "$db" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE orders (id int PRIMARY KEY, note text);
INSERT INTO orders SELECT g, 'existing' FROM generate_series(1, 100) g;
SELECT flatwal.add_table('orders');
DROP ROLE IF EXISTS $role;
-- The least-privilege setup, as in docs/shipper.md.
CREATE ROLE $role LOGIN REPLICATION;
GRANT USAGE ON SCHEMA flatwal TO $role;
GRANT SELECT ON flatwal.source_tables TO $role;
GRANT SELECT, INSERT, UPDATE, DELETE ON flatwal.snapshot_progress TO $role;
GRANT SELECT, UPDATE ON flatwal.snapshot_requests TO $role;
GRANT SELECT ON orders TO $role;
SQL
start_test_broker
build/bin/flatwal-shipper -d "host=127.0.0.1 port=$port user=$role dbname=$db" -b "$bootstrap" --slot least \
	--topic-prefix least -s 200 --heartbeat-interval 300 >"$work/shipper.log" 2>&1 &
shipper_pid=$!
wait_streaming "$work/shipper.log"
sql -c "INSERT INTO orders SELECT g, 'new' FROM generate_series(101, 105) g" -c "SELECT flatwal.request_snapshot('orders')" >/dev/null
for _ in $(seq 1 300); do grep -q 'msg="on-demand snapshot done"' "$work/shipper.log" && break; sleep 0.1; done
wait_confirmed least >/dev/null

headers() { timeout 30 kcat -b "$bootstrap" -C -t "$1" -o beginning -e -q -f '%h\n' 2>/dev/null; }
reads=$(headers least.public.orders | grep -c 'flatwal.op=read')
# The default header set (minimal): exactly the operation and the table, nothing else.
inserts=$(headers least.public.orders | grep -cx 'flatwal.op=insert,flatwal.relation=public.orders')
beats=$(headers least.flatwal.heartbeat | grep -cx 'flatwal.op=heartbeat')
superuser=$(sql -c "SELECT rolsuper FROM pg_roles WHERE rolname = '$role'")
if [ "$superuser" = f ] && [ "$reads" = 205 ] && [ "$inserts" = 5 ] && [ "$beats" -ge 1 ]; then
	ok "as a non-superuser with REPLICATION and the listed grants: 100 snapshot rows, 5 inserts, 105 rows on demand, $beats heartbeats"
else
	failed "as $role (superuser: $superuser): $reads read rows (want 205), $inserts inserts with just the minimal headers (want 5), $beats heartbeats"
	grep -E 'level=(error|warning)' "$work/shipper.log" | head -5
fi
kill -TERM "$shipper_pid"; wait "$shipper_pid"; shipper_pid=""
drop_database "$db"
psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "DROP ROLE $role"
finish_suite "least privilege"
