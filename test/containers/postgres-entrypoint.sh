#!/bin/sh
# The stand-in image's entrypoint (see postgres-base.Dockerfile): on first
# start, initdb into PGDATA, create POSTGRES_DB and run the scripts of
# /docker-entrypoint-initdb.d on a server reachable only by its socket; then
# run `postgres` with the arguments given, as the postgres user.
set -eu
[ "${1:-}" = postgres ] && shift
auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	mkdir -p "$PGDATA"
	chown postgres:postgres "$PGDATA"
	chmod 700 "$PGDATA"
	pwfile=""
	if [ -n "${POSTGRES_PASSWORD:-}" ]; then
		pwfile=$(mktemp)
		printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
		chown postgres "$pwfile"
	fi
	runuser -u postgres -- initdb -D "$PGDATA" -U postgres ${pwfile:+--pwfile="$pwfile"} \
		--auth-local=trust --auth-host="$auth" >/dev/null
	[ -z "$pwfile" ] || rm -f "$pwfile"
	echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
	echo "host all all all $auth" >>"$PGDATA/pg_hba.conf"
	runuser -u postgres -- pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/tmp" -w start >/dev/null
	db=${POSTGRES_DB:-postgres}
	[ "$db" = postgres ] || runuser -u postgres -- psql -h /tmp -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\""
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
			*.sql) runuser -u postgres -- psql -h /tmp -q -v ON_ERROR_STOP=1 -d "$db" -f "$f" ;;
			*.sh) . "$f" ;;
		esac
	done
	runuser -u postgres -- pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec runuser -u postgres -- postgres -D "$PGDATA" "$@"
