# clickhouse.sh — a throwaway ClickHouse server for tests and benchmarks
# (Debian's clickhouse-server, run from a config written here, never as the
# system service). Source it, then:
#   clickhouse_start DIR HTTP_PORT    listens on 127.0.0.1 only; sets $clickhouse_url
#   clickhouse_stop DIR               stops it by the PID it wrote
#   chq "SQL"                         runs a query over HTTP, prints the result (fails on an error)
source "$(dirname "${BASH_SOURCE[0]}")/process.sh"

clickhouse_start() {
	local dir=$1 http_port=$2 tcp_port
	tcp_port=$(test/lib/free-port.sh)
	mkdir -p "$dir/data" "$dir/tmp" "$dir/log"
	cat >"$dir/config.xml" <<XML
<yandex>
    <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/error.log</errorlog><console>0</console></logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$http_port</http_port>
    <tcp_port>$tcp_port</tcp_port>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <mark_cache_size>67108864</mark_cache_size>
    <max_concurrent_queries>50</max_concurrent_queries>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
</yandex>
XML
	cat >"$dir/users.xml" <<XML
<yandex>
    <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
    <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
    <quotas><default></default></quotas>
</yandex>
XML
	# Not daemonized, it writes no PID file of its own: keep the PID it ran as.
	clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
	echo $! >"$dir/server.pid"
	clickhouse_url="http://127.0.0.1:$http_port/"
	for _ in $(seq 1 300); do
		kill -0 "$(cat "$dir/server.pid")" 2>/dev/null || break  # it exited (e.g. the port is taken)
		[ "$(curl -s "${clickhouse_url}ping" 2>/dev/null)" = "Ok." ] && return 0
		sleep 0.1
	done
	echo "ClickHouse did not start:" >&2
	tail -20 "$dir/log/error.log" "$dir/log/stdout.log" >&2
	return 1
}

clickhouse_stop() {
	local dir=$1 pid
	[ -f "$dir/server.pid" ] || return 0
	pid=$(cat "$dir/server.pid")
	rm -f "$dir/server.pid"
	stop_pid "$pid" TERM 300
}

chq() { curl -sS --fail-with-body "$clickhouse_url" --data-binary "$1"; }
