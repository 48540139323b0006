#!/usr/bin/env bash
# The Debezium format (--format debezium-json) against a real PostgreSQL
# (the cluster run-suites.sh started, on 127.0.0.1:$1) and the test broker.
#
#   debezium.sh PORT          (UPDATE_GOLDEN=1 rewrites the golden files)
#
# 1. golden: the workload of test/debezium/ (every type of the regress types
#    workload and those Debezium maps specially; every kind of event) shipped
#    once per set of options, each value of each option at least once; the
#    topics, masked where runs differ (times, LSNs, transaction ids), must
#    equal test/expected/debezium/<variant>.jsonl exactly.
# Prints "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/itest.sh
port=$1
db=flatwal_debezium_it
work=$(mktemp -d /tmp/flatwal-debezium-test.XXXXXX)
trap 'stop_started; rm -rf "$work"' EXIT
golden=test/expected/debezium

# name|shipper options: every option value appears in at least one variant.
variants=(
	"default|"
	"schemas|--debezium schemas.enable=true --debezium provide.transaction.metadata=true"
	"double|--debezium decimal.handling.mode=double --debezium time.precision.mode=adaptive_time_microseconds
		--debezium binary.handling.mode=base64-url-safe --debezium interval.handling.mode=string
		--debezium hstore.handling.mode=map"
	"string|--debezium decimal.handling.mode=string --debezium time.precision.mode=connect
		--debezium binary.handling.mode=hex --debezium provide.transaction.metadata=true --no-tombstones"
	"isostring|--debezium time.precision.mode=isostring --debezium binary.handling.mode=base64
		--debezium unavailable.value.placeholder=__toast --debezium schemas.enable=true"
)

fresh_database "$db" <test/debezium/types.sql
for v in "${variants[@]}"; do
	sql -c "SELECT 'slot' FROM pg_create_logical_replication_slot('dbz_${v%%|*}', 'flatwal')" >/dev/null
done
sql -f test/debezium/workload.sql >/dev/null
start_test_broker

for v in "${variants[@]}"; do
	name=${v%%|*}
	# One partition per topic: each topic's order is the stream's, wherever
	# unkeyed events (truncates) would land among several.
	for topic in public.typed public.special public.keyless public.full_image message transaction; do
		echo "topic g_$name.$topic 1" >"$work/broker.ctl"
	done
	# shellcheck disable=SC2086 # the options are words
	start_shipper "$work/$name.log" --slot "dbz_$name" --topic-prefix "g_$name" --snapshot never -s 200 \
		--format debezium-json ${v#*|}
	if ! wait_confirmed "dbz_$name" "" 60; then
		tail -5 "$work/$name.log"
		failed "golden $name: the shipper confirmed the workload"
		stop_started
		start_test_broker
		continue
	fi
	kill -TERM "$shipper_pid" && wait "$shipper_pid" || true
	shipper_pid=""
	if ! /usr/bin/python3 test/debezium/dump_topics.py --bootstrap "$bootstrap" --prefix "g_$name" >"$work/$name.jsonl"; then
		failed "golden $name: the topics read back as JSON"
		continue
	fi
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		mkdir -p "$golden"
		cp "$work/$name.jsonl" "$golden/$name.jsonl"
	fi
	if diff -u "$golden/$name.jsonl" "$work/$name.jsonl" >"$work/$name.diff"; then
		ok "golden $name: $(wc -l <"$work/$name.jsonl") events equal $golden/$name.jsonl"
	else
		head -40 "$work/$name.diff"
		failed "golden $name: events differ from $golden/$name.jsonl"
	fi
done

stop_started
drop_database "$db"
finish_suite "debezium format"
