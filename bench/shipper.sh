#!/usr/bin/env bash
# Shipper benchmark: PostgreSQL -> flatwal-shipper -> Kafka-protocol test broker.
#
#  1. throughput: BENCH_EVENTS changes (half inserts, half updates, 1,000 rows
#     per transaction) wait in four slots. pg_recvlogical drains one with the
#     shipper's plugin options into /dev/null (the walsender alone); the
#     shipper drains the others: FlatBuffers frames with the default headers
#     (minimal: 2 a change) and with --headers full (8), and Debezium JSON.
#     Prints events/s, MB/s, shipper CPU per 1,000 events and peak RSS, and
#     the ratios shipper / walsender, minimal / full and JSON / FlatBuffers;
#     then kcat sends as many messages of the same size with the shipper's
#     producer settings, with 0, 2 and 8 headers: the CPU librdkafka alone
#     spends per message, and the shipper's CPU beside it.
#     Then the same drain with compression none and zstd (lz4 is the default),
#     and with batches a tenth and ten times librdkafka's default size.
#     Then the pgoutput source (--source pgoutput) beside the plugin, on the
#     same changes: pgoutput's walsender alone (pg_recvlogical with the
#     shipper's options) and the shipper draining a pgoutput slot; prints the
#     ratios pgoutput / plugin end to end and pgoutput shipper / its walsender.
#  2. latency: pgbench offers each of BENCH_RATES rows/s (10 rows per
#     transaction) for BENCH_SECONDS; the shipper measures commit-to-ack
#     latency (commit time in the frame to the delivery report of the
#     transaction's last message) and prints p50/p99/max and its CPU; at the
#     first rate also with linger.ms 0 and 5 (the default is 1).
#  3. snapshot: a table of BENCH_SNAPSHOT_ROWS rows (bigint key) read by the
#     initial snapshot with 1 and with 2 workers (--snapshot-workers); prints
#     rows/s of each.
#  4. on-demand: the same table snapshotted on demand while streaming
#     (flatwal.request_snapshot) with 1 and with 2 readers; prints rows/s.
# Figures, not a test: run it on a quiet machine. BENCH_PROFILE=1 adds a perf
# profile of the shipper while it drains (step 1).
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${BENCH_EVENTS:-1000000}
RATES=${BENCH_RATES:-10000 50000}
SECONDS_LOAD=${BENCH_SECONDS:-20}
SNAPSHOT_ROWS=${BENCH_SNAPSHOT_ROWS:-2000000}
scripts/install-deps.sh >/dev/null
make -s >/dev/null && { [ "$(id -u)" = 0 ] && make -s install >/dev/null || sudo make -s install >/dev/null; }

source test/lib/cluster.sh
source test/lib/itest.sh
work=$(mktemp -d /tmp/flatwal-shipper-bench.XXXXXX)
chmod 755 "$work"
port=$(test/lib/free-port.sh)
trap 'stop_started; cluster_stop "$work/pg"; rm -rf "$work"' EXIT
# The server settings of bench/plugins.sh, so that both report the walsender-alone floor alike.
cluster_start "$work/pg" "$port" "shared_buffers = '1GB'" "logical_decoding_work_mem = '256MB'" "wal_sender_timeout = 0" \
	"max_wal_size = '8GB'"
start_test_broker --brokers 1 --max-seconds 3600

sql >/dev/null <bench/orders.sql
for slot in bench bench_full bench_json bench_walsender bench_none bench_zstd bench_batch_small bench_batch_large; do
	sql -c "SELECT 'x' FROM pg_create_logical_replication_slot('$slot', 'flatwal')" >/dev/null
done
sql -c "CREATE PUBLICATION bench FOR TABLE orders" >/dev/null
for slot in bench_pgoutput bench_pgoutput_walsender; do
	sql -c "SELECT 'x' FROM pg_create_logical_replication_slot('$slot', 'pgoutput')" >/dev/null
done

field() { grep 'msg=stopped' "$1" | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }
run_shipper() {  # $1 = log file, then extra arguments
	local log=$1
	shift
	# BENCH_PRELOAD: a library preloaded into the shipper only (e.g. another allocator, to compare).
	LD_PRELOAD="${BENCH_PRELOAD:-}" start_shipper "$log" --slot bench --no-create-slot -s 100 \
		-X queue.buffering.max.messages=1000000 "$@"
}
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }

echo "== 1. throughput: draining $EVENTS changes waiting in the slot"
half=$((EVENTS / 2))
sql -c "CALL orders_workload($half, false)" >/dev/null
end_lsn=$(sql -c "SELECT pg_current_wal_lsn()")

# The walsender alone: pg_recvlogical with the shipper's START_REPLICATION options,
# measured as bench/plugins.sh measures its "recv" column (-F 0: no fsync of /dev/null).
t0=$(date +%s.%N)
"$PG_BIN/pg_recvlogical" -h 127.0.0.1 -p "$port" -U postgres -d postgres --slot bench_walsender --start \
	--endpos "$end_lsn" -o batch_bytes=65536 -o include_transaction=true -o table_set=default -f /dev/null -F 0
walsender_rate=$(echo "$EVENTS / ($(date +%s.%N) - $t0)" | bc -l)
printf '   walsender alone (pg_recvlogical, batch_bytes 65536): %.0f events/s\n' "$walsender_rate"

# drain NAME SLOT [shipper args]: the shipper drains SLOT to end_lsn; sets $rate.
drain() {
	local name=$1 slot=$2
	shift 2
	local t0 elapsed messages bytes cpu_ms rss
	t0=$(date +%s.%N)
	run_shipper "$work/$name.log" --slot "$slot" --topic-prefix "$name" "$@"
	if [ -n "${BENCH_PROFILE:-}" ]; then  # where the shipper's CPU goes while draining
		perf record -F 499 -g -o "$work/$name.perf" -p "$shipper_pid" >/dev/null 2>&1 &
		perf_pid=$!
	fi
	wait_confirmed "$slot" "$end_lsn" 300
	elapsed=$(echo "$(date +%s.%N) - $t0" | bc -l)
	if [ -n "${BENCH_PROFILE:-}" ]; then
		kill -INT "$perf_pid"; wait "$perf_pid" || true
		perf report -i "$work/$name.perf" --stdio --no-children --sort dso 2>/dev/null | grep -E '^ +[0-9.]+%' | head -6
		perf report -i "$work/$name.perf" --stdio --no-children --percent-limit 1.5 2>/dev/null | grep -E '^ +[0-9.]+%' | cut -c1-160 | head -25
	fi
	kill -TERM "$shipper_pid"; wait "$shipper_pid" || true; shipper_pid=""
	messages=$(field "$work/$name.log" messages)
	bytes=$(field "$work/$name.log" bytes)
	cpu_ms=$(field "$work/$name.log" cpu_ms)
	rss=$(field "$work/$name.log" max_rss_kb)
	rate=$(echo "$messages / $elapsed" | bc -l)
	cpu_per_1000=$(echo "$cpu_ms * 1000 / $messages" | bc -l)
	printf '   %-12s %d messages in %.2f s: %.0f events/s, %.1f MB/s, shipper CPU %.1f ms per 1,000 events, peak RSS %.1f MiB\n' \
		"$name" "$messages" "$elapsed" "$rate" "$(echo "$bytes / $elapsed / 1000000" | bc -l)" \
		"$cpu_per_1000" "$(echo "$rss / 1024" | bc -l)"
}
drain flatbuffers bench
flatbuffers_rate=$rate minimal_cpu=$cpu_per_1000
drain headers-full bench_full --headers full
full_rate=$rate full_cpu=$cpu_per_1000
drain debezium-json bench_json --format debezium-json
json_rate=$rate
# Compression: the default (lz4) beside none and zstd, same frames and headers.
drain compress-none bench_none -X compression.type=none
none_cpu=$cpu_per_1000
drain compress-zstd bench_zstd -X compression.type=zstd
echo "   CPU per event, compression none / lz4 (default) / zstd: $(printf '%.1f' "$none_cpu") /" \
	"$(printf '%.1f' "$minimal_cpu") / $(printf '%.1f' "$cpu_per_1000") ms per 1,000 events"
# Batch sizes: a tenth and ten times librdkafka's defaults (10,000 messages, 1 MB).
drain batch-small bench_batch_small -X batch.num.messages=1000 -X batch.size=100000
drain batch-large bench_batch_large -X batch.num.messages=100000 -X batch.size=10000000
# The pgoutput source: its walsender alone with the shipper's options (the newest protocol version), then the shipper.
proto=$(sql -c "SELECT CASE WHEN v >= 160000 THEN 4 WHEN v >= 150000 THEN 3 WHEN v >= 140000 THEN 2 ELSE 1 END
                FROM (SELECT current_setting('server_version_num')::int AS v) s")
t0=$(date +%s.%N)
"$PG_BIN/pg_recvlogical" -h 127.0.0.1 -p "$port" -U postgres -d postgres --slot bench_pgoutput_walsender --start \
	--endpos "$end_lsn" -o proto_version="$proto" -o publication_names=bench -o messages=true -f /dev/null -F 0
pgoutput_walsender_rate=$(echo "$EVENTS / ($(date +%s.%N) - $t0)" | bc -l)
printf '   pgoutput walsender alone (pg_recvlogical, proto_version %s): %.0f events/s\n' "$proto" "$pgoutput_walsender_rate"
drain pgoutput bench_pgoutput --source pgoutput --publication bench --snapshot never
echo "   pgoutput source: end to end / plugin's $(ratio "$rate" "$flatbuffers_rate"), shipper / pgoutput's walsender" \
	"$(ratio "$rate" "$pgoutput_walsender_rate"), pgoutput's walsender / the plugin's $(ratio "$pgoutput_walsender_rate" "$walsender_rate")"
echo "   ratios: shipper / walsender $(ratio "$flatbuffers_rate" "$walsender_rate") (FlatBuffers, default headers)," \
	"$(ratio "$full_rate" "$walsender_rate") (--headers full), $(ratio "$json_rate" "$walsender_rate") (Debezium JSON);" \
	"CPU per event default / full $(ratio "$minimal_cpu" "$full_cpu"); Debezium JSON / FlatBuffers $(ratio "$json_rate" "$flatbuffers_rate")"
# The floor: librdkafka alone, driven by kcat with the shipper's producer
# settings, sends as many messages of the same average size to the same
# broker, with the headers of each set on a change. No producer of
# one Kafka message per event on librdkafka goes below these figures.
avg_bytes=$(( $(field "$work/flatbuffers.log" bytes) / $(field "$work/flatbuffers.log" messages) ))
/usr/bin/python3 - "$EVENTS" "$avg_bytes" >"$work/floor.txt" <<'PY'
import random, string, sys
count, size = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(1)
values = ["".join(rnd.choice(string.ascii_letters) for _ in range(size)) for _ in range(1000)]
sys.stdout.writelines("[%d]:%s\n" % (i, values[i % 1000]) for i in range(count))
PY
floor() {  # $1 = label, then kcat arguments; prints kcat's CPU per 1,000 messages, sets $floor_cpu
	local label=$1 cpu
	shift
	echo "topic floor_$label 64" >"$work/broker.ctl"
	cpu=$( { TIMEFORMAT='%U %S'; time kcat -P -b "$bootstrap" -t "floor_$label" -K: -X linger.ms=1 -X compression.type=lz4 \
		-X enable.idempotence=true -X acks=all -X queue.buffering.max.messages=1000000 "$@" <"$work/floor.txt" >/dev/null 2>&1; } 2>&1 )
	floor_cpu=$(echo "($(echo "$cpu" | tr ' ' '+')) * 1000000 / $EVENTS" | bc -l)
	printf '   librdkafka alone (kcat), %-12s %.1f ms CPU per 1,000 messages of %d bytes\n' "$label:" "$floor_cpu" "$avg_bytes"
}
floor no_headers
floor 2_headers -H flatwal.op=insert -H flatwal.relation=public.orders
echo "   shipper CPU / librdkafka alone, default headers (2): $(ratio "$minimal_cpu" "$floor_cpu")"
floor 8_headers -H flatwal.op=insert -H flatwal.schema=public -H flatwal.table=orders -H flatwal.commit_lsn=0/1A2B3C4D \
	-H flatwal.lsn=0/1A2B3C5E -H flatwal.seq=123 -H flatwal.xid=7654 -H flatwal.version=1
echo "   shipper CPU / librdkafka alone, --headers full (8): $(ratio "$full_cpu" "$floor_cpu")"
rm -f "$work/floor.txt"
# Move the slot's restart point past the backlog before step 2: decoding
# restarts from a running-transactions record, which a checkpoint writes, and
# the slot's restart_lsn moves there once a later change is confirmed.
# Otherwise the next connection re-reads the whole backlog before it reaches
# its first new commit, and step 2 would count that as latency.
sql -c "CHECKPOINT"
sql -c "INSERT INTO orders (id, customer_id, status, amount) VALUES (-2, 0, 'restart point', 0)"
run_shipper "$work/restart.log"
wait_confirmed bench
kill -TERM "$shipper_pid"; wait "$shipper_pid" || true; shipper_pid=""
for slot in bench_full bench_json bench_walsender bench_none bench_zstd bench_batch_small bench_batch_large; do
	sql -c "SELECT pg_drop_replication_slot('$slot')" >/dev/null
done

cat >"$work/load.sql" <<'SQL'
\set base random(10000000, 90000000)
INSERT INTO orders (id, customer_id, status, amount, note, attrs)
SELECT :base * 16 + g, g, 'new', 9.99, 'pgbench order', '{"src": "pgbench"}' FROM generate_series(1, 10) g
    ON CONFLICT (id) DO UPDATE SET status = 'again';
SQL
# latency RATE LABEL [shipper args]: pgbench offers RATE rows/s for SECONDS_LOAD s; prints the shipper's latencies.
latency() {
	local rate=$1 label=$2
	shift 2
	echo "== 2. latency: pgbench offering $rate rows/s (10 per transaction) for $SECONDS_LOAD s, $label"
	run_shipper "$work/latency-$rate-$label.log" "$@"
	wait_streaming "$work/latency-$rate-$label.log"
	# Warm up (topic metadata, connections) before the load; its own latency still
	# counts as a sample.
	sql -c "INSERT INTO orders (id, customer_id, status, amount) VALUES (-1, 0, 'warm-up', 0) ON CONFLICT DO NOTHING"
	wait_confirmed bench
	"$PG_BIN/pgbench" -n -h 127.0.0.1 -p "$port" -U postgres -c 4 -j 2 -R $((rate / 10)) -T "$SECONDS_LOAD" \
		-f "$work/load.sql" postgres >"$work/pgbench.log" 2>&1 || { cat "$work/pgbench.log"; exit 1; }
	end_lsn=$(sql -c "SELECT pg_current_wal_lsn()")
	wait_confirmed bench "$end_lsn" 300
	kill -TERM "$shipper_pid"; wait "$shipper_pid" || true; shipper_pid=""
	local log="$work/latency-$rate-$label.log" tps
	tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench.log" | head -1)
	printf '   offered %d rows/s, committed %.0f rows/s; commit-to-ack latency p50 %s ms, p99 %s ms, max %s ms; shipper CPU %s ms\n' \
		"$rate" "$(echo "$tps * 10" | bc -l)" "$(field "$log" commit_to_ack_ms_p50)" \
		"$(field "$log" commit_to_ack_ms_p99)" "$(field "$log" commit_to_ack_ms_max)" "$(field "$log" cpu_ms)"
}
for rate in $RATES; do latency "$rate" default; done
# The producer's batching at the lowest rate: linger.ms 0 and 5 beside the default 1.
first_rate=${RATES%% *}
latency "$first_rate" linger-0 -X linger.ms=0
latency "$first_rate" linger-5 -X linger.ms=5
echo "== 3. snapshot: a table of $SNAPSHOT_ROWS rows, read by 1 and by 2 workers"
sql >/dev/null <<SQL
CREATE TABLE snapshot_bench (id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL,
                             amount numeric(12,2) NOT NULL, note text);
INSERT INTO snapshot_bench SELECT g, g % 5000, 'new', (g % 100000) / 100.0, 'order note ' || md5(g::text)
  FROM generate_series(1, $SNAPSHOT_ROWS) g;
SELECT flatwal.add_table('snapshot_bench');
SELECT flatwal.set_table_set('snapshot_bench', 'snapshot_bench');  -- its own set: the snapshot reads only it
ANALYZE snapshot_bench;
SQL
for workers in 1 2; do
	# The test broker keeps about 5 MiB per partition; spread the rows.
	echo "topic snap$workers.public.snapshot_bench 64" >"$work/broker.ctl"
	start_shipper "$work/snapshot-$workers.log" --slot "snap_$workers" --topic-prefix "snap$workers" \
		--table-set snapshot_bench --snapshot initial_only --snapshot-workers "$workers" \
		-X queue.buffering.max.messages=1000000
	wait "$shipper_pid" || true
	shipper_pid=""
	line=$(grep 'msg="snapshot complete"' "$work/snapshot-$workers.log" || true)
	snap_rows=$(echo "$line" | tr ' ' '\n' | sed -n 's/^rows=//p')
	snap_seconds=$(echo "$line" | tr ' ' '\n' | sed -n 's/^seconds=//p')
	if [ -z "$snap_rows" ]; then tail -3 "$work/snapshot-$workers.log"; exit 1; fi
	printf '   %d worker(s): %d rows in %.2f s, %.0f rows/s\n' "$workers" "$snap_rows" "$snap_seconds" \
		"$(echo "$snap_rows / $snap_seconds" | bc -l)"
done
echo "== 4. on-demand snapshot of the same table while streaming, by 1 and by 2 readers"
log_time() { date -d "$(grep "$2" "$1" | head -1 | tr ' ' '\n' | sed -n 's/^ts=//p')" +%s.%N; }
for readers in 1 2; do
	echo "topic demand$readers.public.snapshot_bench 64" >"$work/broker.ctl"
	start_shipper "$work/demand-$readers.log" --slot "demand_$readers" --topic-prefix "demand$readers" \
		--table-set snapshot_bench --snapshot never --snapshot-workers "$readers" -X queue.buffering.max.messages=1000000
	wait_streaming "$work/demand-$readers.log"
	sql -c "SELECT flatwal.request_snapshot('snapshot_bench')" >/dev/null
	wait_for_log "$work/demand-$readers.log" 'msg="on-demand snapshot done"' 600
	kill -TERM "$shipper_pid"; wait "$shipper_pid" || true; shipper_pid=""
	started=$(log_time "$work/demand-$readers.log" 'msg="on-demand snapshot started"')
	done_at=$(log_time "$work/demand-$readers.log" 'msg="on-demand snapshot done"')
	demand_rows=$(grep 'msg="on-demand snapshot done"' "$work/demand-$readers.log" | tr ' ' '\n' | sed -n 's/^rows=//p')
	printf '   %d reader(s): %d rows in %.2f s, %.0f rows/s\n' "$readers" "$demand_rows" "$(echo "$done_at - $started" | bc -l)" \
		"$(echo "$demand_rows / ($done_at - $started)" | bc -l)"
done
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, PostgreSQL $(sql -c 'SHOW server_version'), librdkafka $(dpkg-query -W -f='${Version}' librdkafka1 2>/dev/null)"
