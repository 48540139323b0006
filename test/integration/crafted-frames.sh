#!/usr/bin/env bash
# Frames a hostile producer could write (test/integration/crafted_frames.py)
# meet every reader: flatwal.to_json() in the server, and flatwal-consume
# reading them from Kafka. Each is refused with a clear error; no process
# crashes, and the server does not restart. (The shipper reads frames with
# the same ReadFrame; fuzz_frames runs its router over such frames.)
#
#   crafted-frames.sh PORT      (a cluster started by run-suites.sh)
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
port=$1
db=flatwal_crafted
work=$(mktemp -d /tmp/flatwal-crafted.XXXXXX)
trap 'stop_started; rm -rf "$work"' EXIT
crafted() { /usr/bin/python3 test/integration/crafted_frames.py "$@"; }

fresh_database "$db" <<<"CREATE EXTENSION flatwal;"
started=$(sql -c "SELECT pg_postmaster_start_time()")
declare -A expected=(
	[deep_array]="An array value has 100000 dimensions; PostgreSQL arrays have at most 6."
	[nested_array]="An array's elements hold array values"
	[no_body]="The frame names an event type but carries no event."
)
for name in deep_array nested_array no_body; do
	crafted hex "$name" >"$work/$name.hex"
	# psql reads the hex from a file: 800 kB is too long for a command-line argument.
	out=$(printf '\\set frame `cat %s`\nSELECT flatwal.to_json(decode(:'"'"'frame'"'"', '"'"'hex'"'"'));\nSELECT 41 + 1;\n' \
		"$work/$name.hex" | sql -v ON_ERROR_STOP=0 2>&1)
	if grep -qF "ERROR:  corrupt flatwal frame" <<<"$out" && grep -qF "${expected[$name]}" <<<"$out" &&
		grep -qx 42 <<<"$out"; then
		ok "to_json refuses $name with its reason; the session goes on"
	else
		failed "to_json on $name:"; echo "$out" | head -5 | sed 's/^/    /'
	fi
done
if [ "$(sql -c "SELECT pg_postmaster_start_time()")" = "$started" ]; then
	ok "the server did not restart"
else
	failed "the server restarted: a backend crashed"
fi

start_test_broker
if crafted produce "$bootstrap" crafted.frames; then
	status=0
	timeout 60 build/bin/flatwal-consume -b "$bootstrap" -t crafted.frames -g crafted --from-beginning \
		--exit-when-idle 2000 -X session.timeout.ms=6000 >"$work/consume.jsonl" 2>"$work/consume.err" || status=$?
	errors=$(grep -c '"event":{"error":"corrupt flatwal frame"}' "$work/consume.jsonl")
	if [ "$status" = 0 ] && [ "$errors" = 3 ] && grep -q '"key":"valid","event":{"format_version":1,"event":"change"' "$work/consume.jsonl"; then
		ok "flatwal-consume shows the 3 crafted frames as errors and reads on to the valid one"
	else
		failed "flatwal-consume: exit $status, $errors error lines"; head -c 600 "$work/consume.jsonl"; cat "$work/consume.err"
	fi
else
	failed "could not produce the crafted frames"
fi
# A Schema frame whose type name is SQL (its type OID says integer): the sink
# names built-in types by the target's format_type(), so the name never runs.
target_db=flatwal_crafted_target
drop_database "$target_db" >/dev/null 2>&1
db=postgres sql -c "CREATE DATABASE $target_db" >/dev/null
if crafted schema "$bootstrap" crafted; then
	timeout 60 build/bin/flatwal-sink -b "$bootstrap" -d "host=127.0.0.1 port=$port user=postgres dbname=$target_db" \
		--topic-prefix crafted -t crafted.public.crafted_t --exit-when-idle 3000 -X session.timeout.ms=6000 >"$work/sink.log" 2>&1
	target=$(db=$target_db sql -c "SELECT (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
	    WHERE attrelid = 'public.crafted_t'::regclass AND attname = 'id') || ' ' || (SELECT string_agg(id::text, ',') FROM public.crafted_t)
	    || ' ' || (to_regclass('public.flatwal_injected') IS NULL)" 2>&1)
	if [ "$target" = "integer 42 true" ]; then
		ok "a Schema frame whose type name is SQL: the sink makes the column by the type OID (integer), the SQL never runs"
	else
		failed "type name injection: target says '$target'"; tail -3 "$work/sink.log"
	fi
else
	failed "could not produce the injected schema"
fi
drop_database "$target_db" >/dev/null 2>&1

# Stopping idle before any partition was assigned is an error, not an empty topic.
status=0
timeout 60 build/bin/flatwal-consume -b "$bootstrap" -t '^nothing\..*' -g nothing --exit-when-idle 300 \
	>"$work/none.jsonl" 2>"$work/none.err" || status=$?
if [ "$status" = 1 ] && grep -q 'no partition was assigned within 3000 ms, nothing was read' "$work/none.err"; then
	ok "flatwal-consume that was never assigned a partition exits 1 and says why, instead of an empty output"
else
	failed "flatwal-consume without an assignment: exit $status, $(cat "$work/none.err")"
fi

drop_database "$db"
finish_suite "crafted frames"
