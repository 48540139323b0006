#!/usr/bin/env bash
# Decoding benchmark: flatwal beside the output plugins users already run.
#
# One throwaway cluster, one 7-column "orders" table, slots for every plugin
# created before the workload (BENCH_ROWS rows inserted, updated and deleted
# in 1,000-row transactions), then the same WAL window decoded by each plugin:
#   peek  — pg_logical_slot_peek_binary_changes(): decoding inside the server
#           (the function's result goes to a tuplestore, which spills to a temp
#           file past work_mem, so output bytes cost file writes here too)
#   recv  — pg_recvlogical to /dev/null: through the walsender, as a client sees it
# Prints changes/s, output bytes per change and flatwal's ratio to each peer
# (÷: the peer's time over flatwal's, so above 1 means flatwal is faster),
# the median of BENCH_RUNS runs. Figures, not a test: machines are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${BENCH_ROWS:-1000000}
RUNS=${BENCH_RUNS:-3}
scripts/install-deps.sh >/dev/null
make -s >/dev/null && { [ "$(id -u)" = 0 ] && make -s install >/dev/null || sudo make -s install >/dev/null; }

source test/lib/cluster.sh
source test/lib/itest.sh
work=$(mktemp -d /tmp/flatwal-bench.XXXXXX)
chmod 755 "$work"
port=$(test/lib/free-port.sh)
trap 'cluster_stop "$work/pg"; rm -rf "$work"' EXIT
cluster_start "$work/pg" "$port" "shared_buffers = '1GB'" "logical_decoding_work_mem = '256MB'" "wal_sender_timeout = 0"
conn=$(conninfo)

# name | plugin | options for peek (SQL list) | options for pg_recvlogical
PLUGINS=(
	"flatwal|flatwal|'batch_bytes','65536'|-o batch_bytes=65536"
	"flatwal-unbatched|flatwal||"
	"pgoutput|pgoutput|'proto_version','1','publication_names','bench'|-o proto_version=1 -o publication_names=bench"
	"test_decoding|test_decoding||"
	"wal2json|wal2json|'format-version','2'|-o format-version=2"
	"decoderbufs|decoderbufs||"
)

sql >/dev/null <bench/orders.sql
sql -c "CREATE PUBLICATION bench FOR TABLE orders" >/dev/null
for entry in "${PLUGINS[@]}"; do
	IFS='|' read -r name plugin _ _ <<<"$entry"
	for run in $(seq 1 "$RUNS"); do
		sql -c "SELECT 1 FROM pg_create_logical_replication_slot('${name//-/_}_$run', '$plugin')" >/dev/null
	done
done

echo "workload: $ROWS rows inserted, updated and deleted in 1,000-row transactions"
sql -c "CALL orders_workload($ROWS, true)" >/dev/null
end_lsn=$(sql -c "SELECT pg_current_wal_lsn()")
changes=$((ROWS * 3))
sql -c "CHECKPOINT" >/dev/null

now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Seconds for one run of a command, and the median of RUNS runs; the run
# number is passed last (each pg_recvlogical run consumes its own slot).
seconds() { local t0; t0=$(now); "$@" >"$work/out"; echo "$(now) - $t0" | bc -l; }
median_seconds() {
	local times=() run
	for run in $(seq 1 "$RUNS"); do times+=("$(seconds "$@" "$run")"); done
	median "${times[@]}"
}
peek() {  # slot options run
	sql -c "SELECT sum(octet_length(data)) FROM pg_logical_slot_peek_binary_changes('${1}_1', '$end_lsn', NULL$2)"
}
recv() {  # slot options run
	# shellcheck disable=SC2086
	pg_recvlogical -d "$conn" --slot="${1}_$3" --start -E "$end_lsn" -f /dev/null -F 0 $2
}

declare -A PEEK RECV BYTES
for entry in "${PLUGINS[@]}"; do
	IFS='|' read -r name plugin peek_opts recv_opts <<<"$entry"
	slot="${name//-/_}"
	opts=${peek_opts:+, $peek_opts}
	PEEK[$name]=$(median_seconds peek "$slot" "$opts")
	BYTES[$name]=$(cat "$work/out")
	RECV[$name]=$(median_seconds recv "$slot" "$recv_opts")
done

echo
echo "$(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, PostgreSQL $(sql -c 'SHOW server_version'); $changes changes; median of $RUNS runs"
printf '%-18s %13s %13s %10s %9s %9s\n' plugin "peek chg/s" "recv chg/s" "bytes/chg" "÷ peek" "÷ recv"
rate() { echo "$changes / $1" | bc -l; }
ratio() { echo "$1 / $2" | bc -l; }
for entry in "${PLUGINS[@]}"; do
	IFS='|' read -r name _ _ _ <<<"$entry"
	printf '%-18s %13.0f %13.0f %10.1f %8.2fx %8.2fx\n' "$name" "$(rate "${PEEK[$name]}")" \
		"$(rate "${RECV[$name]}")" "$(echo "${BYTES[$name]} / $changes" | bc -l)" \
		"$(ratio "${PEEK[$name]}" "${PEEK[flatwal]}")" "$(ratio "${RECV[$name]}" "${RECV[flatwal]}")"
done
