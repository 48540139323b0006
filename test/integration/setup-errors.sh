#!/usr/bin/env bash
# Misconfigured servers, as a user meets them: each error names the cause and
# what to do. Starts its own throwaway clusters on 127.0.0.1.
#   1. wal_level = replica: slot creation fails, flatwal.add_table() warns,
#      and the shipper exits 3 with PostgreSQL's message.
#   2. a wrong password: the shipper exits 3 at once instead of retrying.
#   3. flatwal missing from output_plugin_libraries (PostgreSQL 15.19+).
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/itest.sh
work=$(mktemp -d /tmp/flatwal-setup-errors.XXXXXX)
chmod 755 "$work"
trap 'cluster_stop "$work/replica"; cluster_stop "$work/unlisted"; rm -rf "$work"' EXIT

# expect_output NAME EXPECTED-TEXT COMMAND...: the command's output must contain the text.
expect_output() {
	local name=$1 text=$2
	shift 2
	local out
	out=$("$@" 2>&1)
	if grep -qF -- "$text" <<<"$out"; then
		ok "$name"
	else
		failed "$name; output was:"; echo "$out" | sed 's/^/    /' | tail -5
	fi
}

port=$(test/lib/free-port.sh)
cluster_start "$work/replica" "$port" "wal_level = replica"
conn="host=127.0.0.1 port=$port user=postgres dbname=postgres"
psql -X -q -d "$conn" -c "CREATE EXTENSION flatwal" -c "CREATE TABLE t (id int PRIMARY KEY)" >/dev/null
expect_output "wal_level = replica: slot creation refused" "logical decoding requires wal_level >= logical" \
	psql -X -q -d "$conn" -c "SELECT pg_create_logical_replication_slot('s', 'flatwal')"
expect_output "wal_level = replica: add_table warns with a hint" "HINT:  Set wal_level = logical in postgresql.conf and restart PostgreSQL." \
	psql -X -q -d "$conn" -c "SELECT flatwal.add_table('t')"
expect_output "wal_level = replica: the shipper says why and stops" "logical decoding requires wal_level >= logical" \
	timeout 30 build/bin/flatwal-shipper -d "$conn" -b 127.0.0.1:1
# A wrong password is refused for good: exit 3 with the server's message, not retried forever.
psql -X -q -d "$conn" -c "ALTER ROLE postgres PASSWORD 'right'" >/dev/null
echo "host all all 127.0.0.1/32 scram-sha-256" >"$work/replica/data/pg_hba.conf"
echo "local all all trust" >>"$work/replica/data/pg_hba.conf"
psql -X -q -d "$conn" -c "SELECT pg_reload_conf()" >/dev/null
expect_exit() {  # NAME CODE TEXT COMMAND...: the command exits CODE and says TEXT
	local name=$1 code=$2 text=$3 out status=0
	shift 3
	out=$("$@" 2>&1) || status=$?
	if [ "$status" = "$code" ] && grep -qF -- "$text" <<<"$out"; then
		ok "$name (exit $status)"
	else
		failed "$name: exit $status (wanted $code); output was:"; echo "$out" | sed 's/^/    /' | tail -5
	fi
}
expect_exit "wrong password: refused at once, exit 3" 3 "password authentication failed" \
	env PGPASSWORD=wrong timeout 30 build/bin/flatwal-shipper -d "$conn" -b 127.0.0.1:1
cluster_stop "$work/replica"

if "$PG_BIN/postgres" --describe-config 2>/dev/null | grep '^output_plugin_libraries' >/dev/null; then
	port=$(test/lib/free-port.sh)
	cluster_start "$work/unlisted" "$port" "output_plugin_libraries = 'pgoutput, test_decoding'"
	conn="host=127.0.0.1 port=$port user=postgres dbname=postgres"
	psql -X -q -d "$conn" -c "CREATE EXTENSION flatwal" >/dev/null
	expect_output "flatwal not in output_plugin_libraries: refused with a hint" \
		'add it to "output_plugin_libraries" and reload the server configuration' \
		psql -X -q -d "$conn" -c "SELECT pg_create_logical_replication_slot('s', 'flatwal')"
	expect_output "flatwal not in output_plugin_libraries: the shipper passes the message on" \
		'may not be used as an output plugin' \
		timeout 30 build/bin/flatwal-shipper -d "$conn" -b 127.0.0.1:1
else
	echo "skipped: this PostgreSQL has no output_plugin_libraries setting"
fi
finish_suite "setup errors"
