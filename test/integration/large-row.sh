#!/usr/bin/env bash
# A 100 MB row costs the walsender about what test_decoding costs on the same
# WAL, not several copies more: both slots decode the same insert through
# pg_recvlogical, and the walsender's peak resident memory (VmHWM) is read
# while it streams. flatwal may use at most LARGE_ROW_RATIO (1.3) times
# test_decoding's peak; it once used 1.57 times (855 MB against 546 MB).
#
#   large-row.sh PORT      (a cluster started by run-suites.sh)
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/itest.sh
port=$1
db=flatwal_large_row
ratio_limit=${LARGE_ROW_RATIO:-1.3}
work=$(mktemp -d /tmp/flatwal-large-row.XXXXXX)
chmod 755 "$work"
recv_pid=""
trap '[ -n "$recv_pid" ] && kill "$recv_pid" 2>/dev/null; rm -rf "$work"' EXIT

fresh_database "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION flatwal;
CREATE TABLE big_row (id int PRIMARY KEY, t text);
SELECT flatwal.add_table('big_row');
SELECT 'x' FROM pg_create_logical_replication_slot('large_flatwal', 'flatwal');
SELECT 'x' FROM pg_create_logical_replication_slot('large_test_decoding', 'test_decoding');
-- 100 MB that compresses poorly, so TOAST stores (and decoding detoasts) all of it.
INSERT INTO big_row SELECT 1, string_agg(md5(g::text) || md5((g * 7)::text), '') FROM generate_series(1, 1600000) g;
SQL

# peak_kb SLOT OPTIONS...: streams the slot until the row has arrived; prints the walsender's VmHWM in kB.
peak_kb() {
	local slot=$1 pid="" peak=0 hwm
	shift
	pg_recvlogical -h 127.0.0.1 -p "$port" -U postgres -d "$db" --slot "$slot" --start -f "$work/$slot.out" -F 0 "$@" &
	recv_pid=$!
	for _ in $(seq 1 600); do  # at most 60 s
		[ -n "$pid" ] || pid=$(sql -c "SELECT pid FROM pg_stat_replication WHERE application_name = 'pg_recvlogical'")
		if [ -n "$pid" ]; then
			hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null)
			[ -n "$hwm" ] && [ "$hwm" -gt "$peak" ] && peak=$hwm
		fi
		[ "$(stat -c %s "$work/$slot.out" 2>/dev/null || echo 0)" -ge 102400000 ] && break  # the value alone is 102,400,000 bytes
		sleep 0.1
	done
	hwm=$([ -n "$pid" ] && sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null)
	[ -n "$hwm" ] && [ "$hwm" -gt "$peak" ] && peak=$hwm
	kill "$recv_pid" 2>/dev/null; wait "$recv_pid" 2>/dev/null; recv_pid=""
	echo "$peak"
}

td=$(peak_kb large_test_decoding)
fw=$(peak_kb large_flatwal -o batch_bytes=65536)
echo "walsender peak RSS decoding a 100 MB row: test_decoding $((td / 1024)) MiB, flatwal $((fw / 1024)) MiB"
# The row must have arrived whole through both slots: its last 64 characters
# (the value is stored as text in either output), after 100 MB of output.
tail_text=$(sql -c "SELECT md5('1600000') || md5('11200000')")
for slot in large_test_decoding large_flatwal; do
	size=$(stat -c %s "$work/$slot.out" 2>/dev/null || echo 0)
	if [ "$size" -ge 102400000 ] && grep -qF "$tail_text" "$work/$slot.out"; then
		ok "$slot: the 100 MB row arrived whole ($size bytes)"
	else
		failed "$slot: the 100 MB row did not arrive whole ($size bytes; its end $(grep -qF "$tail_text" "$work/$slot.out" 2>/dev/null && echo present || echo missing))"
	fi
done
if [ "$td" -gt 0 ] && [ "$(echo "$fw <= $td * $ratio_limit" | bc -l)" = 1 ]; then
	ok "flatwal's walsender peak is within ${ratio_limit}x test_decoding's ($(echo "scale=2; $fw / $td" | bc -l)x)"
else
	failed "flatwal's walsender peaked at $fw kB against test_decoding's $td kB (limit ${ratio_limit}x)"
fi
drop_database "$db"
finish_suite "large row"
