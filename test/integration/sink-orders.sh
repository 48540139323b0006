#!/usr/bin/env bash
# flatwal-sink's PostgreSQL target against the orders a consumer may read a
# table's partitions in (test/integration/sink_orders.cpp): seeded random
# histories of inserts, updates that leave a TOASTed value unchanged, key
# moves (chains of them, keys used again) and deletes, each played in four
# random readings — partitions lagging, batches of one change to fifty.
# The target must end equal to the source, with no dead letter, no value
# owed and an empty ledger of moves.
#
#   sink-orders.sh PORT [SCENARIOS] [FIRST_SEED]   (run-suites.sh runs it; builds with make unit-build)
set -euo pipefail
cd "$(dirname "$0")/../.."
port=$1
scenarios=${2:-200}
first_seed=${3:-1}
db=flatwal_sink_orders
psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
status=0
build/test/sink_orders "host=127.0.0.1 port=$port user=postgres dbname=$db" "$scenarios" "$first_seed" || status=$?
psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db"
exit $status
