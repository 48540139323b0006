#!/usr/bin/env bash
# Shipper benchmark: PostgreSQL -> flatwal-shipper -> Kafka-protocol test broker.
#
#  1. throughput: BENCH_EVENTS changes (half inserts, half updates, 1,000 rows
#     per transaction) wait in the slot; the shipper drains them. Prints
#     events/s, MB/s, shipper CPU per 1,000 events and peak RSS.
#  2. latency: pgbench offers BENCH_RATE rows/s (10 rows per transaction) for
#     BENCH_SECONDS; the shipper measures commit-to-ack latency (commit time in
#     the frame to the delivery report of the transaction's last message) and
#     prints p50/p99/max.
# Figures, not a test: run it on a quiet machine. BENCH_PROFILE=1 adds a perf
# profile of the shipper while it drains (step 1).
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${BENCH_EVENTS:-1000000}
RATE=${BENCH_RATE:-10000}
SECONDS_LOAD=${BENCH_SECONDS:-20}
scripts/install-deps.sh >/dev/null
make -s >/dev/null && { [ "$(id -u)" = 0 ] && make -s install >/dev/null || sudo make -s install >/dev/null; }

source test/lib/cluster.sh
source test/lib/itest.sh
work=$(mktemp -d /tmp/flatwal-shipper-bench.XXXXXX)
chmod 755 "$work"
port=$(test/lib/free-port.sh)
trap 'stop_started; cluster_stop "$work/pg"; rm -rf "$work"' EXIT
cluster_start "$work/pg" "$port" "shared_buffers = '512MB'" "max_wal_size = '8GB'"
start_test_broker --brokers 1 --max-seconds 3600

sql >/dev/null <bench/orders.sql
sql -c "SELECT 'x' FROM pg_create_logical_replication_slot('bench', 'flatwal')" >/dev/null

field() { grep 'msg=stopped' "$1" | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }
run_shipper() {  # $1 = log file
	start_shipper "$1" --slot bench --no-create-slot -s 100 -X queue.buffering.max.messages=1000000
}

echo "== 1. throughput: draining $EVENTS changes waiting in the slot"
half=$((EVENTS / 2))
sql -c "CALL orders_workload($half, false)" >/dev/null
end_lsn=$(sql -c "SELECT pg_current_wal_lsn()")
t0=$(date +%s.%N)
run_shipper "$work/drain.log"
if [ -n "${BENCH_PROFILE:-}" ]; then  # where the shipper's CPU goes while draining
	perf record -F 499 -g -o "$work/shipper.perf" -p "$shipper_pid" >/dev/null 2>&1 &
	perf_pid=$!
fi
wait_confirmed bench "$end_lsn" 300
elapsed=$(echo "$(date +%s.%N) - $t0" | bc -l)
if [ -n "${BENCH_PROFILE:-}" ]; then
	kill -INT "$perf_pid"; wait "$perf_pid" || true
	perf report -i "$work/shipper.perf" --stdio --no-children --sort dso 2>/dev/null | grep -E '^ +[0-9.]+%' | head -6
	perf report -i "$work/shipper.perf" --stdio --no-children --percent-limit 1.5 2>/dev/null | grep -E '^ +[0-9.]+%' | cut -c1-160 | head -25
fi
# Move the slot's restart point past the backlog before step 2: decoding
# restarts from a running-transactions record, which a checkpoint writes, and
# the slot's restart_lsn moves there once a later change is confirmed.
# Otherwise the next connection re-reads the whole backlog before it reaches
# its first new commit, and step 2 would count that as latency.
sql -c "CHECKPOINT"
sql -c "INSERT INTO orders (id, customer_id, status, amount) VALUES (-2, 0, 'restart point', 0)"
wait_confirmed bench
kill -TERM "$shipper_pid"; wait "$shipper_pid" || true; shipper_pid=""
messages=$(field "$work/drain.log" messages)
bytes=$(field "$work/drain.log" bytes)
cpu_ms=$(field "$work/drain.log" cpu_ms)
rss=$(field "$work/drain.log" max_rss_kb)
printf '   %d messages in %.2f s: %.0f events/s, %.1f MB/s, shipper CPU %.1f ms per 1,000 events, peak RSS %.1f MiB\n' \
	"$messages" "$elapsed" "$(echo "$messages / $elapsed" | bc -l)" "$(echo "$bytes / $elapsed / 1000000" | bc -l)" \
	"$(echo "$cpu_ms * 1000 / $messages" | bc -l)" "$(echo "$rss / 1024" | bc -l)"

echo "== 2. latency: pgbench offering $RATE rows/s (10 per transaction) for $SECONDS_LOAD s"
cat >"$work/load.sql" <<'SQL'
\set base random(10000000, 90000000)
INSERT INTO orders (id, customer_id, status, amount, note, attrs)
SELECT :base * 16 + g, g, 'new', 9.99, 'pgbench order', '{"src": "pgbench"}' FROM generate_series(1, 10) g
    ON CONFLICT (id) DO UPDATE SET status = 'again';
SQL
run_shipper "$work/latency.log"
for _ in $(seq 1 100); do grep -q 'msg=streaming' "$work/latency.log" && break; sleep 0.1; done
# Warm up (topic metadata, connections) before the load; its own latency still
# counts as a sample.
sql -c "INSERT INTO orders (id, customer_id, status, amount) VALUES (-1, 0, 'warm-up', 0)"
wait_confirmed bench
"$PG_BIN/pgbench" -n -h 127.0.0.1 -p "$port" -U postgres -c 4 -j 2 -R $((RATE / 10)) -T "$SECONDS_LOAD" \
	-f "$work/load.sql" postgres >"$work/pgbench.log" 2>&1 || { cat "$work/pgbench.log"; exit 1; }
end_lsn=$(sql -c "SELECT pg_current_wal_lsn()")
wait_confirmed bench "$end_lsn" 300
kill -TERM "$shipper_pid"; wait "$shipper_pid" || true; shipper_pid=""
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench.log" | head -1)
printf '   offered %d rows/s, committed %.0f rows/s; commit-to-ack latency p50 %s ms, p99 %s ms, max %s ms\n' \
	"$RATE" "$(echo "$tps * 10" | bc -l)" "$(field "$work/latency.log" commit_to_ack_ms_p50)" \
	"$(field "$work/latency.log" commit_to_ack_ms_p99)" "$(field "$work/latency.log" commit_to_ack_ms_max)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, PostgreSQL $(sql -c 'SHOW server_version'), librdkafka $(dpkg-query -W -f='${Version}' librdkafka1 2>/dev/null)"
