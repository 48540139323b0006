#!/usr/bin/env bash
# Sink benchmark: PostgreSQL -> flatwal-shipper -> test broker -> flatwal-sink -> PostgreSQL target.
#
#  1. throughput: BENCH_SINK_EVENTS changes (half inserts, half updates, in
#     1,000-row transactions) already in Kafka; a fresh flatwal-sink applies
#     them. Prints applied rows/s (first row to last) and the sink's CPU.
#     Then BENCH_SINK_TOAST_EVENTS changes of a table with a 4 kB body stored
#     out of line, BENCH_SINK_TOAST_UNCHANGED% (30) of whose updates leave it
#     unchanged (the sink takes it from the target's row), with its rate
#     beside the plain one; run it with 0 to see what the completion costs
#     apart from the rows' size.
#  2. ClickHouse: the same changes (both tables) applied by flatwal-sink
#     --clickhouse into a throwaway ClickHouse (one INSERT per table per
#     micro-batch; unchanged bodies completed from the table's FINAL rows). Prints rows/s
#     drained, and the batch load rate: applied rows over the time the sink
#     spent writing batches (flatwal_sink_apply_seconds_total: rendering the
#     INSERT, ClickHouse taking it, the checkpoint). Section 1 prints it too.
#  3. latency: BENCH_SINK_RATE rows/s offered (1,000-row transactions, ten a
#     second) for BENCH_SINK_SECONDS through the whole running pipeline;
#     commit-to-applied per row = the history row's insert time in the target
#     minus the row's clock_timestamp() at the source (same machine, same
#     clock). Prints p50/p99/max, beside the shipper's commit-to-ack.
# Figures, not a test: run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${BENCH_SINK_EVENTS:-300000}
TOAST_EVENTS=${BENCH_SINK_TOAST_EVENTS:-60000}
UNCHANGED_PERCENT=${BENCH_SINK_TOAST_UNCHANGED:-30}  # of the docs updates, those leaving the body unchanged
RATE=${BENCH_SINK_RATE:-10000}
LOAD_SECONDS=${BENCH_SINK_SECONDS:-20}
scripts/install-deps.sh >/dev/null
make -s >/dev/null && { [ "$(id -u)" = 0 ] && make -s install >/dev/null || sudo make -s install >/dev/null; }

source test/lib/cluster.sh
source test/lib/itest.sh
source test/lib/clickhouse.sh
work=$(mktemp -d /tmp/flatwal-sink-bench.XXXXXX)
chmod 755 "$work"
port=$(test/lib/free-port.sh)
target_port=$(test/lib/free-port.sh)
sink_pid=""
trap '[ -n "$sink_pid" ] && kill -KILL "$sink_pid" 2>/dev/null; stop_started; cluster_stop "$work/pg"; cluster_stop "$work/target"; clickhouse_stop "$work/ch"; rm -rf "$work"' EXIT
cluster_start "$work/pg" "$port" "shared_buffers = '512MB'" "max_wal_size = '8GB'"
cluster_start "$work/target" "$target_port" "shared_buffers = '512MB'" "max_wal_size = '8GB'" "synchronous_commit = off"
tsql() { psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$target_port" -U postgres -d postgres "$@"; }
start_test_broker --brokers 1 --max-seconds 3600
# The test broker keeps ~5 MiB per partition: spread the topic.
echo "topic bench.public.orders 64" >"$work/broker.ctl"

sql >/dev/null <bench/orders.sql
start_shipper "$work/shipper.log" --slot bench --topic-prefix bench -s 100 -X queue.buffering.max.messages=1000000
wait_streaming "$work/shipper.log"
metrics_port=$(test/lib/free-port.sh)
start_sink() {  # LOG [args]
	local log=$1
	shift
	build/bin/flatwal-sink -b "$bootstrap" -d "host=127.0.0.1 port=$target_port user=postgres dbname=postgres" \
		--topic-prefix bench --stats-interval 1000 --http "$metrics_port" "$@" >"$log" 2>&1 &
	sink_pid=$!
}
# Rows per second of writing to the target, from the running sink's /metrics.
load_rate() {
	curl -s "http://127.0.0.1:$metrics_port/metrics" |
		awk '$1 == "flatwal_sink_applied_rows_total" { rows = $2 } $1 == "flatwal_sink_apply_seconds_total" { s = $2 }
		     END { if (s > 0) printf "%.0f", rows / s; else print "n/a" }'
}
stop_sink() {
	kill -TERM "$sink_pid"; wait "$sink_pid" || true; sink_pid=""
}

# Sums a topic's end offsets: a sink is done when its checkpoints reach them.
topic_end() { kcat -b "$bootstrap" -Q $(for p in $(seq 0 63); do echo "-t $1:$p:-1"; done) | awk '{ sum += $NF } END { print sum }'; }
cpu_ms_per_1000() { echo "$(awk '{print $14 + $15}' "/proc/$sink_pid/stat") * 1000 / $(getconf CLK_TCK) * 1000 / $1" | bc -l; }

# drain_postgres TABLE CHANGES PAID: a fresh flatwal-sink applies the CHANGES
# of TABLE waiting in Kafka to the PostgreSQL target; PAID rows must end 'paid'.
# Prints the figures and sets $rate.
drain_postgres() {
	local table=$1 changes=$2 paid=$3 end t0 elapsed cpu load
	end=$(topic_end "bench.public.$table")
	start_sink "$work/drain-$table.log" -g "bench-drain-$table" -t "bench.public.$table"
	if [ -n "${BENCH_PROFILE:-}" ]; then  # where the sink's CPU goes while draining
		perf record -F 499 -g -o "$work/sink.perf" -p "$sink_pid" >/dev/null 2>&1 &
		perf_pid=$!
	fi
	for _ in $(seq 1 600); do [ "$(tsql -c "SELECT to_regclass('public.$table') IS NOT NULL AND EXISTS (SELECT 1 FROM public.$table)" 2>/dev/null)" = t ] && break; sleep 0.05; done
	t0=$(date +%s.%N)
	# Done when the checkpoints have passed every message (a cheap query: counting
	# the table every 50 ms would take the target's CPU from the sink it measures).
	for _ in $(seq 1 2400); do
		[ "$(tsql -c "SELECT coalesce(sum(next_offset), 0) FROM flatwal_sink.checkpoints
		              WHERE consumer_group = 'bench-drain-$table' AND topic = 'bench.public.$table'")" = "$end" ] && break
		sleep 0.05
	done
	elapsed=$(echo "$(date +%s.%N) - $t0" | bc -l)
	cpu=$(cpu_ms_per_1000 "$changes")
	sleep 1.5  # /metrics is refreshed every second
	load=$(load_rate)
	stop_sink
	[ "$(tsql -c "SELECT count(*) FROM public.$table WHERE status = 'paid'")" = "$paid" ] ||
		echo "   WARNING: the target's $table does not hold the source's $paid paid rows"
	if [ -n "${BENCH_PROFILE:-}" ]; then
		kill -INT "$perf_pid"; wait "$perf_pid" || true
		perf report -i "$work/sink.perf" --stdio --no-children --percent-limit 2 2>/dev/null | grep -E '^ +[0-9.]+%' | head -15
	fi
	rate=$(echo "$changes / $elapsed" | bc -l)
	printf '   %d changes applied in %.2f s: %.0f rows/s; batch load %s rows/s; sink CPU %.1f ms per 1,000 changes\n' \
		"$changes" "$elapsed" "$rate" "$load" "$cpu"
}

# drain_clickhouse TABLE CHANGES PAID: the same into the throwaway ClickHouse; sets $rate.
drain_clickhouse() {
	local table=$1 changes=$2 paid=$3 end t0 elapsed cpu load
	end=$(topic_end "bench.public.$table")
	build/bin/flatwal-sink -b "$bootstrap" --clickhouse "$clickhouse_url" --topic-prefix bench -g "bench-clickhouse-$table" \
		-t "bench.public.$table" --batch-ms 2000 --stats-interval 1000 --http "$metrics_port" >"$work/clickhouse-$table.log" 2>&1 &
	sink_pid=$!
	for _ in $(seq 1 1200); do [ "$(chq "SELECT count() > 0 FROM public.$table" 2>/dev/null)" = 1 ] && break; sleep 0.05; done
	t0=$(date +%s.%N)
	for _ in $(seq 1 1200); do
		[ "$(chq "SELECT sum(o) FROM (SELECT max(next_offset) AS o FROM flatwal_sink.checkpoints
		          WHERE consumer_group = 'bench-clickhouse-$table' AND topic = 'bench.public.$table' GROUP BY kafka_partition)" \
		     2>/dev/null)" = "$end" ] && break
		sleep 0.1
	done
	elapsed=$(echo "$(date +%s.%N) - $t0" | bc -l)
	cpu=$(cpu_ms_per_1000 "$changes")
	sleep 1.5
	load=$(load_rate)
	stop_sink
	[ "$(chq "SELECT count() FROM public.$table FINAL WHERE status = 'paid'")" = "$paid" ] ||
		echo "   WARNING: ClickHouse's $table does not hold the source's $paid paid rows"
	rate=$(echo "$changes / $elapsed" | bc -l)
	printf '   %d changes applied in %.2f s: %.0f rows/s; batch load %s rows/s; sink CPU %.1f ms per 1,000 changes\n' \
		"$changes" "$elapsed" "$rate" "$load" "$cpu"
}

# The unchanged-TOAST workload: rows with a 4 kB body stored out of line; of
# the updates, UNCHANGED_PERCENT change only the status (the body arrives as "unchanged",
# which the sink must take from the target's row), the rest the body too.
sql >/dev/null <<'SQL'
CREATE TABLE docs (id bigint PRIMARY KEY, status text NOT NULL, body text);
ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
SELECT flatwal.add_table('docs');
CREATE PROCEDURE docs_workload(total integer, unchanged_percent integer) LANGUAGE plpgsql AS $$
BEGIN
    FOR b IN 0..(total / 1000 - 1) LOOP
        INSERT INTO docs SELECT g, 'new', repeat(md5(g::text), 128) FROM generate_series(b * 1000 + 1, b * 1000 + 1000) g;
        COMMIT;
    END LOOP;
    FOR b IN 0..(total / 1000 - 1) LOOP
        UPDATE docs SET status = 'paid' WHERE id BETWEEN b * 1000 + 1 AND b * 1000 + 1000 AND id % 100 < unchanged_percent;
        UPDATE docs SET status = 'paid', body = repeat(md5((-id)::text), 128)
         WHERE id BETWEEN b * 1000 + 1 AND b * 1000 + 1000 AND id % 100 >= unchanged_percent;
        COMMIT;
    END LOOP;
END
$$;
SQL
echo "topic bench.public.docs 64" >"$work/broker.ctl"

echo "== 1. throughput: $EVENTS changes waiting in Kafka, applied by a fresh flatwal-sink"
half=$((EVENTS / 2))
sql -c "CALL orders_workload($half, false)" >/dev/null
# 4 kB a row: fewer changes, so that the test broker's ~5 MiB per partition keeps them all.
toast_half=$((TOAST_EVENTS / 2))
sql -c "CALL docs_workload($toast_half, $UNCHANGED_PERCENT)" >/dev/null
wait_confirmed bench "" 600
drain_postgres orders "$EVENTS" "$half"
plain_pg=$rate
echo "   rows with a 4 kB TOASTed body, $UNCHANGED_PERCENT% of the updates leaving it unchanged ($TOAST_EVENTS changes of 'docs'):"
drain_postgres docs "$TOAST_EVENTS" "$toast_half"
printf '   4 kB rows / plain: %.2f of the rows/s\n' "$(echo "$rate / $plain_pg" | bc -l)"

echo "== 2. ClickHouse: the same changes applied by flatwal-sink --clickhouse"
clickhouse_start "$work/ch" "$(test/lib/free-port.sh)"
drain_clickhouse orders "$EVENTS" "$half"
plain_ch=$rate
echo "   rows with a 4 kB TOASTed body, $UNCHANGED_PERCENT% of the updates leaving it unchanged (completed from FINAL):"
drain_clickhouse docs "$TOAST_EVENTS" "$toast_half"
printf '   4 kB rows / plain: %.2f of the rows/s (ClickHouse %s)\n' "$(echo "$rate / $plain_ch" | bc -l)" \
	"$(chq "SELECT version()")"
clickhouse_stop "$work/ch"

echo "== 3. latency: $RATE rows/s offered for $LOAD_SECONDS s through the running pipeline"
# Its own table and topic, so the sink does not first replay the backlog above.
# One row first, so the topic exists when the sink joins: a topic created
# mid-run costs a metadata refresh and a rebalance, not a steady-state figure.
sql -c "CREATE TABLE latency (id bigint PRIMARY KEY, created timestamptz NOT NULL)" \
    -c "SELECT flatwal.add_table('latency')" -c "INSERT INTO latency VALUES (0, now())" >/dev/null
wait_confirmed bench
start_sink "$work/latency.log" -g bench-latency -t bench.public.latency --history --batch-ms 50
for _ in $(seq 1 300); do [ "$(tsql -c "SELECT count(*) FROM public.latency_history" 2>/dev/null)" = 1 ] && break; sleep 0.1; done
per_tx=$((RATE / 10))
sql -c "DO \$\$ BEGIN
  FOR b IN 0..($LOAD_SECONDS * 10 - 1) LOOP
    INSERT INTO latency SELECT b * $per_tx + g, clock_timestamp() FROM generate_series(1, $per_tx) g;
    COMMIT;
    PERFORM pg_sleep(greatest(0, 0.1 - extract(epoch from clock_timestamp() - now())));
  END LOOP; END \$\$" >/dev/null
total=$((LOAD_SECONDS * 10 * per_tx + 1))
for _ in $(seq 1 1200); do [ "$(tsql -c "SELECT count(*) FROM public.latency_history" 2>/dev/null)" = "$total" ] && break; sleep 0.05; done
tsql -c "SELECT format('   %s rows: commit-to-applied p50 %s ms, p99 %s ms, max %s ms', count(*),
                round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1),
                round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1), round(max(ms)::numeric, 1))
         FROM (SELECT extract(epoch FROM applied_at - (after->>'created')::timestamptz) * 1000 AS ms
               FROM public.latency_history WHERE (after->>'id')::bigint > 0) l"
grep 'msg="sink progress"' "$work/latency.log" | tail -1 | grep -oE 'lag_p(50|99)_ms=[0-9-]+' | tr '\n' ' ' |
	sed 's/^/   sink (commit time in the message to its commit, last interval): /'
echo
stop_sink
kill -TERM "$shipper_pid"; wait "$shipper_pid" || true; shipper_pid=""
grep 'msg=stopped' "$work/shipper.log" | tail -1 | tr ' ' '\n' | grep -E '^commit_to_ack_ms_(p50|p99|max)=' |
	tr '\n' ' ' | sed 's/^/   shipper (whole run): /'
echo
