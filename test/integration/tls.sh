#!/usr/bin/env bash
# TLS to PostgreSQL, for real: a throwaway CA and server certificate made
# with openssl, a cluster that accepts only TLS connections from 127.0.0.1,
# and the shipper with sslmode=verify-full streaming through it. A client
# that does not trust the CA is refused. Starts its own cluster.
# Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
source test/lib/itest.sh
work=$(mktemp -d /tmp/flatwal-tls.XXXXXX)
chmod 755 "$work"
trap 'stop_started; cluster_stop "$work/pg"; rm -rf "$work"' EXIT

# A CA, and a server certificate for localhost (and 127.0.0.1) signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=flatwal test CA" \
	-keyout "$work/ca.key" -out "$work/ca.crt" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$work/server.key" -out "$work/server.csr" >/dev/null 2>&1
printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\n' >"$work/san.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
	-extfile "$work/san.ext" -out "$work/server.crt" >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=another CA" \
	-keyout "$work/other.key" -out "$work/other.crt" >/dev/null 2>&1
mkdir -p "$work/certs"  # (cluster_start empties the cluster's directory)
cp "$work/server.crt" "$work/server.key" "$work/certs/"
chmod 600 "$work/certs/server.key"
[ "$(id -u)" = 0 ] && chown postgres: "$work/certs/server.crt" "$work/certs/server.key"

port=$(test/lib/free-port.sh)
cluster_start "$work/pg" "$port" "ssl = on" "ssl_cert_file = '$work/certs/server.crt'" "ssl_key_file = '$work/certs/server.key'"
# Only TLS from 127.0.0.1 (hostssl), for SQL and replication; the local socket stays for the test's own setup.
printf 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostssl replication all 127.0.0.1/32 trust\n' \
	>"$work/pg/data/pg_hba.conf"
cluster_as_owner "$PG_BIN/pg_ctl" -D "$work/pg/data" reload >/dev/null
sleep 0.5
psql -X -q -h "$work/pg" -p "$port" -U postgres -d postgres -c "CREATE EXTENSION flatwal" \
	-c "CREATE TABLE t (id int PRIMARY KEY)" -c "SELECT flatwal.add_table('t')" >/dev/null
tls="host=localhost port=$port user=postgres dbname=postgres sslmode=verify-full"

start_test_broker
start_shipper "$work/shipper.log" --slot tls_slot --topic-prefix tls -s 200 -d "$tls sslrootcert=$work/ca.crt"
wait_streaming "$work/shipper.log"
psql -X -q -d "$tls sslrootcert=$work/ca.crt" -c "INSERT INTO t SELECT generate_series(1, 3)"
encrypted=$(psql -X -q -At -d "$tls sslrootcert=$work/ca.crt" -c "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_replication r ON r.pid = s.pid WHERE s.ssl")
for _ in $(seq 1 100); do
	[ "$(psql -X -q -At -d "$tls sslrootcert=$work/ca.crt" -c "SELECT confirmed_flush_lsn >= pg_current_wal_lsn() FROM pg_replication_slots WHERE slot_name = 'tls_slot'")" = t ] && break
	sleep 0.1
done
inserts=$(timeout 30 kcat -b "$bootstrap" -C -t tls.public.t -o beginning -e -q -f '%h\n' 2>/dev/null | grep -c 'flatwal.op=insert')
if [ "$encrypted" = 1 ] && [ "$inserts" = 3 ]; then
	ok "sslmode=verify-full against a server certificate from a test CA: replication over TLS, 3 inserts arrived"
else
	failed "TLS: $encrypted encrypted replication connections, $inserts inserts"; tail -3 "$work/shipper.log"
fi
kill -TERM "$shipper_pid"; wait "$shipper_pid"; shipper_pid=""

# A CA the server's certificate does not come from: refused, not streamed in clear.
status=0
timeout 30 build/bin/flatwal-shipper -d "$tls sslrootcert=$work/other.crt" -b "$bootstrap" --slot tls_slot \
	>"$work/untrusted.log" 2>&1 || status=$?
if [ "$status" = 3 ] && grep -q 'certificate verify failed' "$work/untrusted.log"; then
	ok "an untrusted server certificate is refused at once (exit 3)"
else
	failed "untrusted certificate: exit $status"; tail -3 "$work/untrusted.log"
fi
finish_suite "tls"
