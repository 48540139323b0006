#!/usr/bin/env bash
# --http of flatwal-shipper and flatwal-sink: Prometheus text at /metrics,
# the health verdict at /health.
#  1. A streaming shipper: /health 200; /metrics has every family the
#     operator relies on, with values that follow the workload (per-topic
#     counters, the commit-to-ack histogram, the slot's wal_status).
#  2. Lag above --health-max-lag-mb for longer than --health-grace (the
#     broker frozen with SIGSTOP while 3 MB are written): /health 503 naming
#     the lag; back to 200 once the broker runs again.
#  3. A shipper that cannot reach PostgreSQL: /health 503 "disconnected"
#     after the grace period; restarts are counted.
#  4. flatwal-sink: /metrics with applied rows and the lag histogram, /health
#     200; a target that goes away makes it 503.
#  5. Bad --http values and a taken port are refused at start (exit 1).
#
#   http.sh PORT      (a cluster started by run-suites.sh)
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
port=$1
db=flatwal_http
work=$(mktemp -d /tmp/flatwal-http.XXXXXX)
others=()  # PIDs started here besides the shipper and broker
trap 'stop_started; for p in "${others[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$work"' EXIT

fresh_database "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE orders (id int PRIMARY KEY, note text);
SELECT flatwal.add_table('orders');
SQL
start_test_broker

http_port=$(test/lib/free-port.sh)
get() { curl -s -o "$work/body" -w '%{http_code}' "http://127.0.0.1:$1$2"; }  # PORT PATH: prints the status
metric() { grep -E "^$1 " "$work/body" | awk '{print $2}'; }                  # the value of a sample in the last body

# wait_status PORT PATH CODE SECONDS [PATTERN]: until PATH answers CODE (with PATTERN in the body).
wait_status() {
	for _ in $(seq 1 $(($4 * 10))); do
		[ "$(get "$1" "$2")" = "$3" ] && grep -q "${5:-}" "$work/body" && return 0
		sleep 0.1
	done
	return 1
}

# 1. Streaming.
start_shipper "$work/shipper.log" --slot http --topic-prefix http -s 200 --http "127.0.0.1:$http_port" \
	--health-max-lag-mb 1 --health-grace 2000
wait_streaming "$work/shipper.log"
sql -c "INSERT INTO orders SELECT g, 'n' || g FROM generate_series(1, 500) g" >/dev/null
wait_confirmed http >/dev/null
sleep 11  # the slot status is read every 10 s
missing=""
if wait_status "$http_port" /health 200 10 && [ "$(get "$http_port" /metrics)" = 200 ]; then
	for family in flatwal_shipper_messages_total flatwal_shipper_slot_lag_bytes flatwal_shipper_replication_connected \
		flatwal_shipper_commit_to_ack_seconds flatwal_shipper_topic_messages_total flatwal_shipper_topic_bytes_total \
		flatwal_shipper_kafka_errors_total flatwal_shipper_slot_wal_status flatwal_shipper_slot_safe_wal_size_bytes \
		flatwal_shipper_snapshot_running flatwal_shipper_snapshot_tables flatwal_shipper_restarts_total; do
		grep -q "^# TYPE $family " "$work/body" || missing+=" $family"
	done
	topic=$(metric 'flatwal_shipper_topic_messages_total\{topic="http.public.orders"\}')
	acked=$(metric flatwal_shipper_commit_to_ack_seconds_count)
	reserved=$(metric 'flatwal_shipper_slot_wal_status\{status="reserved"\}')
	connected=$(metric flatwal_shipper_replication_connected)
	if [ -z "$missing" ] && [ "${topic:-0}" -ge 500 ] && [ "${acked:-0}" -ge 1 ] && [ "$reserved" = 1 ] && [ "$connected" = 1 ]; then
		ok "shipper: /health 200 while streaming; /metrics: per-topic counts ($topic), commit-to-ack histogram ($acked commits), wal_status reserved"
	else
		failed "shipper /metrics: missing [$missing], topic=$topic acked=$acked reserved=$reserved connected=$connected"
	fi
else
	failed "shipper: /health or /metrics did not answer 200 ($(cat "$work/body" 2>/dev/null))"
fi

# 2. Lag over the limit for longer than the grace period.
kill -STOP "$broker_pid"
sql -c "INSERT INTO orders SELECT g, repeat('x', 1000) FROM generate_series(1001, 4000) g" >/dev/null
if wait_status "$http_port" /health 503 30 lag; then
	said=$(cat "$work/body")
	kill -CONT "$broker_pid"
	if wait_status "$http_port" /health 200 60; then
		ok "shipper: lag above --health-max-lag-mb past the grace: /health 503 (\"$said\"); 200 again once it caught up"
	else
		failed "shipper: /health did not recover after the broker came back: $(cat "$work/body")"
	fi
else
	kill -CONT "$broker_pid"
	failed "shipper: /health did not fail while lag grew: $(cat "$work/body")"
fi
kill -TERM "$shipper_pid"; wait "$shipper_pid" 2>/dev/null; shipper_pid=""

# 3. PostgreSQL unreachable from the start.
dead_port=$(test/lib/free-port.sh)
http2=$(test/lib/free-port.sh)
build/bin/flatwal-shipper -d "host=127.0.0.1 port=$dead_port user=postgres dbname=$db" -b "$bootstrap" --slot http \
	--http "$http2" --health-grace 1000 >"$work/shipper2.log" 2>&1 &
shipper_pid=$!
if wait_status "$http2" /health 503 15 disconnected &&
	[ "$(get "$http2" /metrics)" = 200 ] && [ "$(metric flatwal_shipper_restarts_total)" -ge 1 ] &&
	[ "$(metric flatwal_shipper_replication_connected)" = 0 ]; then
	ok "shipper: PostgreSQL unreachable past the grace: /health 503 (\"$(get "$http2" /health >/dev/null; cat "$work/body")\"); restarts counted"
else
	failed "shipper: unreachable PostgreSQL not reported: $(cat "$work/body")"
fi
kill -TERM "$shipper_pid"; wait "$shipper_pid" 2>/dev/null; shipper_pid=""

# 4. flatwal-sink: working into a target database of this cluster, then a target that cannot be reached.
fresh_database flatwal_http_target </dev/null
target="host=127.0.0.1 port=$port user=postgres dbname=flatwal_http_target"
http3=$(test/lib/free-port.sh)
# A short session timeout: the test broker can hold a group's first join for the
# session timeout less a second (44 s by default).
build/bin/flatwal-sink -b "$bootstrap" -d "$target" --topic-prefix http --group http-sink --http "$http3" \
	--stats-interval 0 -X session.timeout.ms=6000 >"$work/sink.log" 2>&1 &
sink_pid=$!
others+=("$sink_pid")
applied=""
for _ in $(seq 1 600); do
	[ "$(get "$http3" /metrics)" = 200 ] && applied=$(metric flatwal_sink_applied_rows_total) && [ "${applied:-0}" -ge 3500 ] && break
	sleep 0.1
done
lagged=$(metric flatwal_sink_commit_to_applied_seconds_count)
topic=$(metric 'flatwal_sink_topic_messages_total\{topic="http.public.orders"\}')
if [ "${applied:-0}" -ge 3500 ] && [ "${lagged:-0}" -ge 3500 ] && [ "${topic:-0}" -ge 3500 ] && [ "$(get "$http3" /health)" = 200 ]; then
	ok "sink: /metrics counts applied rows ($applied), the commit-to-applied histogram ($lagged) and topics; /health 200"
else
	failed "sink: applied=$applied lagged=$lagged topic=$topic health=$(get "$http3" /health) $(cat "$work/body"); its log: $(tail -5 "$work/sink.log")"
fi
kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null
http4=$(test/lib/free-port.sh)
build/bin/flatwal-sink -b "$bootstrap" -d "host=127.0.0.1 port=$dead_port user=postgres dbname=x" --topic-prefix http \
	--http "$http4" --health-grace 1000 --stats-interval 0 >"$work/sink2.log" 2>&1 &
sink_pid=$!
others+=("$sink_pid")
if wait_status "$http4" /health 503 20 "target disconnected" && [ "$(get "$http4" /metrics)" = 200 ] &&
	[ "$(metric flatwal_sink_target_connected)" = 0 ]; then
	ok "sink: an unreachable target past the grace: /health 503 (\"$(get "$http4" /health >/dev/null; cat "$work/body")\")"
else
	failed "sink: unreachable target not reported: $(cat "$work/body")"
fi
kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null

# 5. Refusals at start.
refusals=""
build/bin/flatwal-shipper -d "$(conninfo)" -b "$bootstrap" --http nonsense >"$work/bad.log" 2>&1
[ $? = 1 ] && grep -q "HOST:PORT" "$work/bad.log" || refusals+=" bad-value"
# SO_REUSEADDR: the port may still be in TIME_WAIT from the endpoints above,
# which a plain bind refuses (and then nothing would hold it).
python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $http_port)); s.listen(); print('held', flush=True); time.sleep(20)" >"$work/holder.log" 2>&1 &
holder=$!
others+=("$holder")
for _ in $(seq 1 50); do grep -q held "$work/holder.log" && break; sleep 0.1; done
grep -q held "$work/holder.log" || refusals+=" (the port could not be held: $(tail -1 "$work/holder.log"))"
# Bounded: were the port free after all, the shipper would stream on.
timeout 20 build/bin/flatwal-shipper -d "$(conninfo)" -b "$bootstrap" --slot http --http "$http_port" >"$work/taken.log" 2>&1
[ $? = 1 ] && grep -q "cannot listen" "$work/taken.log" || refusals+=" taken-port"
kill "$holder" 2>/dev/null
if [ -z "$refusals" ]; then
	ok "a bad --http value and a taken port are refused at start (exit 1, with what to do)"
else
	failed "refusals:$refusals: $(cat "$work/bad.log" "$work/taken.log")"
fi

stop_started
drop_database "$db" >/dev/null
drop_database flatwal_http_target >/dev/null
finish_suite "HTTP metrics and health"
