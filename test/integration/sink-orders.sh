#!/usr/bin/env bash
# flatwal-sink's targets against the orders a consumer may read a table's
# partitions in (test/integration/sink_orders.cpp, no Kafka): seeded random
# histories of inserts, updates that leave a TOASTed value unchanged, key
# moves (chains of them, keys used again) and deletes, each played in four
# random readings — partitions lagging, batches of one change to fifty —
# to the PostgreSQL target (a database of the cluster at PORT) and to the
# ClickHouse target (a throwaway ClickHouse on 127.0.0.1). Each target must
# end equal to the source, with no dead letter, no value owed and (PostgreSQL)
# an empty ledger of moves.
#
#   sink-orders.sh PORT [PG_SCENARIOS] [CH_SCENARIOS] [FIRST_SEED]
#   (run-suites.sh runs it; it builds build/test/sink_orders when missing)
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/lib/clickhouse.sh
port=$1
pg_scenarios=${2:-120}
ch_scenarios=${3:-20}
first_seed=${4:-1}
db=flatwal_sink_orders
work=$(mktemp -d /tmp/flatwal-sink-orders.XXXXXX)
trap 'clickhouse_stop "$work/ch"; psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null; rm -rf "$work"' EXIT
passed=0 failed=0
count() {  # the "N passed, M failed" line of a run
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + ${line%% passed*}))
	failed=$((failed + $(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$line")))
}
# The unit build's lock: scripts/test.sh builds the unit flavor beside the
# suites, and two makes must not write the same objects at once.
mkdir -p build
flock build/unit-build.lock make -s build/test/sink_orders
psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
echo "== PostgreSQL target: $pg_scenarios histories from seed $first_seed"
build/test/sink_orders "host=127.0.0.1 port=$port user=postgres dbname=$db" "$pg_scenarios" "$first_seed" |
	tee "$work/pg.log" || true
count "$work/pg.log"
echo "== ClickHouse target: $ch_scenarios histories from seed $first_seed"
if clickhouse_start "$work/ch" "$(test/lib/free-port.sh)"; then
	build/test/sink_orders --clickhouse "$clickhouse_url" "$ch_scenarios" "$first_seed" | tee "$work/ch.log" || true
	count "$work/ch.log"
else
	failed=$((failed + 1))
fi
echo "sink orders: $passed passed, $failed failed"
[ "$failed" = 0 ]
