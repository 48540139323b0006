# cluster.sh — a throwaway PostgreSQL cluster for tests, benchmarks and the demo.
# Source it, then:  cluster_start DIR PORT [extra postgresql.conf lines...]
#                   cluster_stop DIR
# The cluster listens on 127.0.0.1 only, trusts local connections, and is
# stopped by the PID in its postmaster.pid. As root, the server runs as the
# "postgres" user (PostgreSQL refuses to run as root), so DIR's parent must
# be searchable by that user.

source "$(dirname "${BASH_SOURCE[0]}")/process.sh"

PG_BIN=${PG_BIN:-$(pg_config --bindir)}

# Plugins a logical slot may use: PostgreSQL 15.19+ loads only those listed.
FLATWAL_PLUGINS="pgoutput, test_decoding, flatwal, wal2json, decoderbufs"

cluster_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cluster_start() {
	local dir=$1 port=$2
	shift 2
	rm -rf "$dir"
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	cluster_as_owner "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres --locale=C.UTF-8 -E UTF8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; return 1; }
	{
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $port"
		echo "unix_socket_directories = '$dir'"
		echo "wal_level = logical"
		echo "max_replication_slots = 20"
		echo "max_wal_senders = 20"
		echo "fsync = off"
		echo "full_page_writes = off"
		echo "timezone = 'UTC'"
		echo "datestyle = 'ISO, MDY'"
		echo "lc_messages = 'C'"
		echo "max_wal_size = '4GB'"
		# (grep without -q reads to the end: under pipefail an early exit would fail the pipe)
		if "$PG_BIN/postgres" --describe-config 2>/dev/null | grep '^output_plugin_libraries' >/dev/null; then
			echo "output_plugin_libraries = '$FLATWAL_PLUGINS'"
		fi
		for line in "$@"; do echo "$line"; done
	} >>"$dir/data/postgresql.conf"
	cluster_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
		{ cat "$dir/server.log" >&2; return 1; }
}

cluster_stop() {
	local dir=$1
	[ -f "$dir/data/postmaster.pid" ] || return 0
	stop_pid "$(head -1 "$dir/data/postmaster.pid")" INT 100
}
